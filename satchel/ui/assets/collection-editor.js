// The collection editor, in tabs: fields (every option, order), indexes (with their
// SQL), the API rules (and for auth collections the auth and manage rules), the auth
// options, and for a view its query with the server's dry run of it (fields, sample rows). "Duplicate",
// "Truncate" and "Delete" act on a saved collection.

import { api, forgetCollections } from "./api.js";
import { clear, errorSlot, h, labelled, openDialog, submitting } from "./dom.js";
import { DEFAULTS, FIELD_TYPES, fieldOptions } from "./field-options.js";
import { indexesSection } from "./indexes.js";
import { authOptionsSection } from "./auth-options.js";
import { attachCompletion, candidates, collectionLoader, pathCandidates } from "./rule-complete.js";

const RULES = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"];
const AUTH_RULES = ["authRule", "manageRule"];
const RULE_HELP = {
  authRule: "Who may authenticate, on top of the password/OAuth2/OTP check; empty = every account (e.g. verified = true).",
  manageRule: "Who may manage other accounts of this collection (change their email, password…) without their old password.",
};
const TIMESTAMPS = [
  { name: "created", type: "autodate", onCreate: true, onUpdate: false },
  { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
];

let scaffolds = null;
async function scaffold(type) {
  scaffolds = scaffolds || (await api("GET", "/api/collections/meta/scaffolds"));
  const copy = structuredClone(scaffolds[type]);
  if (type !== "view") copy.fields.push(...structuredClone(TIMESTAMPS));
  return copy;
}

function fieldRows(draft, field, index, collections, redraw) {
  const name = h("input", { type: "text", value: field.name, disabled: field.system, "aria-label": "Field name", "data-field-name": field.name,
    oninput: (e) => (field.name = e.target.value) });
  const required = field.type === "autodate" ? h("span") : h("input", { type: "checkbox", checked: Boolean(field.required), disabled: field.system && field.name === "id",
    "aria-label": `${field.name} required`, onchange: (e) => (field.required = e.target.checked) });
  const move = (delta) => () => {
    const to = index + delta;
    if (to < 0 || to >= draft.fields.length) return;
    [draft.fields[index], draft.fields[to]] = [draft.fields[to], draft.fields[index]];
    redraw();
  };
  const options = h("tr", { class: "options-row", hidden: true }, h("td", { colspan: 5 }, fieldOptions(field, index, collections)));
  const toggle = h("button", { type: "button", class: "btn-plain small", "data-options-toggle": field.name, "aria-expanded": "false", onclick: () => {
    options.hidden = !options.hidden;
    toggle.setAttribute("aria-expanded", String(!options.hidden));
  } }, "Options");
  const remove = field.system ? null : h("button", { type: "button", class: "btn-plain small", "data-remove-field": field.name,
    onclick: () => { draft.fields.splice(index, 1); redraw(); } }, "Remove");
  return [h("tr", { class: field.system ? "system" : null, "data-field-row": field.name },
    h("td", null, name, errorSlot(`fields.${index}.name`)),
    h("td", { class: "mono" }, field.type, field.hidden ? " (hidden)" : "", field.system ? h("span", { class: "muted small" }, " system") : null),
    h("td", { class: "center" }, required),
    h("td", { class: "row-actions" }, toggle,
      h("button", { type: "button", class: "btn-plain small", "aria-label": `Move ${field.name} up`, disabled: index === 0, onclick: move(-1) }, "↑"),
      h("button", { type: "button", class: "btn-plain small", "aria-label": `Move ${field.name} down`, disabled: index === draft.fields.length - 1, onclick: move(1) }, "↓")),
    h("td", null, remove)), options];
}

function addFieldRow(draft, redraw) {
  const name = h("input", { type: "text", id: "new-field-name", placeholder: "new field name", "aria-label": "New field name" });
  const type = h("select", { id: "new-field-type", "aria-label": "New field type" }, FIELD_TYPES.map((t) => h("option", { value: t }, t)));
  const required = h("input", { type: "checkbox", id: "new-field-required", "aria-label": "New field required" });
  const add = () => {
    if (!name.value.trim()) return name.focus();
    draft.fields.push({ name: name.value.trim(), type: type.value, required: required.checked, ...structuredClone(DEFAULTS[type.value] || {}) });
    redraw();
    document.getElementById("new-field-name")?.focus();
  };
  name.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); add(); } });
  return h("tr", { class: "add-field" }, h("td", null, name), h("td", null, type), h("td", { class: "center" }, required),
    h("td"), h("td", null, h("button", { type: "button", class: "btn-plain small", id: "add-field", onclick: add }, "Add field")));
}

