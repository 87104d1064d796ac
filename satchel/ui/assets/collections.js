// #/collections: the collections sidebar and the records table of the selected one.

import { api, fileHref, isImage, listCollections } from "./api.js";
import { searchFilter } from "./search.js";
import { attachCompletion, candidates, collectionLoader, pathCandidates } from "./rule-complete.js";
import { clear, h, summary } from "./dom.js";
import { openRecordForm } from "./record-form.js";
import { openCollectionEditor } from "./collection-editor.js";
import { openApiPreview } from "./api-preview.js";
import { openImport } from "./import-records.js";
import { subscribe } from "./realtime.js";
import { recordLabel } from "./relation-picker.js";

const PER_PAGE = 40;
let known = []; // the collections, for the labels of related records

export function visibleFields(collection) {
  return collection.fields.filter((f) => !f.hidden && f.name !== "id");
}

// The columns a person hid, per collection, kept in this browser.
const HIDDEN_KEY = (c) => `satchel.columns.${c.id}`;
export function hiddenColumns(collection) {
  try {
    return new Set(JSON.parse(localStorage.getItem(HIDDEN_KEY(collection)) || "[]"));
  } catch {
    return new Set();
  }
}

function columnsMenu(collection, reload) {
  const hidden = hiddenColumns(collection);
  const menu = h("details", { class: "columns-menu", id: "columns-menu" }, h("summary", { class: "btn-plain" }, "Columns"),
    h("div", null, visibleFields(collection).map((f) => h("label", { class: "inline small" },
      h("input", { type: "checkbox", "data-column": f.name, checked: !hidden.has(f.name), onchange: (e) => {
        if (e.target.checked) hidden.delete(f.name);
        else hidden.add(f.name);
        localStorage.setItem(HIDDEN_KEY(collection), JSON.stringify([...hidden]));
        reload();
      } }), f.name))));
  return menu;
}

function sidebar(collections, selected, go, hideControls) {
  const item = (c) =>
    h("li", null, h("a", { href: "#/collections?collection=" + encodeURIComponent(c.name), class: c.name === selected ? "active" : null, "data-collection": c.name },
      h("span", { class: "name" }, c.name), h("span", { class: "badge" }, c.type)));
  const own = collections.filter((c) => !c.system);
  const system = collections.filter((c) => c.system);
  return h(
    "aside",
    { class: "sidebar" },
    hideControls ? null : h("button", { type: "button", class: "btn wide", id: "new-collection", onclick: () => openCollectionEditor(null, collections, go) }, "+ New collection"),
    h("h2", null, "Collections"),
    own.length ? h("ul", { class: "nav-list" }, own.map(item)) : h("p", { class: "muted small" }, "No collections yet."),
    h("h2", null, "System"),
    h("ul", { class: "nav-list system" }, system.map(item)),
  );
}

function sortHeader(field, sort, params, go) {
  const state = sort === field ? "asc" : sort === "-" + field ? "desc" : "";
  const next = state === "asc" ? "-" + field : field;
  const arrow = state === "asc" ? " ▲" : state === "desc" ? " ▼" : "";
  return h("th", null, h("button", { type: "button", class: "sort", "data-sort": field, "aria-sort": state ? (state === "asc" ? "ascending" : "descending") : null,
    onclick: () => go("collections", { ...params, sort: next, page: 1 }) }, field + arrow));
}

export function thumbnails(collection, field, record, size = "100x100", limit = 3) {
  const names = (Array.isArray(record[field.name]) ? record[field.name] : [record[field.name]]).filter(Boolean);
  return names.slice(0, limit).map((name) => {
    if (!isImage(name)) return h("span", { class: "file-chip", title: name }, name);
    const img = h("img", { class: "thumb", alt: name, title: name, loading: "lazy", width: 32, height: 32 });
    fileHref(collection, record, field, name, size).then((href) => (img.src = href)).catch(() => img.remove());
    return img;
  });
}

function cell(collection, field, record) {
  const value = record[field.name];
  const label = field.name;
  if (field.type === "relation" && record.expand && record.expand[field.name]) {
    const related = [].concat(record.expand[field.name]);
    const target = known.find((c) => c.id === field.collectionId);
    const text = related.map((r) => (target ? recordLabel(target, r) : r.id)).join(", ");
    return h("td", { title: summary(value, 2000), "data-label": label, class: "relation-cell" }, summary(text));
  }
  if (field.type === "editor") {
    // the text of the HTML, parsed inertly (DOMParser runs no script and loads nothing)
    const text = new DOMParser().parseFromString(String(value ?? ""), "text/html").body.textContent || "";
    return h("td", { title: summary(text, 2000), "data-label": label }, summary(text));
  }
  if (field.type === "bool") return h("td", { class: "bool", "data-label": label }, value ? "✓" : "–");
  if (field.type === "file") return h("td", { class: "files-cell", title: summary(value, 2000), "data-label": label }, thumbnails(collection, field, record));
  return h("td", { title: summary(value, 2000), "data-label": label }, summary(value));
}

