// #/logs: the request and application logs, with a level and filter box, the
// hourly chart of /api/logs/stats and each entry's detail.

import { api } from "./api.js";
import { clear, h, openDialog, summary } from "./dom.js";

const PER_PAGE = 50;
const SVG = "http://www.w3.org/2000/svg";
export const LEVELS = [
  { value: -4, label: "DEBUG" },
  { value: 0, label: "INFO" },
  { value: 4, label: "WARN" },
  { value: 8, label: "ERROR" },
];

export function levelName(level) {
  const found = LEVELS.find((l) => l.value === level);
  return found ? found.label : String(level);
}

// The filter sent to the API: the user's expression, the level floor and
// (unless asked for) without the superusers' own requests, as PocketBase's UI does.
export function logsFilter(params) {
  const parts = [];
  if (params.filter) parts.push(`(${params.filter})`);
  if (params.level !== undefined && params.level !== "") parts.push(`level >= ${Number(params.level)}`);
  if (params.superusers !== "1") parts.push(`data.auth != '_superusers'`);
  return parts.join(" && ");
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) el.append(child);
  return el;
}

const HOUR = 3_600_000;
const hourKey = (ms) => new Date(ms).toISOString().slice(0, 13);

// Hourly buckets from the first entry (at most 24 h before the last, at least a day shown)
// to the last, the empty hours as zeros, so the bars keep a time scale.
export function hourlySeries(stats, now = Date.now()) {
  if (!stats.length) return [];
  const totals = new Map(stats.map((s) => [s.date.slice(0, 13).replace(" ", "T"), s.total]));
  const times = stats.map((s) => Date.parse(s.date.replace(" ", "T")));
  const last = Math.max(Math.max(...times), Math.floor(now / HOUR) * HOUR);
  const first = Math.min(Math.min(...times), last - 23 * HOUR);
  const series = [];
  for (let t = first; t <= last && series.length < 24 * 31; t += HOUR) {
    const key = hourKey(t);
    series.push({ date: key.replace("T", " ") + ":00:00.000Z", total: totals.get(key) || 0 });
  }
  return series;
}

// A bar per hour; drawn as SVG attributes (the CSP forbids inline styles).
export function chart(points) {
  const stats = hourlySeries(points);
  if (!stats.length) return h("p", { class: "muted small", id: "logs-chart" }, "No logs in this period.");
  const width = 800;
  const height = 120;
  const max = Math.max(...stats.map((s) => s.total), 1);
  const step = width / stats.length;
  const bars = stats.filter((s) => s.total > 0).map((s) => {
    const i = stats.indexOf(s);
    const barHeight = Math.max(1, Math.round((s.total / max) * (height - 16)));
    return svg("rect", { x: (i * step + 1).toFixed(1), y: height - barHeight, width: Math.max(1, step - 2).toFixed(1), height: barHeight, class: "bar", "data-date": s.date },
      svg("title", {}, `${s.date.slice(0, 16)} UTC: ${s.total}`));
  });
  const total = stats.reduce((n, s) => n + s.total, 0);
  return h("figure", { class: "chart", id: "logs-chart" },
    svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": `Logs per hour: ${total} in ${stats.length} hours` },
      svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }),
      svg("text", { x: 4, y: 12, class: "chart-label" }, `max ${max}/h`), ...bars),
    h("figcaption", { class: "muted small" }, `${total} entries from ${stats[0].date.slice(0, 16)} to ${stats[stats.length - 1].date.slice(0, 13)}:59 UTC, per hour`));
}

function statusOf(log) {
  const status = log.data && log.data.status;
  return status ? h("span", { class: "badge " + (status >= 400 ? "bad" : "good") }, String(status)) : null;
}

export function openLogDetail(log) {
  const rows = [["id", log.id], ["created", log.created], ["level", levelName(log.level)], ["message", log.message]];
  for (const [key, value] of Object.entries(log.data || {})) rows.push(["data." + key, value]);
  openDialog("Log entry",
    h("div", { class: "panel-body", id: "log-detail" },
      h("table", { class: "kv" }, h("tbody", null, rows.map(([k, v]) =>
        h("tr", null, h("th", { scope: "row" }, k), h("td", { class: k === "data.details" || k === "data.error" ? "pre" : null }, typeof v === "object" && v !== null ? JSON.stringify(v, null, 2) : summary(v, 10000)))))),
      h("h2", null, "JSON"),
      h("pre", { class: "json" }, JSON.stringify(log, null, 2))));
}

