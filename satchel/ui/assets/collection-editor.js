// The collection editor: name, type, fields, view query and the five API rules.

import { api, forgetCollections } from "./api.js";
import { clear, errorSlot, h, labelled, openDialog, submitting } from "./dom.js";

const RULES = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"];
const FIELD_TYPES = ["text", "editor", "number", "bool", "email", "url", "date", "autodate", "select", "file", "relation", "json", "geoPoint"];
const DEFAULTS = {
  select: { values: [], maxSelect: 1 },
  relation: { collectionId: "", maxSelect: 1, cascadeDelete: false },
  file: { maxSelect: 1, maxSize: 0, mimeTypes: [] },
  autodate: { onCreate: true, onUpdate: false },
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

const numberInput = (value, onchange, label) =>
  h("input", { type: "number", min: 0, step: 1, class: "narrow", value: value ?? 1, "aria-label": label, onchange: (e) => onchange(Number(e.target.value)) });

// The options a new or user field of a few types cannot do without.
function optionsCell(field, index, collections) {
  if (field.system) return h("td", { class: "muted small" }, "system");
  const max = numberInput(field.maxSelect, (v) => (field.maxSelect = v), "Max select");
  if (field.type === "select") {
    const values = h("input", { type: "text", value: (field.values || []).join(", "), placeholder: "values, comma-separated", "aria-label": "Values",
      onchange: (e) => (field.values = e.target.value.split(",").map((s) => s.trim()).filter(Boolean)) });
    return h("td", null, values, " max ", max, errorSlot(`fields.${index}.values`));
  }
  if (field.type === "relation") {
    const target = h("select", { "aria-label": "Related collection", onchange: (e) => (field.collectionId = e.target.value) },
      h("option", { value: "" }, "— collection —"),
      collections.map((c) => h("option", { value: c.id, selected: c.id === field.collectionId }, c.name)));
    return h("td", null, target, " max ", max, errorSlot(`fields.${index}.collectionId`));
  }
  if (field.type === "file") return h("td", null, "max files ", max, errorSlot(`fields.${index}.maxSelect`));
  return h("td");
}

function fieldRow(draft, field, index, collections, redraw) {
  const name = h("input", { type: "text", value: field.name, disabled: field.system, "aria-label": "Field name", "data-field-name": field.name,
    oninput: (e) => (field.name = e.target.value) });
  const required = field.type === "autodate" ? h("span") : h("input", { type: "checkbox", checked: Boolean(field.required), disabled: field.system,
    "aria-label": "Required", onchange: (e) => (field.required = e.target.checked) });
  const remove = field.system ? null : h("button", { type: "button", class: "btn-plain small", "data-remove-field": field.name,
    onclick: () => { draft.fields.splice(index, 1); redraw(); } }, "Remove");
  return h("tr", { class: field.system ? "system" : null },
    h("td", null, name, errorSlot(`fields.${index}.name`)),
    h("td", { class: "mono" }, field.type, field.hidden ? " (hidden)" : ""),
    h("td", { class: "center" }, required),
    optionsCell(field, index, collections),
    h("td", null, remove));
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

function fieldsSection(draft, collections) {
  const body = h("tbody");
  const redraw = () => clear(body, draft.fields.map((f, i) => fieldRow(draft, f, i, collections, redraw)), addFieldRow(draft, redraw));
  redraw();
  return h("fieldset", { class: "fields-editor" }, h("legend", null, "Fields"),
    h("table", null, h("thead", null, h("tr", null, ["Name", "Type", "Required", "Options", ""].map((t) => h("th", null, t)))), body));
}

function rulesSection(draft) {
  const rows = RULES.map((rule) => {
    const text = h("textarea", { name: rule, rows: 1, class: "mono", value: draft[rule] ?? "", disabled: draft[rule] === null,
      placeholder: "empty = everyone; e.g. @request.auth.id != ''", oninput: (e) => (draft[rule] = e.target.value) });
    const locked = h("input", { type: "checkbox", name: `${rule}-locked`, checked: draft[rule] === null, onchange: (e) => {
      text.disabled = e.target.checked;
      draft[rule] = e.target.checked ? null : text.value;
    } });
    return h("div", { class: "rule" }, h("div", { class: "rule-head" }, h("span", { class: "field-label" }, rule),
      h("label", { class: "inline small" }, locked, "Superusers only")), text, errorSlot(rule));
  });
  return h("fieldset", null, h("legend", null, "API rules"), rows);
}

function body(draft) {
  const out = { name: draft.name, type: draft.type };
  for (const rule of RULES) out[rule] = draft[rule] ?? null;
  if (draft.type === "view") out.viewQuery = draft.viewQuery || "";
  else out.fields = draft.fields;
  return out;
}

function editorForm(draft, existing, collections, go, dialog) {
  const form = h("form", { class: "stack collection-form", novalidate: true });
  const typeSelect = h("select", { name: "type", disabled: Boolean(existing), onchange: async (e) => {
    const fresh = await scaffold(e.target.value);
    const own = draft.fields.filter((f) => !f.system && !TIMESTAMPS.some((t) => t.name === f.name));
    Object.assign(draft, { type: fresh.type, fields: fresh.type === "view" ? [] : [...fresh.fields, ...own], viewQuery: fresh.viewQuery ?? "" });
    draw();
  } }, ["base", "auth", "view"].map((t) => h("option", { value: t, selected: draft.type === t }, t)));
  const draw = () => {
    const name = h("input", { type: "text", name: "name", value: draft.name, disabled: Boolean(existing?.system), oninput: (e) => (draft.name = e.target.value) });
    const query = h("textarea", { name: "viewQuery", rows: 4, class: "mono", value: draft.viewQuery || "", placeholder: "SELECT id, title FROM posts",
      oninput: (e) => (draft.viewQuery = e.target.value) });
    clear(form,
      h("div", { class: "row" }, labelled("Name", name, "name"), labelled("Type", typeSelect, "type")),
      draft.type === "view" ? labelled("View query", query, "viewQuery") : fieldsSection(draft, collections),
      rulesSection(draft),
      h("div", { class: "form-error", role: "alert" }),
      h("div", { class: "form-actions" },
        existing && !existing.system ? h("button", { type: "button", class: "btn-danger", id: "delete-collection", onclick: remove }, "Delete collection") : null,
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

export async function openCollectionEditor(existing, collections, go) {
  let draft;
  try {
    draft = existing ? structuredClone(existing) : await scaffold("base");
  } catch (err) {
    window.alert(err.message);
    return;
  }
  let dialog = null;
  const form = editorForm(draft, existing, collections, go, () => dialog);
  dialog = openDialog(existing ? `Edit collection ${existing.name}` : "New collection", form);
}
