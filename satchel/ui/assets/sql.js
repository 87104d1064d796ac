// #/sql: the SQL console of POST /api/sql. Reads return up to 1000 rows; writes
// (INSERT/UPDATE/DELETE/CREATE/DROP/ALTER/REPLACE/DETACH) run in a transaction and
// report the affected rows. The last query is kept for the browser tab's session.

import { api } from "./api.js";
import { clear, errorSlot, h, submitting } from "./dom.js";

const SAVED = "satchel.sql.last";

export function resultTable(result) {
  const columns = result.columns || [];
  const rows = result.rows || [];
  const head = h("p", { class: "muted small", id: "sql-summary" },
    columns.length ? `${rows.length} row${rows.length === 1 ? "" : "s"}` : `${result.affectedRows} row${result.affectedRows === 1 ? "" : "s"} affected`,
    ` · ${result.execTime} ms`);
  if (!columns.length) return [head];
  return [head, h("div", { class: "table-wrap sql-result" }, h("table", { class: "sql" },
    h("thead", null, h("tr", null, columns.map((c) => h("th", { title: `${c.type || "?"}${c.nullable ? ", nullable" : ""}` }, c.name)))),
    h("tbody", null, rows.map((row) => h("tr", null, row.map((v) =>
      v === null ? h("td", { class: "muted" }, "NULL") : h("td", { title: String(v).slice(0, 2000) }, String(v)))))))),
  ];
}

export function sqlPage() {
  const query = h("textarea", { class: "mono", id: "sql-query", name: "query", rows: 6, spellcheck: false, "aria-label": "SQL query",
    value: sessionStorage.getItem(SAVED) ?? "SELECT name, type FROM sqlite_master WHERE type = 'table' ORDER BY name;" });
  const output = h("div", { id: "sql-output", "aria-live": "polite" });
  const form = h("form", { class: "stack", novalidate: true },
    query, errorSlot("query"),
    h("div", { class: "form-error", role: "alert", id: "sql-error" }),
    h("div", { class: "form-actions" },
      h("span", { class: "muted small" }, "Ctrl+Enter runs the query. Writes run in a transaction; reads return at most 1000 rows."),
      h("span", { class: "spacer" }),
      h("button", { type: "submit", class: "btn", id: "run-sql" }, "Run")));
  const run = () => {
    sessionStorage.setItem(SAVED, query.value);
    submitting(form, async () => {
      clear(output);
      const result = await api("POST", "/api/sql", { body: { query: query.value } });
      clear(output, resultTable(result));
    });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });
  return h("section", { class: "content" },
    h("h1", null, "SQL console"),
    h("p", { class: "notice" }, "Queries run directly on the database, without the API rules. A write here skips every hook and validation."),
    form, output);
}