function fieldsSection(draft, collections, onChange) {
  const body = h("tbody");
  const redraw = () => {
    clear(body, draft.fields.map((f, i) => fieldRows(draft, f, i, collections, redraw)), addFieldRow(draft, redraw));
    onChange();
  };
  redraw();
  return h("fieldset", { class: "fields-editor" }, h("legend", null, "Fields"),
    h("div", { class: "table-wrap plain" }, h("table", null, h("thead", null, h("tr", null, ["Name", "Type", "Required", "", ""].map((t) => h("th", null, t)))), body)));
}

function ruleEditor(draft, rule, collections, loadCollection) {
  const text = h("textarea", { name: rule, rows: 1, class: "mono", value: draft[rule] ?? "", disabled: draft[rule] === null, "aria-label": rule,
    placeholder: "empty = everyone; e.g. @request.auth.id != ''", oninput: (e) => (draft[rule] = e.target.value) });
  const suggestions = attachCompletion(text, async (word) => {
    const deeper = await pathCandidates(word, draft, collections, loadCollection);
    return [...new Set([...candidates(draft, collections), ...deeper])];
  });
  const locked = h("input", { type: "checkbox", name: `${rule}-locked`, checked: draft[rule] === null, onchange: (e) => {
    text.disabled = e.target.checked;
    draft[rule] = e.target.checked ? null : text.value;
  } });
  return h("div", { class: "rule" }, h("div", { class: "rule-head" }, h("span", { class: "field-label" }, rule),
    h("label", { class: "inline small" }, locked, "Superusers only")), text, suggestions, RULE_HELP[rule] ? h("small", { class: "muted" }, RULE_HELP[rule]) : null, errorSlot(rule));
}

function rulesSection(draft, collections) {
  // relation targets fetched once per editor, so a path follows the server's current fields
  const loadCollection = collectionLoader((id) => api("GET", `/api/collections/${encodeURIComponent(id)}`), collections);
  return h("fieldset", null, h("legend", null, "API rules"),
    h("p", { class: "muted small" }, "A rule is a filter over the record and @request.auth / @request.body / @request.query / @collection.*; the server checks it when you save."),
    h("p", { class: "muted small" }, "Suggestions follow what you type (Tab takes the first): fields (type a dot after a relation or a <collection>_via_<field> back-relation for its fields, at any depth), @request.*, @collection.*, date macros and :modifiers."),
    RULES.map((rule) => ruleEditor(draft, rule, collections, loadCollection)),
    draft.type === "auth" ? AUTH_RULES.map((rule) => ruleEditor(draft, rule, collections, loadCollection)) : null);
}

