// The record form: one editor per field of the collection, saved as JSON, or as
// multipart (@jsonPayload + file parts) when files are uploaded.

import { ApiError, api, fileHref, isImage } from "./api.js";
import { clear, errorSlot, h, labelled, openDialog, submitting } from "./dom.js";
import { relationEditor } from "./relation-picker.js";
import { geoMap } from "./geo-map.js";
import { richTextEditor } from "./rich-text.js";

// editors made of several controls get a group, not a <label> around them all
const GROUPED = new Set(["relation", "geoPoint", "date", "json", "file", "editor"]);

const pad = (n) => String(n).padStart(2, "0");

// "2024-05-01 10:20:30.000Z" (UTC) -> "2024-05-01T12:20:30" in the browser's time zone.
export function toLocalInput(value) {
  if (!value) return "";
  const date = new Date(String(value).replace(" ", "T"));
  if (Number.isNaN(date.getTime())) return "";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// The reverse, in PocketBase's "YYYY-MM-DD HH:MM:SS.sssZ" form.
export function fromLocalInput(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString().replace("T", " ");
}

class FieldError extends ApiError {
  constructor(name, message) {
    super(400, { message: "Please fix the errors below.", data: { [name]: { message } } });
  }
}

const many = (field) => (field.maxSelect || 1) > 1;
const list = (value) => (Array.isArray(value) ? value : value ? [value] : []);

function simple(field, tag, attrs, read) {
  const control = h(tag, { name: field.name, ...attrs });
  return { node: control, value: () => read(control) };
}

// Each builder returns {node, value(), files?} where value() is what the body gets
// (undefined: leave the field out).
const EDITORS = {
  text: (f, v, record) => simple(f, "input", { type: "text", value: v ?? "", readonly: f.primaryKey && record ? true : null,
    placeholder: f.primaryKey && !record ? "Leave empty to generate" : null }, (c) => (f.primaryKey && (record || !c.value) ? undefined : c.value)),
  email: (f, v) => simple(f, "input", { type: "email", value: v ?? "" }, (c) => c.value),
  url: (f, v) => simple(f, "input", { type: "url", value: v ?? "" }, (c) => c.value),
  editor: (f, v) => richTextEditor(f, v),
  number: (f, v) => simple(f, "input", { type: "number", step: "any", value: v ?? "" }, (c) => (c.value === "" ? null : Number(c.value))),
  bool: (f, v) => simple(f, "input", { type: "checkbox", checked: Boolean(v) }, (c) => c.checked),
  date: dateEditor,
  autodate: (f, v) => simple(f, "input", { type: "text", readonly: true, value: v || "(set on save)" }, () => undefined),
  relation: (f, v) => relationEditor(f, v),
  json: jsonEditor,
  select: (f, v) => {
    const chosen = new Set(list(v));
    const options = (f.values || []).map((opt) => h("option", { value: opt, selected: chosen.has(opt) }, opt));
    const control = h("select", { name: f.name, multiple: many(f) }, many(f) ? null : h("option", { value: "" }, "—"), options);
    return { node: control, value: () => (many(f) ? [...control.selectedOptions].map((o) => o.value) : control.value) };
  },
  geoPoint: (f, v) => {
    const lon = h("input", { type: "number", step: "any", min: -180, max: 180, name: `${f.name}.lon`, value: v?.lon ?? 0, "aria-label": "Longitude" });
    const lat = h("input", { type: "number", step: "any", min: -90, max: 90, name: `${f.name}.lat`, value: v?.lat ?? 0, "aria-label": "Latitude" });
    const link = h("a", { target: "_blank", rel: "noopener noreferrer", class: "small", "data-map-link": f.name }, "Open in OpenStreetMap");
    const update = () => (link.href = `https://www.openstreetmap.org/?mlat=${Number(lat.value)}&mlon=${Number(lon.value)}#map=12/${Number(lat.value)}/${Number(lon.value)}`);
    lon.addEventListener("input", update);
    lat.addEventListener("input", update);
    update();
    return {
      node: h("div", { class: "geo" }, h("label", { class: "inline" }, "Longitude", lon), h("label", { class: "inline" }, "Latitude", lat), link,
        geoMap(f, lon, lat)),
      value: () => {
        const point = { lon: Number(lon.value), lat: Number(lat.value) };
        if (!(Math.abs(point.lon) <= 180 && Math.abs(point.lat) <= 90)) throw new FieldError(f.name, "Longitude must be within ±180 and latitude within ±90.");
        return point;
      },
    };
  },
  file: fileEditor,
};

// A date-time picker in the browser's time zone, with "Now" and "Clear", and the UTC value shown.
function dateEditor(f, v) {
  const input = h("input", { type: "datetime-local", step: 1, name: f.name, "aria-label": f.name, value: toLocalInput(v) });
  const utc = h("small", { class: "muted", "data-utc": f.name });
  const show = () => (utc.textContent = input.value ? `UTC: ${fromLocalInput(input.value)}` : "");
  input.addEventListener("input", show);
  show();
  const set = (value) => () => {
    input.value = value;
    show();
  };
  return {
    node: h("div", { class: "date-editor" }, h("div", { class: "inline" }, input,
      h("button", { type: "button", class: "btn-plain small", onclick: () => set(toLocalInput(new Date().toISOString()))() }, "Now"),
      h("button", { type: "button", class: "btn-plain small", onclick: set("") }, "Clear")), utc),
    value: () => fromLocalInput(input.value),
  };
}

// A JSON text area checked as you type, with "Format".
function jsonEditor(f, v) {
  const area = h("textarea", { rows: 6, class: "mono", name: f.name, "aria-label": f.name, spellcheck: false, value: v === null || v === undefined ? "" : JSON.stringify(v, null, 2) });
  const state = h("small", { class: "muted", "data-json-state": f.name });
  const parse = () => (area.value.trim() ? JSON.parse(area.value) : null);
  const check = () => {
    try {
      parse();
      state.textContent = area.value.trim() ? "Valid JSON" : "Empty (null)";
      state.className = "muted";
    } catch (exc) {
      state.textContent = `Invalid JSON: ${exc.message}`;
      state.className = "error-text";
    }
  };
  area.addEventListener("input", check);
  check();
  const format = h("button", { type: "button", class: "btn-plain small", onclick: () => {
    try {
      const value = parse();
      area.value = value === null ? "" : JSON.stringify(value, null, 2);
    } catch {
      /* the message under the box says why */
    }
    check();
  } }, "Format");
  return {
    node: h("div", { class: "json-editor" }, area, h("div", { class: "inline" }, format, state)),
    value: () => {
      try {
        return parse();
      } catch (exc) {
        throw new FieldError(f.name, `Invalid JSON: ${exc.message}`);
      }
    },
  };
}

function fileEditor(f, v, record, collection) {
  const removed = new Set();
  const existing = list(v).map((name) => {
    const toggle = h("button", { type: "button", class: "btn-plain small", "data-remove-file": name }, "Remove");
    const link = h("a", { target: "_blank", rel: "noopener" }, name);
    const preview = isImage(name) ? h("img", { class: "thumb big", alt: name, width: 64, height: 64 }) : null;
    // protected files need a file token in the address
    fileHref(collection, record, f, name).then((href) => (link.href = href)).catch(() => {});
    if (preview) fileHref(collection, record, f, name, "100x100").then((href) => (preview.src = href)).catch(() => preview.remove());
    const item = h("li", null, preview, link, " ", toggle);
    toggle.addEventListener("click", () => {
      const gone = !removed.has(name);
      if (gone) removed.add(name);
      else removed.delete(name);
      item.classList.toggle("removed", gone);
      toggle.textContent = gone ? "Undo" : "Remove";
    });
    return item;
  });
  const input = h("input", { type: "file", name: f.name, multiple: many(f), "aria-label": `Upload ${f.name}` });
  return {
    node: h("div", { class: "files" }, existing.length ? h("ul", { class: "file-list" }, existing) : null, input),
    value: () => {
      if (!removed.size) return undefined;
      return many(f) ? undefined : "";
    },
    extra: () => (many(f) && removed.size ? { [`${f.name}-`]: [...removed] } : {}),
    // a new upload on a multiple field is appended; on a single one it replaces the file
    files: () => [...input.files].map((file) => [many(f) && record ? `${f.name}+` : f.name, file]),
  };
}

function passwordEditors(record) {
  const hint = record ? "Leave empty to keep the current password" : null;
  return ["password", "passwordConfirm"].map((name) => {
    const control = h("input", { type: "password", name, autocomplete: "new-password", placeholder: hint });
    const label = name === "password" ? "password" : "passwordConfirm (repeat)";
    return { name, label, node: control, value: () => (control.value || !record ? control.value : undefined) };
  });
}

function editorsFor(collection, record) {
  const editors = [];
  for (const field of collection.fields) {
    if (collection.type === "auth" && field.name === "tokenKey") continue;
    if (field.type === "password") {
      editors.push(...passwordEditors(record));
      continue;
    }
    const build = EDITORS[field.type] || EDITORS.text;
    const editor = build(field, record ? record[field.name] : undefined, record, collection);
    editors.push({ name: field.name, label: field.name + (field.required ? " *" : ""), type: field.type, ...editor });
  }
  return editors;
}

function payload(editors) {
  const body = {};
  const uploads = [];
  for (const editor of editors) {
    const value = editor.value();
    if (value !== undefined) body[editor.name] = value;
    if (editor.extra) Object.assign(body, editor.extra());
    if (editor.files) uploads.push(...editor.files());
  }
  if (!uploads.length) return body;
  const form = new FormData();
  form.append("@jsonPayload", JSON.stringify(body));
  for (const [name, file] of uploads) form.append(name, file);
  return form;
}

// "Impersonate": a token of this auth record (POST …/impersonate/{id}), for trying the
// API as that user; it is not refreshable and lasts the chosen duration.
function impersonateBox(collection, record) {
  const duration = h("input", { type: "number", min: 0, step: 60, value: 3600, "aria-label": "Token duration (seconds)", class: "narrow" });
  const out = h("div", { class: "token-box small", id: "impersonate-token" });
  const run = h("button", { type: "button", class: "btn-plain small", id: "impersonate", onclick: async () => {
    clear(out, "…");
    try {
      const result = await api("POST", `/api/collections/${encodeURIComponent(collection.name)}/impersonate/${encodeURIComponent(record.id)}`,
        { body: { duration: Number(duration.value) || 0 } });
      clear(out, h("code", { class: "mono", "data-token": "" }, result.token), " ",
        h("button", { type: "button", class: "btn-plain small", onclick: () => navigator.clipboard?.writeText(result.token) }, "Copy"));
    } catch (err) {
      clear(out, h("span", { class: "error-text" }, err.message));
    }
  } }, "Impersonate");
  return h("details", { class: "impersonate" }, h("summary", { class: "small" }, "Impersonate this user"),
    h("p", { class: "muted small" }, "A token that acts as this record in the API (0 = the collection's auth token duration)."),
    h("div", { class: "inline wrap" }, duration, run), out);
}

// The user's OAuth2 links, pending one-time passwords and MFA sessions, read from the
// system collections (loaded when opened); a link can be removed.
function authRecordsBox(collection, record) {
  const area = h("div", { class: "stack small", id: "auth-records" }, "Loading…");
  const filter = `recordRef = "${record.id}" && collectionRef = "${collection.id}"`;
  const load = async () => {
    try {
      const [links, otps, mfas] = await Promise.all(["_externalAuths", "_otps", "_mfas"].map((name) =>
        api("GET", `/api/collections/${name}/records`, { query: { filter, perPage: 50, sort: "-created" } })));
      clear(area,
        h("div", null, h("strong", null, "OAuth2 links: "), links.items.length ? null : "none"),
        links.items.length ? h("ul", { class: "file-list" }, links.items.map((l) => h("li", { "data-external-auth": l.provider },
          `${l.provider} (${l.providerId})`, " ",
          h("button", { type: "button", class: "btn-plain small", onclick: async () => {
            if (!confirm(`Unlink ${l.provider}?`)) return;
            await api("DELETE", `/api/collections/_externalAuths/records/${encodeURIComponent(l.id)}`);
            load();
          } }, "Unlink")))) : null,
        h("div", null, h("strong", null, "One-time passwords: "), `${otps.totalItems} pending`),
        h("div", null, h("strong", null, "MFA sessions: "), `${mfas.totalItems}`));
    } catch (err) {
      clear(area, h("span", { class: "error-text" }, err.message));
    }
  };
  const box = h("details", { class: "auth-records" }, h("summary", { class: "small" }, "OAuth2 links, OTPs and MFA"), area);
  box.addEventListener("toggle", () => box.open && load(), { once: true });
  return box;
}

export function openRecordForm(collection, record, onSaved) {
  const editors = editorsFor(collection, record);
  const base = `/api/collections/${encodeURIComponent(collection.name)}/records`;
  const form = h(
    "form",
    { class: "stack record-form", novalidate: true },
    editors.map((e) => (GROUPED.has(e.type)
      ? h("div", { class: "field", role: "group", "aria-label": e.name }, h("span", { class: "field-label" }, e.label), e.node, errorSlot(e.name))
      : labelled(e.label, e.node, e.name))),
    record ? h("details", { class: "record-json" }, h("summary", { class: "small" }, "Record JSON"), h("pre", { class: "json", id: "record-json" }, JSON.stringify(record, null, 2))) : null,
    record && collection.type === "auth" ? impersonateBox(collection, record) : null,
    record && collection.type === "auth" ? authRecordsBox(collection, record) : null,
    h("div", { class: "form-error", role: "alert" }),
    h("div", { class: "form-actions" },
      record ? h("button", { type: "button", class: "btn-danger", id: "delete-record" }, "Delete") : null,
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "btn-plain", value: "cancel", onclick: () => dialog.close() }, "Cancel"),
      h("button", { type: "submit", class: "btn", id: "save-record" }, record ? "Save changes" : "Create")),
  );
  const dialog = openDialog(record ? `Edit ${collection.name} record ${record.id}` : `New ${collection.name} record`, form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const body = payload(editors);
      if (record) await api("PATCH", `${base}/${encodeURIComponent(record.id)}`, { body });
      else await api("POST", base, { body });
      dialog.close();
      onSaved();
    });
  });
  form.querySelector("#delete-record")?.addEventListener("click", () => {
    if (!window.confirm(`Delete record ${record.id}? This cannot be undone.`)) return;
    submitting(form, async () => {
      await api("DELETE", `${base}/${encodeURIComponent(record.id)}`);
      dialog.close();
      onSaved();
    });
  });
  return dialog;
}