// Bulk selection lives for the shown page: a checkbox per row, one for the page, and a
// bar with "Delete selected".
function recordsTable(collection, result, params, go, reload, selection) {
  const hidden = hiddenColumns(collection);
  const fields = visibleFields(collection).filter((f) => !hidden.has(f.name));
  const sort = params.sort || "";
  const readOnly = collection.type === "view";
  const boxes = [];
  const all = readOnly ? null : h("input", { type: "checkbox", "aria-label": "Select all records on this page", id: "select-all" });
  const refresh = () => {
    if (all) {
      all.checked = boxes.length > 0 && boxes.every((b) => b.checked);
      all.indeterminate = !all.checked && boxes.some((b) => b.checked);
    }
    selection.changed();
  };
  const rows = result.items.map((record) => {
    const box = readOnly ? null : h("input", { type: "checkbox", "aria-label": `Select record ${record.id}`, "data-select": record.id, checked: selection.ids.has(record.id),
      onclick: (event) => event.stopPropagation(),
      onchange: (event) => {
        if (event.target.checked) selection.ids.add(record.id);
        else selection.ids.delete(record.id);
        refresh();
      } });
    if (box) boxes.push(box);
    return h("tr", { "data-id": record.id, class: readOnly ? null : "clickable", onclick: readOnly ? null : () => openRecordForm(collection, record, reload) },
      readOnly ? null : h("td", { class: "select", onclick: (event) => event.stopPropagation() }, box),
      h("td", { class: "mono", "data-label": "id" }, record.id), fields.map((f) => cell(collection, f, record)));
  });
  all?.addEventListener("change", () => {
    for (const b of boxes) {
      b.checked = all.checked;
      if (all.checked) selection.ids.add(b.dataset.select);
      else selection.ids.delete(b.dataset.select);
    }
    refresh();
  });
  queueMicrotask(refresh);
  const span = fields.length + (readOnly ? 1 : 2);
  return h(
    "div",
    { class: "table-wrap" },
    h("table", { class: "records" },
      h("thead", null, h("tr", null, readOnly ? null : h("th", { class: "select" }, h("label", { class: "inline" }, all, h("span", { class: "phone-only small" }, "Select all on this page"))), sortHeader("id", sort, params, go), fields.map((f) => sortHeader(f.name, sort, params, go)))),
      h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colspan: span, class: "muted empty" }, "No records found.")))),
  );
}

function bulkBar(collection, selection, reload) {
  const count = h("span", { id: "selected-count" });
  const note = h("span", { class: "error-text small", role: "alert" });
  const bar = h("div", { class: "bulk-bar", id: "bulk-bar", hidden: true },
    count,
    h("button", { type: "button", class: "btn-plain small", onclick: () => {
      selection.ids.clear();
      reload();
    } }, "Clear selection"),
    h("button", { type: "button", class: "btn-danger small", id: "delete-selected", onclick: async (event) => {
      const ids = [...selection.ids];
      if (!ids.length || !confirm(`Delete ${ids.length} record${ids.length === 1 ? "" : "s"}? This cannot be undone.`)) return;
      event.currentTarget.disabled = true;
      const failed = [];
      for (const id of ids) {
        try {
          await api("DELETE", `/api/collections/${encodeURIComponent(collection.name)}/records/${encodeURIComponent(id)}`);
          selection.ids.delete(id);
        } catch (err) {
          failed.push(`${id}: ${err.message}`);
        }
      }
      await reload();
      note.textContent = failed.length ? `${failed.length} not deleted — ${failed.join("; ")}` : "";
    } }, "Delete selected"),
    note);
  selection.changed = () => {
    const n = selection.ids.size;
    bar.hidden = n === 0 && !note.textContent;
    count.textContent = `${n} selected`;
  };
  return bar;
}

function pager(result, params, go) {
  const pages = Math.max(result.totalPages, 1);
  const to = (page) => () => go("collections", { ...params, page });
  return h(
    "div",
    { class: "pager" },
    h("button", { type: "button", class: "btn-plain", id: "prev-page", disabled: result.page <= 1, onclick: to(result.page - 1) }, "← Previous"),
    h("span", { id: "page-info" }, `Page ${result.page} of ${pages} · ${result.totalItems} record${result.totalItems === 1 ? "" : "s"}`),
    h("button", { type: "button", class: "btn-plain", id: "next-page", disabled: result.page >= pages, onclick: to(result.page + 1) }, "Next →"),
  );
}