function logsTable(result) {
  const rows = result.items.map((log) =>
    h("tr", { class: "clickable", "data-id": log.id, tabindex: 0, onclick: () => openLogDetail(log), onkeydown: (e) => { if (e.key === "Enter") openLogDetail(log); } },
      h("td", null, h("span", { class: "level level-" + levelName(log.level).toLowerCase() }, levelName(log.level))),
      h("td", { class: "msg", title: log.message }, log.message, " ", statusOf(log)),
      h("td", { class: "muted small nowrap" }, log.created.replace("T", " "))));
  return h("div", { class: "table-wrap" },
    h("table", { class: "logs" },
      h("thead", null, h("tr", null, h("th", null, "Level"), h("th", null, "Message"), h("th", null, "Created (UTC)"))),
      h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colspan: 3, class: "muted empty" }, "No logs found.")))));
}

function pager(result, params, go) {
  const pages = Math.max(result.totalPages, 1);
  const to = (page) => () => go("logs", { ...params, page });
  return h("div", { class: "pager" },
    h("button", { type: "button", class: "btn-plain", id: "logs-prev", disabled: result.page <= 1, onclick: to(result.page - 1) }, "← Previous"),
    h("span", { id: "logs-info" }, `Page ${result.page} of ${pages} · ${result.totalItems} entr${result.totalItems === 1 ? "y" : "ies"}`),
    h("button", { type: "button", class: "btn-plain", id: "logs-next", disabled: result.page >= pages, onclick: to(result.page + 1) }, "Next →"));
}

function toolbar(params, go) {
  const filter = h("input", { type: "search", name: "filter", value: params.filter || "", placeholder: "e.g. data.status >= 400 && data.method = 'POST'", "aria-label": "Filter logs" });
  const level = h("select", { name: "level", "aria-label": "Minimum level" },
    h("option", { value: "", selected: !params.level }, "All levels"),
    LEVELS.map((l) => h("option", { value: String(l.value), selected: params.level === String(l.value) }, `${l.label} and above`)));
  const superusers = h("input", { type: "checkbox", name: "superusers", checked: params.superusers === "1" });
  const form = h("form", { class: "search logs-toolbar", onsubmit: (event) => {
    event.preventDefault();
    go("logs", { filter: filter.value.trim(), level: level.value, superusers: superusers.checked ? "1" : "", page: 1 });
  } },
  filter, level,
  h("label", { class: "inline small" }, superusers, "Superusers' requests"),
  h("button", { type: "submit", class: "btn-plain" }, "Search"));
  level.addEventListener("change", () => form.requestSubmit());
  superusers.addEventListener("change", () => form.requestSubmit());
  return form;
}

async function load(area, chartArea, params, go) {
  const filter = logsFilter(params);
  const list = api("GET", "/api/logs", { query: { page: params.page || 1, perPage: PER_PAGE, sort: "-created", filter } });
  const stats = api("GET", "/api/logs/stats", { query: { filter } });
  try {
    const [result, points] = await Promise.all([list, stats]);
    clear(chartArea, chart(points));
    clear(area, logsTable(result), pager(result, params, go));
  } catch (err) {
    clear(chartArea);
    clear(area, h("p", { class: "notice error", role: "alert", id: "logs-error" }, err.message));
  }
}

export function logsPage(searchParams, go) {
  const params = Object.fromEntries(searchParams.entries());
  const chartArea = h("div", { class: "chart-area" });
  const area = h("div", { class: "logs-area" }, h("p", { class: "muted" }, "Loading logs…"));
  const refresh = () => load(area, chartArea, params, go);
  const main = h("section", { class: "content" },
    h("div", { class: "page-head" }, h("h1", null, "Logs"),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "btn-plain", id: "logs-refresh", onclick: refresh }, "Refresh"),
        h("button", { type: "button", class: "btn-danger", id: "logs-clear", onclick: async () => {
          if (!confirm("Delete every log entry?")) return;
          try {
            await api("DELETE", "/api/logs");
          } finally {
            refresh();
          }
        } }, "Delete all"))),
    toolbar(params, go), chartArea, area);
  refresh();
  return main;
}
