// Bulk import of a CSV or JSON file into a collection: map the file's columns to the
// fields, then create the records a few at a time with a progress bar (through /api/batch,
// 50 rows a request, when the batch API is on); the rows the API
// refuses are listed with its messages and can be downloaded as CSV to fix and retry.

import { api } from "./api.js";
import { clear, flattenErrors, h, openDialog } from "./dom.js";
import { csvObjects, parseCsv, toCsv } from "./csv.js";

const CONCURRENCY = 6; // single creates in flight
const BATCH_SIZE = 50; // rows per /api/batch when the batch API is on (its default maximum)
const BATCH_CONCURRENCY = 2; // batches in flight: one is written while the next is sent
const SKIP_TYPES = new Set(["autodate", "file", "password"]);

export function importableFields(collection) {
  return collection.fields.filter((f) => !SKIP_TYPES.has(f.type) && f.name !== "tokenKey");
}

const multiple = (f) => (f.maxSelect || 1) > 1;
function list(value) {
  if (Array.isArray(value)) return value;
  const s = String(value ?? "").trim();
  if (!s) return [];
  if (s.startsWith("[")) {
    try {
      return JSON.parse(s);
    } catch {
      /* plain text below */
    }
  }
  return s.split(",").map((x) => x.trim()).filter(Boolean);
}

// A file's text value as the field's type wants it; throws a message for a value that
// cannot be read (the row is then refused without a request).
export function convert(field, raw) {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string") {
    if (field.type === "json" || typeof raw !== "object" || Array.isArray(raw) || field.type === "geoPoint") return raw;
  }
  const s = typeof raw === "string" ? raw.trim() : raw;
  switch (field.type) {
    case "number":
      if (s === "") return 0;
      if (Number.isNaN(Number(s))) throw new Error(`"${s}" is not a number`);
      return Number(s);
    case "bool":
      return ["true", "1", "yes", "y", "on"].includes(String(s).toLowerCase());
    case "json":
      if (s === "") return null;
      try {
        return JSON.parse(s);
      } catch {
        throw new Error("not valid JSON");
      }
    case "select":
    case "relation":
      return multiple(field) ? list(s) : String(s);
    case "geoPoint": {
      if (typeof s === "object") return s;
      if (s === "") return { lon: 0, lat: 0 };
      if (s.startsWith("{")) return JSON.parse(s);
      const [lon, lat] = s.split(/[,; ]+/).map(Number);
      if (Number.isNaN(lon) || Number.isNaN(lat)) throw new Error(`"${s}" is not "lon, lat"`);
      return { lon, lat };
    }
    default:
      return String(s);
  }
}

