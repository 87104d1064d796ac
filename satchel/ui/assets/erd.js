// #/erd: the collections as boxes with their fields, and a line from each relation
// field to the collection it points to (PocketBase's ERD view), drawn as SVG.

import { listCollections } from "./api.js";
import { clear, h } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const BOX_W = 200;
const ROW_H = 18;
const HEAD_H = 26;
const GAP_X = 90;
const GAP_Y = 40;

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

// Boxes in columns, filled top to bottom, so a wide schema grows sideways (the page scrolls in its frame).
export function layout(collections, columns) {
  const boxes = new Map();
  const heights = new Array(columns).fill(20);
  collections.forEach((c, i) => {
    const col = i % columns;
    const height = HEAD_H + c.fields.length * ROW_H + 8;
    boxes.set(c.id, { c, x: 20 + col * (BOX_W + GAP_X), y: heights[col], height });
    heights[col] += height + GAP_Y;
  });
  return { boxes, width: 20 + columns * (BOX_W + GAP_X), height: Math.max(...heights) };
}

export function diagram(collections, columns = 4) {
  const { boxes, width, height } = layout(collections, Math.max(1, Math.min(columns, collections.length)));
  const lines = [];
  const nodes = [];
  for (const { c, x, y, height: bh } of boxes.values()) {
    nodes.push(svg("g", { class: "erd-box", "data-collection": c.name },
      svg("rect", { x, y, width: BOX_W, height: bh, rx: 6, class: "erd-rect" }),
      svg("rect", { x, y, width: BOX_W, height: HEAD_H, rx: 6, class: "erd-head" }),
      svg("text", { x: x + 10, y: y + 17, class: "erd-title" }, `${c.name} (${c.type})`),
      ...c.fields.map((f, i) => svg("text", { x: x + 10, y: y + HEAD_H + 13 + i * ROW_H, class: f.type === "relation" ? "erd-field rel" : "erd-field" },
        `${f.name}: ${f.type}${f.required ? " *" : ""}`))));
    c.fields.forEach((f, i) => {
      if (f.type !== "relation") return;
      const target = boxes.get(f.collectionId);
      if (!target) return;
      const fy = y + HEAD_H + 9 + i * ROW_H;
      const right = target.x >= x;
      const sx = right ? x + BOX_W : x;
      const tx = right ? target.x : target.x + BOX_W;
      const ty = target.y + HEAD_H / 2;
      const bend = target === boxes.get(c.id) ? 60 : Math.max(40, Math.abs(tx - sx) / 2);
      const d = target.c.id === c.id
        ? `M ${sx} ${fy} C ${sx + bend} ${fy}, ${sx + bend} ${ty}, ${sx} ${ty}`
        : `M ${sx} ${fy} C ${sx + (right ? bend : -bend)} ${fy}, ${tx - (right ? bend : -bend)} ${ty}, ${tx} ${ty}`;
      lines.push(svg("path", { d, class: "erd-line", "data-from": `${c.name}.${f.name}`, "data-to": target.c.name },
        svg("title", {}, `${c.name}.${f.name} → ${target.c.name}${(f.maxSelect || 1) > 1 ? " (many)" : ""}`)));
    });
  }
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": `Diagram of ${collections.length} collections and ${lines.length} relations`, id: "erd" },
    ...lines, ...nodes);
}

export function erdPage(searchParams) {
  const withSystem = searchParams.get("system") === "1";
  const frame = h("div", { class: "erd-frame", tabindex: 0, role: "region", "aria-label": "Collections diagram" }, h("p", { class: "muted" }, "Loading…"));
  listCollections(true)
    .then((all) => {
      const shown = all.filter((c) => withSystem || !c.system || all.some((o) => !o.system && o.fields.some((f) => f.type === "relation" && f.collectionId === c.id)));
      clear(frame, shown.length ? diagram(shown) : h("p", { class: "muted" }, "No collections yet."));
    })
    .catch((err) => clear(frame, h("p", { class: "notice error", role: "alert" }, err.message)));
  return h("section", { class: "content" },
    h("div", { class: "page-head" }, h("h1", null, "Diagram"),
      h("label", { class: "inline small" }, h("input", { type: "checkbox", id: "erd-system", checked: withSystem, onchange: (e) => {
        location.hash = e.target.checked ? "#/erd?system=1" : "#/erd";
      } }), "Show all system collections")),
    h("p", { class: "muted small" }, "Each line goes from a relation field to the collection it points to; system collections appear when something points to them."),
    frame);
}
