// The relation editor of the record form: the chosen records as chips (with their
// presentable fields), and "Pick…", a searchable list of the target collection's records.

import { api, listCollections } from "./api.js";
import { clear, h, openDialog, summary } from "./dom.js";
import { searchFilter } from "./search.js";

const PER_PAGE = 20;

// A record's short label: its presentable fields, else the first text-like value, else its id.
export function recordLabel(collection, record) {
  const shown = collection.fields.filter((f) => f.presentable && !f.hidden).map((f) => record[f.name]).filter((v) => v !== "" && v != null);
  if (shown.length) return summary(shown.join(" · "), 60);
  const text = collection.fields.find((f) => ["text", "email"].includes(f.type) && !f.primaryKey && !f.hidden && record[f.name]);
  return text ? summary(record[text.name], 60) : record.id;
}

async function targetOf(field) {
  const collections = await listCollections();
  const target = collections.find((c) => c.id === field.collectionId || c.name === field.collectionId);
  if (!target) throw new Error(`The related collection ${field.collectionId} is missing.`);
  return target;
}

function openPicker(field, target, chosen, multiple, onDone) {
  const picked = new Set(chosen);
  const input = h("input", { type: "search", "aria-label": "Search related records", placeholder: "Search words or a filter" });
  const list = h("ul", { class: "pick-list", id: "pick-list" });
  const info = h("p", { class: "muted small", id: "pick-info" });
  let page = 1;
  const load = async () => {
    try {
      const result = await api("GET", `/api/collections/${encodeURIComponent(target.name)}/records`, {
        query: { page, perPage: PER_PAGE, filter: searchFilter(input.value, target), sort: "-@rowid" } });
      clear(list, result.items.map((r) => h("li", null, h("label", { class: "inline" },
        h("input", { type: multiple ? "checkbox" : "radio", name: "pick", value: r.id, checked: picked.has(r.id), "data-pick": r.id, onchange: (event) => {
          if (!multiple) picked.clear();
          if (event.target.checked) picked.add(r.id);
          else picked.delete(r.id);
        } }),
        h("span", null, recordLabel(target, r)), h("span", { class: "muted mono small" }, r.id)))));
      clear(info, `${result.totalItems} record${result.totalItems === 1 ? "" : "s"} · page ${result.page} of ${Math.max(result.totalPages, 1)}`,
        " ", h("button", { type: "button", class: "btn-plain small", disabled: result.page <= 1, onclick: () => { page -= 1; load(); } }, "←"),
        " ", h("button", { type: "button", class: "btn-plain small", disabled: result.page >= result.totalPages, onclick: () => { page += 1; load(); } }, "→"));
    } catch (err) {
      clear(list, h("li", { class: "error-text" }, err.message));
    }
  };
  const form = h("form", { class: "search", onsubmit: (event) => {
    event.preventDefault();
    page = 1;
    load();
  } }, input, h("button", { type: "submit", class: "btn-plain" }, "Search"));
  const dialog = openDialog(`Pick ${target.name} record${multiple ? "s" : ""}`,
    h("div", { class: "panel-body stack" }, form, info, list,
      h("div", { class: "form-actions" }, h("span", { class: "spacer" }),
        h("button", { type: "button", class: "btn-plain", onclick: () => dialog.close() }, "Cancel"),
        h("button", { type: "button", class: "btn", id: "pick-done", onclick: () => {
          onDone([...picked]);
          dialog.close();
        } }, "Set selection"))));
  load();
  input.focus();
}

export function relationEditor(field, value) {
  const multiple = (field.maxSelect || 1) > 1;
  let ids = Array.isArray(value) ? [...value] : value ? [value] : [];
  const chips = h("ul", { class: "chips", "data-relation": field.name });
  let target = null;
  const labels = new Map();
  const render = () => {
    clear(chips, ids.map((id) => h("li", { class: "chip", "data-id": id },
      h("span", null, labels.get(id) || id),
      h("button", { type: "button", class: "btn-plain small", "aria-label": `Remove ${id}`, onclick: () => {
        ids = ids.filter((x) => x !== id);
        render();
      } }, "×"))));
  };
  const loadLabels = async () => {
    target = target || (await targetOf(field));
    const missing = ids.filter((id) => !labels.has(id));
    if (!missing.length) return;
    const filter = missing.map((id) => `id = "${id.replace(/[\\"]/g, "")}"`).join(" || ");
    const result = await api("GET", `/api/collections/${encodeURIComponent(target.name)}/records`, { query: { filter, perPage: missing.length } });
    for (const r of result.items) labels.set(r.id, recordLabel(target, r));
    render();
  };
  render();
  loadLabels().catch(() => {});
  const pick = h("button", { type: "button", class: "btn-plain small", "data-pick-for": field.name, onclick: async () => {
    target = target || (await targetOf(field));
    openPicker(field, target, ids, multiple, (chosen) => {
      ids = chosen;
      render();
      loadLabels().catch(() => {});
    });
  } }, "Pick…");
  return {
    node: h("div", { class: "relation" }, chips, pick),
    value: () => (multiple ? ids : ids[0] || ""),
  };
}