export function readRows(name, text) {
  if (/\.json$/i.test(name) || /^\s*[[{]/.test(text)) {
    const value = JSON.parse(text);
    const rows = Array.isArray(value) ? value : Array.isArray(value.items) ? value.items : null;
    if (!rows || rows.some((r) => !r || typeof r !== "object")) throw new Error("The JSON must be a list of objects.");
    return rows;
  }
  return csvObjects(parseCsv(text));
}

function columnsOf(rows) {
  const seen = new Set();
  for (const r of rows.slice(0, 200)) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

export function openImport(collection, onDone) {
  const file = h("input", { type: "file", accept: ".csv,.json,text/csv,application/json", id: "import-records-file", "aria-label": "CSV or JSON file" });
  const step = h("div", { class: "stack", id: "import-step" });
  const body = h("div", { class: "panel-body stack" },
    h("p", { class: "muted" }, "A CSV file with a header row, or a JSON list of objects. Columns are matched to fields by name; you can change the mapping before importing."),
    file, step);
  const dialog = openDialog(`Import records into ${collection.name}`, body);
  dialog.classList.add("wide-panel");
  let cancelled = false;
  dialog.addEventListener("close", () => (cancelled = true));

  file.addEventListener("change", async () => {
    if (!file.files.length) return;
    const chosen = file.files[0];
    let rows;
    try {
      rows = readRows(chosen.name, await chosen.text());
    } catch (err) {
      clear(step, h("p", { class: "notice error", role: "alert" }, `The file could not be read: ${err.message}`));
      return;
    }
    mapping(rows);
  });

  const mapping = (rows) => {
    const columns = columnsOf(rows);
    const fields = importableFields(collection);
    const selects = fields.map((f) => {
      const match = columns.find((c) => c.toLowerCase() === f.name.toLowerCase()) || "";
      return [f, h("select", { "aria-label": `Column for ${f.name}`, "data-map-field": f.name },
        h("option", { value: "" }, "— skip —"), columns.map((c) => h("option", { value: c, selected: c === match }, c)))];
    });
    const start = h("button", { type: "button", class: "btn", id: "start-import" }, `Import ${rows.length} row${rows.length === 1 ? "" : "s"}`);
    start.addEventListener("click", () => run(rows, selects.map(([f, s]) => [f, s.value]).filter(([, c]) => c)));
    clear(step,
      h("p", { id: "import-rows" }, `${rows.length} rows, ${columns.length} columns.`),
      h("div", { class: "table-wrap" }, h("table", { class: "kv" },
        h("thead", null, h("tr", null, h("th", null, "Field"), h("th", null, "Column of the file"))),
        h("tbody", null, selects.map(([f, s]) => h("tr", null, h("th", { scope: "row" }, f.name, f.required ? " *" : "", h("span", { class: "muted small" }, ` ${f.type}`)), h("td", null, s)))))),
      h("div", { class: "form-actions" }, h("span", { class: "spacer" }), start));
  };

  const run = async (rows, map) => {
    const bar = h("progress", { max: rows.length, value: 0, id: "import-progress", "aria-label": "Import progress" });
    const count = h("span", { id: "import-count", "aria-live": "polite" }, `0 / ${rows.length}`);
    const stop = h("button", { type: "button", class: "btn-plain small", onclick: () => (cancelled = true) }, "Stop");
    clear(step, h("div", { class: "inline wrap" }, bar, count, stop));
    const refused = [];
    let created = 0;
    let done = 0;
    let next = 0;
    const path = `/api/collections/${encodeURIComponent(collection.name)}/records`;
    const refuse = (index, err) => {
      const messages = flattenErrors(err.data || {});
      const text = Object.entries(messages).map(([k, m]) => `${k}: ${m}`).join("; ") || err.message;
      refused.push({ line: index + 1, row: rows[index], text });
    };
    const tick = (n) => {
      done += n;
      bar.value = done;
      count.textContent = `${done} / ${rows.length}`;
    };
    // the row as a record body, or the error of a value the field cannot take
    const build = (index) => {
      const record = {};
      for (const [field, column] of map) {
        let value;
        try {
          value = convert(field, rows[index][column]);
        } catch (err) {
          throw { data: { [field.name]: { message: err.message } }, message: "A value could not be read." };
        }
        if (value !== undefined) record[field.name] = value;
      }
      if (record.id === "") delete record.id;
      return record;
    };
    const createOne = async (index, record) => {
      try {
        await api("POST", path, { body: record });
        created++;
      } catch (err) {
        refuse(index, err);
      }
    };
    // one /api/batch of rows (one transaction): a refused row is taken out and the rest
    // sent again, so the valid rows are created and each refusal keeps the API's message
    const sendBatch = async (items) => {
      while (items.length) {
        try {
          await api("POST", "/api/batch", { body: { requests: items.map(([, record]) => ({ method: "POST", url: path, body: record })) } });
          created += items.length;
          return;
        } catch (err) {
          const failed = err.status === 400 ? Object.entries(err.data?.requests || {})[0] : undefined;
          const at = failed ? Number(failed[0]) : NaN;
          if (!failed || !(at >= 0 && at < items.length) || !failed[1]?.response) {
            for (const [index, record] of items) await createOne(index, record); // not a row's fault
            return;
          }
          const answer = failed[1].response;
          refuse(items[at][0], { data: answer.data || {}, message: answer.message || err.message });
          items = items.filter((_, i) => i !== at);
        }
      }
    };
    let chunk = 1;
    let workers = CONCURRENCY;
    try {
      const settings = await api("GET", "/api/settings");
      if (settings.batch?.enabled) {
        chunk = Math.min(settings.batch.maxRequests || BATCH_SIZE, BATCH_SIZE);
        workers = BATCH_CONCURRENCY;
      }
    } catch {
      /* no batch: one request per row */
    }
    const worker = async () => {
      while (!cancelled && next < rows.length) {
        const first = next;
        const last = (next = Math.min(rows.length, next + chunk));
        const items = [];
        for (let index = first; index < last; index++) {
          try {
            items.push([index, build(index)]);
          } catch (err) {
            refuse(index, err);
          }
        }
        if (chunk > 1 && items.length > 1) await sendBatch(items);
        else for (const [index, record] of items) await createOne(index, record);
        tick(last - first);
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    refused.sort((a, b) => a.line - b.line);
    const columns = columnsOf(rows);
    const download = () => {
      const csv = toCsv([[...columns, "error"], ...refused.map((r) => [...columns.map((c) => r.row[c]), r.text])]);
      const href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      const link = h("a", { href, download: `${collection.name}_refused.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 1000);
    };
    stop.remove();
    clear(step, h("div", { class: "inline wrap" }, bar, count),
      h("p", { class: refused.length ? "notice error" : "notice ok", id: "import-report", role: "status" },
        `${created} created, ${refused.length} refused`, cancelled && done < rows.length ? `, ${rows.length - done} not sent (stopped)` : "", "."),
      refused.length ? [
        h("div", { class: "table-wrap" }, h("table", { class: "kv", id: "refused-rows" },
          h("thead", null, h("tr", null, h("th", null, "Row"), h("th", null, "Why"))),
          h("tbody", null, refused.slice(0, 200).map((r) => h("tr", null, h("th", { scope: "row" }, String(r.line)), h("td", null, r.text)))))),
        refused.length > 200 ? h("p", { class: "muted small" }, `The first 200 of ${refused.length} are shown; the download has them all.`) : null,
        h("button", { type: "button", class: "btn-plain", id: "download-refused", onclick: download }, "Download the refused rows (CSV)"),
      ] : null);
    onDone();
  };
}