// The server's dry run of the view (what PocketBase's UI calls): the fields it would
// infer and up to 10 sample records, or the server's own error for a bad query.
function viewSection(draft) {
  const query = h("textarea", { name: "viewQuery", rows: 5, class: "mono", value: draft.viewQuery || "", placeholder: "SELECT id, title FROM posts",
    "aria-label": "View query", oninput: (e) => (draft.viewQuery = e.target.value) });
  const out = h("div", { id: "view-preview", "aria-live": "polite" });
  const preview = h("button", { type: "button", class: "btn-plain small", id: "preview-view", onclick: async () => {
    clear(out, h("p", { class: "muted small" }, "Running…"));
    try {
      clear(out, dryRunResult(await api("POST", "/api/collections/meta/dry-run-view", { body: { query: draft.viewQuery || "" } })));
    } catch (err) {
      const detail = err.data?.query?.message;
      clear(out, h("p", { class: "notice error", role: "alert", id: "view-preview-error" }, detail ? `${err.message} ${detail}` : err.message));
    }
  } }, "Preview the view");
  return h("fieldset", null, h("legend", null, "View query"), query, errorSlot("viewQuery"), h("div", null, preview), out);
}

function dryRunResult(result) {
  const fields = result.fields || [];
  const sample = result.sample || [];
  const names = fields.map((f) => f.name);
  return [
    h("p", { class: "muted small", id: "view-preview-summary" },
      `${fields.length} field${fields.length === 1 ? "" : "s"} · ${sample.length} sample record${sample.length === 1 ? "" : "s"}`),
    h("ul", { class: "view-fields", id: "view-preview-fields", "aria-label": "Fields of the view" },
      fields.map((f) => h("li", { class: "mono small" }, `${f.name} `, h("span", { class: "muted" }, f.type)))),
    names.length ? h("div", { class: "table-wrap sql-result" }, h("table", { class: "sql" },
      h("thead", null, h("tr", null, names.map((n) => h("th", null, n)))),
      h("tbody", null, sample.map((row) => h("tr", null, names.map((n) => cell(row[n]))))))) : null,
  ];
}

function cell(value) {
  if (value === null || value === undefined) return h("td", { class: "muted" }, "NULL");
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return h("td", { title: text.slice(0, 2000) }, text);
}

function body(draft) {
  const out = structuredClone(draft);
  for (const key of ["created", "updated", "system"]) delete out[key];
  if (!out.id) delete out.id;
  for (const rule of [...RULES, ...(draft.type === "auth" ? AUTH_RULES : [])]) out[rule] = draft[rule] ?? null;
  if (draft.type === "view") delete out.fields;
  return out;
}

function tabs(panels) {
  const bar = h("div", { class: "tabs", role: "tablist" });
  const buttons = panels.map(([name, label], i) => h("button", { type: "button", role: "tab", class: "tab", "data-tab": name, "aria-selected": String(i === 0),
    onclick: () => {
      for (const [n, , node] of panels) node.hidden = n !== name;
      for (const b of buttons) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    } }, label));
  bar.append(...buttons);
  panels.forEach(([, , node], i) => { node.hidden = i !== 0; });
  return [bar, panels.map(([, , node]) => node)];
}

