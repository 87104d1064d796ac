// The record form: one editor per field of the collection, saved as JSON, or as
// multipart (@jsonPayload + file parts) when files are uploaded.

import { ApiError, api, fileUrl } from "./api.js";
import { h, labelled, openDialog, submitting } from "./dom.js";

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
  editor: (f, v) => simple(f, "textarea", { rows: 6, value: v ?? "" }, (c) => c.value),
  number: (f, v) => simple(f, "input", { type: "number", step: "any", value: v ?? "" }, (c) => (c.value === "" ? null : Number(c.value))),
  bool: (f, v) => simple(f, "input", { type: "checkbox", checked: Boolean(v) }, (c) => c.checked),
  date: (f, v) => simple(f, "input", { type: "datetime-local", step: 1, value: toLocalInput(v) }, (c) => fromLocalInput(c.value)),
  autodate: (f, v) => simple(f, "input", { type: "text", readonly: true, value: v || "(set on save)" }, () => undefined),
  relation: (f, v) => simple(f, "input", { type: "text", value: list(v).join(", "), placeholder: "Record ids, comma-separated" }, (c) => {
    const ids = c.value.split(",").map((s) => s.trim()).filter(Boolean);
    return many(f) ? ids : ids[0] || "";
  }),
  json: (f, v) => simple(f, "textarea", { rows: 5, class: "mono", value: v === null || v === undefined ? "" : JSON.stringify(v, null, 2) }, (c) => {
    if (!c.value.trim()) return null;
    try {
      return JSON.parse(c.value);
    } catch (exc) {
      throw new FieldError(f.name, `Invalid JSON: ${exc.message}`);
    }
  }),
  select: (f, v) => {
    const chosen = new Set(list(v));
    const options = (f.values || []).map((opt) => h("option", { value: opt, selected: chosen.has(opt) }, opt));
    const control = h("select", { name: f.name, multiple: many(f) }, many(f) ? null : h("option", { value: "" }, "—"), options);
    return { node: control, value: () => (many(f) ? [...control.selectedOptions].map((o) => o.value) : control.value) };
  },
  geoPoint: (f, v) => {
    const lon = h("input", { type: "number", step: "any", name: `${f.name}.lon`, value: v?.lon ?? 0, "aria-label": "Longitude" });
    const lat = h("input", { type: "number", step: "any", name: `${f.name}.lat`, value: v?.lat ?? 0, "aria-label": "Latitude" });
    return { node: h("div", { class: "row" }, "lon", lon, "lat", lat), value: () => ({ lon: Number(lon.value), lat: Number(lat.value) }) };
  },
  file: fileEditor,
};

function fileEditor(f, v, record, collection) {
  const removed = new Set();
  const existing = list(v).map((name) => {
    const toggle = h("button", { type: "button", class: "btn-plain small", "data-remove-file": name }, "Remove");
    const item = h("li", null, h("a", { href: fileUrl(collection.id, record.id, name), target: "_blank", rel: "noopener" }, name), " ", toggle);
    toggle.addEventListener("click", () => {
      const gone = !removed.has(name);
      if (gone) removed.add(name);
      else removed.delete(name);
      item.classList.toggle("removed", gone);
      toggle.textContent = gone ? "Undo" : "Remove";
    });
    return item;
  });
  const input = h("input", { type: "file", name: f.name, multiple: many(f) });
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

export function openRecordForm(collection, record, onSaved) {
  const editors = editorsFor(collection, record);
  const base = `/api/collections/${encodeURIComponent(collection.name)}/records`;
  const form = h(
    "form",
    { class: "stack record-form", novalidate: true },
    editors.map((e) => labelled(e.label, e.node, e.name)),
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