// The search box: plain words or a filter, with the rule editors' suggestions (fields, through
// relations with a dot, @request.*, macros, :modifiers) for the word before the caret.
function searchBar(collection, collections, params, go) {
  const input = h("input", { type: "search", name: "filter", value: params.filter || "", placeholder: "Search words, or a filter such as title ~ 'abc' && created > '2024-01-01'", "aria-label": "Filter", autocomplete: "off" });
  const loadCollection = collectionLoader((id) => api("GET", `/api/collections/${encodeURIComponent(id)}`), collections);
  const suggestions = attachCompletion(input, async (word) => [...new Set([...candidates(collection, collections),
    ...await pathCandidates(word, collection, collections, loadCollection)])]);
  const form = h("form", { class: "search", onsubmit: (event) => {
    event.preventDefault();
    go("collections", { ...params, filter: input.value.trim(), page: 1 });
  } }, input, h("button", { type: "submit", class: "btn-plain" }, "Search"),
  params.filter ? h("button", { type: "button", class: "btn-plain", onclick: () => go("collections", { ...params, filter: "", page: 1 }) }, "Clear") : null);
  return [form, suggestions];
}

async function loadRecords(area, collection, params, go, selection) {
  const reload = () => loadRecords(area, collection, params, go, selection);
  const relations = visibleFields(collection).filter((f) => f.type === "relation").map((f) => f.name);
  const query = { page: params.page || 1, perPage: PER_PAGE, sort: params.sort, filter: searchFilter(params.filter, collection), expand: relations.join(",") };
  try {
    const result = await api("GET", `/api/collections/${encodeURIComponent(collection.name)}/records`, { query });
    for (const id of [...selection.ids]) if (!result.items.some((r) => r.id === id)) selection.ids.delete(id);
    clear(area, recordsTable(collection, result, params, go, reload, selection), pager(result, params, go));
  } catch (err) {
    clear(area, h("p", { class: "notice error", role: "alert" }, err.message));
  }
}

function collectionView(collection, collections, params, go, hideControls) {
  const area = h("div", { class: "records-area" }, h("p", { class: "muted" }, "Loading records…"));
  const selection = { ids: new Set(), changed: () => {} };
  const reload = () => loadRecords(area, collection, params, go, selection);
  const bar = collection.type === "view" ? null : bulkBar(collection, selection, reload);
  // live: another client's change reloads the page of records (at most every 400 ms)
  const live = h("span", { class: "live", id: "live-state", title: "Changes from other clients show up here at once" });
  let timer = 0;
  if (collection.type !== "view") {
    subscribe([`${collection.name}/*`], () => {
      clearTimeout(timer);
      timer = setTimeout(reload, 400);
    }, (state) => (live.textContent = state === "live" ? "● live" : ""));
  }
  const header = h(
    "div",
    { class: "page-head" },
    h("h1", null, collection.name, " ", h("span", { class: "badge" }, collection.type), " ", live),
    h("div", { class: "actions" },
      columnsMenu(collection, reload),
      h("button", { type: "button", class: "btn-plain", id: "api-preview", onclick: () => openApiPreview(collection) }, "API preview"),
      hideControls ? null : h("button", { type: "button", class: "btn-plain", id: "edit-collection", onclick: () => openCollectionEditor(collection, collections, go) }, "Edit collection"),
      collection.type === "view" ? null : h("button", { type: "button", class: "btn-plain", id: "import-records", onclick: () => openImport(collection, reload) }, "Import"),
      collection.type === "view" ? null : h("button", { type: "button", class: "btn", id: "new-record", onclick: () => openRecordForm(collection, null, reload) }, "+ New record")),
  );
  reload();
  return [header, searchBar(collection, collections, params, go), bar, area];
}

export function collectionsPage(searchParams, go) {
  const params = Object.fromEntries(searchParams.entries());
  const main = h("section", { class: "content" }, h("p", { class: "muted" }, "Loading…"));
  const layout = h("div", { class: "with-sidebar" }, h("aside", { class: "sidebar" }), main);
  // settings.meta.hideControls hides the schema controls, as in PocketBase
  const hidden = api("GET", "/api/settings", { query: { fields: "meta.hideControls" } }).then((s) => Boolean(s?.meta?.hideControls)).catch(() => false);
  Promise.all([listCollections(), hidden])
    .then(([collections, hideControls]) => {
      known = collections;
      const selected = collections.find((c) => c.name === params.collection || c.id === params.collection);
      layout.firstChild.replaceWith(sidebar(collections, selected?.name, go, hideControls));
      if (selected) clear(main, collectionView(selected, collections, params, go, hideControls));
      else if (params.collection) clear(main, h("p", { class: "notice error" }, `There is no collection "${params.collection}".`));
      else clear(main, h("div", { class: "placeholder" }, h("h1", null, "Collections"), h("p", { class: "muted" }, "Pick a collection on the left, or create a new one.")));
    })
    .catch((err) => clear(main, h("p", { class: "notice error", role: "alert" }, err.message)));
  return layout;
}