function editorForm(draft, existing, collections, go, dialog) {
  const form = h("form", { class: "stack collection-form", novalidate: true });
  const typeSelect = h("select", { name: "type", disabled: Boolean(existing), onchange: async (e) => {
    const fresh = await scaffold(e.target.value);
    const own = draft.fields.filter((f) => !f.system && !TIMESTAMPS.some((t) => t.name === f.name));
    const keep = { id: draft.id, name: draft.name };
    for (const key of Object.keys(draft)) delete draft[key];
    Object.assign(draft, fresh, keep, { fields: fresh.type === "view" ? [] : [...fresh.fields, ...own] });
    if (!keep.id) delete draft.id;
    draw();
  } }, ["base", "auth", "view"].map((t) => h("option", { value: t, selected: draft.type === t }, t)));
  const act = (label, id, run, cls = "btn-plain") => h("button", { type: "button", class: cls, id, onclick: run }, label);
  const draw = () => {
    const name = h("input", { type: "text", name: "name", value: draft.name, disabled: Boolean(existing?.system), oninput: (e) => (draft.name = e.target.value) });
    const indexesBox = h("div");
    const drawIndexes = () => clear(indexesBox, indexesSection(draft));
    const panels = [];
    if (draft.type === "view") panels.push(["query", "Query", h("div", { class: "stack" }, viewSection(draft))]);
    else panels.push(["fields", "Fields", h("div", { class: "stack" }, fieldsSection(draft, collections, drawIndexes))]);
    if (draft.type !== "view") panels.push(["indexes", "Indexes", indexesBox]);
    panels.push(["rules", "API rules", h("div", { class: "stack" }, rulesSection(draft, collections))]);
    if (draft.type === "auth") panels.push(["auth", "Auth options", authOptionsSection(draft, collections)]);
    const [bar, nodes] = tabs(panels);
    clear(form,
      h("div", { class: "row" }, labelled("Name", name, "name"), labelled("Type", typeSelect, "type")),
      bar, nodes,
      h("div", { class: "form-error", role: "alert" }),
      h("div", { class: "form-actions" },
        existing && !existing.system ? act("Delete collection", "delete-collection", remove, "btn-danger") : null,
        existing && existing.type !== "view" ? act("Truncate", "truncate-collection", truncate, "btn-danger") : null,
        existing && !existing.system ? act("Duplicate", "duplicate-collection", duplicate) : null,
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "btn-plain", onclick: () => dialog().close() }, "Cancel"),
        h("button", { type: "submit", class: "btn", id: "save-collection" }, existing ? "Save changes" : "Create collection")));
  };
  const remove = () => {
    if (!window.confirm(`Delete the collection "${existing.name}" and all its records? This cannot be undone.`)) return;
    submitting(form, async () => {
      await api("DELETE", `/api/collections/${encodeURIComponent(existing.id)}`);
      forgetCollections();
      dialog().close();
      go("collections");
    });
  };
  const truncate = () => {
    if (!window.confirm(`Delete every record of "${existing.name}"? The collection stays. This cannot be undone.`)) return;
    submitting(form, async () => {
      await api("DELETE", `/api/collections/${encodeURIComponent(existing.id)}/truncate`);
      dialog().close();
      go("collections", { collection: existing.name });
    });
  };
  const duplicate = () => {
    const copy = structuredClone(existing);
    for (const key of ["id", "created", "updated"]) delete copy[key];
    copy.name = `${existing.name}_copy`;
    copy.system = false;
    for (const f of copy.fields || []) delete f.id;
    // the copy's indexes need names of their own
    copy.indexes = (copy.indexes || []).map((sql) => sql.replace(/INDEX\s+(IF NOT EXISTS\s+)?[`"']?(\w+)[`"']?/i, (m, ine, n) => `INDEX ${ine || ""}\`${n}_copy\``)
      .replace(new RegExp(`ON\\s+[\`"']?${existing.name}[\`"']?`, "i"), `ON \`${copy.name}\``));
    dialog().close();
    openEditorWith(copy, null, collections, go);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      const saved = existing
        ? await api("PATCH", `/api/collections/${encodeURIComponent(existing.id)}`, { body: body(draft) })
        : await api("POST", "/api/collections", { body: body(draft) });
      forgetCollections();
      dialog().close();
      go("collections", { collection: saved.name });
    });
  });
  draw();
  return form;
}

function openEditorWith(draft, existing, collections, go) {
  let dialog = null;
  const form = editorForm(draft, existing, collections, go, () => dialog);
  dialog = openDialog(existing ? `Edit collection ${existing.name}` : draft.name ? `New collection (copy of ${draft.name.replace(/_copy$/, "")})` : "New collection", form);
  dialog.classList.add("wide-panel");
  return dialog;
}

export async function openCollectionEditor(existing, collections, go) {
  let draft;
  try {
    draft = existing ? structuredClone(existing) : await scaffold("base");
  } catch (err) {
    window.alert(err.message);
    return;
  }
  return openEditorWith(draft, existing, collections, go);
}
