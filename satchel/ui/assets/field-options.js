// Every option of every field type, declared as data and drawn as one small form per
// field. Kinds: int, number, text, bool, list (comma-separated strings), collection.

import { h } from "./dom.js";

const COMMON = [
  ["hidden", "bool", "Hidden (only superusers see it)"],
  ["presentable", "bool", "Presentable (labels the record in relation pickers)"],
  ["help", "text", "Help text"],
];

export const OPTIONS = {
  text: [["min", "int", "Min length"], ["max", "int", "Max length"], ["pattern", "text", "Pattern (regex)"],
    ["autogeneratePattern", "text", "Autogenerate pattern, e.g. [a-z0-9]{8}"]],
  editor: [["maxSize", "int", "Max size (bytes)"], ["convertURLs", "bool", "Convert URLs to relative"]],
  number: [["min", "number", "Min"], ["max", "number", "Max"], ["onlyInt", "bool", "Integers only"]],
  bool: [],
  email: [["exceptDomains", "list", "Except domains"], ["onlyDomains", "list", "Only domains"]],
  url: [["exceptDomains", "list", "Except domains"], ["onlyDomains", "list", "Only domains"]],
  date: [["min", "text", "Min (YYYY-MM-DD HH:MM:SS.sssZ)"], ["max", "text", "Max (YYYY-MM-DD HH:MM:SS.sssZ)"]],
  autodate: [["onCreate", "bool", "Set on create"], ["onUpdate", "bool", "Set on update"]],
  select: [["values", "list", "Values"], ["maxSelect", "int", "Max select (1 = single)"]],
  file: [["maxSelect", "int", "Max files (1 = single)"], ["maxSize", "int", "Max size per file (bytes, 0 = 5 MB)"],
    ["mimeTypes", "list", "MIME types, e.g. image/png, image/jpeg"], ["thumbs", "list", "Thumb sizes, e.g. 100x100, 0x300"],
    ["protected", "bool", "Protected (needs a file token)"]],
  relation: [["collectionId", "collection", "Related collection"], ["minSelect", "int", "Min select"],
    ["maxSelect", "int", "Max select (1 = single)"], ["cascadeDelete", "bool", "Delete this record when the related one is deleted"]],
  json: [["maxSize", "int", "Max size (bytes, 0 = 1 MB)"]],
  geoPoint: [],
  password: [["min", "int", "Min length"], ["max", "int", "Max length"], ["pattern", "text", "Pattern (regex)"], ["cost", "int", "bcrypt cost"]],
};

export const FIELD_TYPES = ["text", "editor", "number", "bool", "email", "url", "date", "autodate", "select", "file", "relation", "json", "geoPoint"];

export const DEFAULTS = {
  select: { values: [], maxSelect: 1 },
  relation: { collectionId: "", maxSelect: 1, cascadeDelete: false, minSelect: 0 },
  file: { maxSelect: 1, maxSize: 0, mimeTypes: [], thumbs: [], protected: false },
  autodate: { onCreate: true, onUpdate: false },
};

function optionControl(field, [key, kind, label], index, collections) {
  const id = `opt-${index}-${key}`;
  const errorFor = `fields.${index}.${key}`;
  const slot = h("div", { class: "field-error", "data-error-for": errorFor, role: "alert" });
  if (kind === "bool") {
    return h("div", { class: "check" }, h("label", { class: "inline small" },
      h("input", { type: "checkbox", id, "data-option": key, checked: Boolean(field[key]), onchange: (e) => (field[key] = e.target.checked) }), label), slot);
  }
  let input;
  if (kind === "collection") {
    input = h("select", { id, "data-option": key, onchange: (e) => (field[key] = e.target.value) },
      h("option", { value: "" }, "— collection —"),
      collections.map((c) => h("option", { value: c.id, selected: c.id === field[key] }, c.name)));
  } else if (kind === "list") {
    input = h("input", { type: "text", id, "data-option": key, value: (field[key] || []).join(", "),
      onchange: (e) => (field[key] = e.target.value.split(",").map((s) => s.trim()).filter(Boolean)) });
  } else if (kind === "int" || kind === "number") {
    input = h("input", { type: "number", id, "data-option": key, step: kind === "int" ? 1 : "any", value: field[key] ?? "",
      onchange: (e) => (field[key] = e.target.value === "" ? 0 : Number(e.target.value)) });
  } else {
    input = h("input", { type: "text", id, "data-option": key, value: field[key] ?? "", class: key === "pattern" || key === "autogeneratePattern" ? "mono" : null,
      oninput: (e) => (field[key] = e.target.value) });
  }
  return h("div", { class: "field" }, h("label", { class: "field-label small", for: id }, label), input, slot);
}

// The options form of one field (system fields show theirs read-only: PocketBase lets a few be
// changed, the API says which).
export function fieldOptions(field, index, collections) {
  const specs = [...(OPTIONS[field.type] || []), ...COMMON];
  return h("div", { class: "field-options", "data-options-for": field.name },
    specs.map((spec) => optionControl(field, spec, index, collections)));
}
