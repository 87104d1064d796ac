// The indexes of a collection: the CREATE INDEX statements as they are stored, each
// editable, and a builder (unique, columns) whose SQL is previewed before it is added.

import { clear, h } from "./dom.js";

const quoteId = (name) => "`" + name.replace(/`/g, "") + "`";

export function indexSql(collection, columns, unique, name) {
  const indexName = name || `idx_${collection}_${columns.join("_")}`.slice(0, 64);
  return `CREATE ${unique ? "UNIQUE " : ""}INDEX ${quoteId(indexName)} ON ${quoteId(collection)} (${columns.map(quoteId).join(", ")})`;
}

export function indexesSection(draft) {
  draft.indexes = draft.indexes || [];
  const list = h("ul", { class: "indexes", id: "index-list" });
  const redraw = () => clear(list, draft.indexes.length ? draft.indexes.map((sql, i) => h("li", null,
    h("textarea", { class: "mono", rows: 2, value: sql, "aria-label": `Index ${i + 1}`, "data-index": i, oninput: (e) => (draft.indexes[i] = e.target.value) }),
    h("button", { type: "button", class: "btn-plain small", "aria-label": `Remove index ${i + 1}`, onclick: () => {
      draft.indexes.splice(i, 1);
      redraw();
    } }, "×"),
    h("div", { class: "field-error", "data-error-for": `indexes.${i}`, role: "alert" })))
    : h("li", { class: "muted small" }, "No indexes."));
  redraw();

  const columns = (draft.fields || []).filter((f) => f.name);
  const unique = h("input", { type: "checkbox", id: "index-unique" });
  const boxes = columns.map((f) => h("label", { class: "inline small" }, h("input", { type: "checkbox", value: f.name, "data-index-column": f.name }), f.name));
  const preview = h("pre", { class: "json", id: "index-preview", "aria-live": "polite" });
  const chosen = () => boxes.map((b) => b.firstChild).filter((i) => i.checked).map((i) => i.value);
  const update = () => {
    const cols = chosen();
    preview.textContent = cols.length ? indexSql(draft.name || "collection", cols, unique.checked) : "Pick one or more columns.";
  };
  for (const b of boxes) b.firstChild.addEventListener("change", update);
  unique.addEventListener("change", update);
  update();
  const add = h("button", { type: "button", class: "btn-plain small", id: "add-index", onclick: () => {
    const cols = chosen();
    if (!cols.length) return;
    draft.indexes.push(indexSql(draft.name || "collection", cols, unique.checked));
    for (const b of boxes) b.firstChild.checked = false;
    unique.checked = false;
    update();
    redraw();
  } }, "Add index");
  return h("fieldset", { class: "indexes-editor" }, h("legend", null, "Indexes"), list,
    h("div", { class: "index-builder stack" },
      h("div", { class: "inline wrap" }, h("span", { class: "field-label" }, "New index on"), boxes),
      h("label", { class: "inline small" }, unique, "Unique"),
      h("span", { class: "field-label small" }, "SQL preview"), preview, h("div", null, add)),
    h("div", { class: "field-error", "data-error-for": "indexes", role: "alert" }));
}
