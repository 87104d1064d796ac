// #/settings/export and #/settings/import: the collections as JSON, and an import
// that shows what it would change (a diff per collection) before PUT /api/collections/import.

import { api, forgetCollections, listCollections } from "./api.js";
import { clear, h, submitting } from "./dom.js";

const RULES = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule", "authRule", "manageRule"];

function downloadJson(name, value) {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: "application/json" });
  const href = URL.createObjectURL(blob);
  const link = h("a", { href, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}

export function exportSection() {
  const area = h("div", { class: "stack" }, h("p", { class: "muted" }, "Loading…"));
  listCollections(true)
    .then((collections) => {
      const own = collections.filter((c) => !c.system || c.name === "_superusers" || c.type === "auth");
      const boxes = collections.map((c) => h("label", { class: "inline" }, h("input", { type: "checkbox", value: c.name, checked: own.includes(c) }), c.name));
      const output = h("textarea", { class: "mono json-out", rows: 18, readonly: true, id: "export-json", "aria-label": "Collections JSON" });
      const chosen = () => {
        const names = new Set(boxes.map((b) => b.firstChild).filter((i) => i.checked).map((i) => i.value));
        return collections.filter((c) => names.has(c.name));
      };
      const refresh = () => (output.value = JSON.stringify(chosen(), null, 2));
      for (const b of boxes) b.firstChild.addEventListener("change", refresh);
      refresh();
      clear(area,
        h("fieldset", { class: "checks" }, h("legend", null, "Collections to export"), boxes),
        output,
        h("div", { class: "form-actions" },
          h("button", { type: "button", class: "btn-plain", id: "copy-export", onclick: () => navigator.clipboard?.writeText(output.value) }, "Copy"),
          h("button", { type: "button", class: "btn", id: "download-export", onclick: () => downloadJson("pb_schema.json", chosen()) }, "Download JSON")));
    })
    .catch((err) => clear(area, h("p", { class: "notice error", role: "alert" }, err.message)));
  return area;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// The changes from `old` to `next` as readable lines: fields added, removed, changed, rules, the rest.
export function collectionChanges(old, next) {
  const lines = [];
  const oldFields = new Map((old.fields || []).map((f) => [f.id || f.name, f]));
  const newFields = new Map((next.fields || []).map((f) => [f.id || f.name, f]));
  for (const [key, f] of newFields) {
    const before = oldFields.get(key) || [...oldFields.values()].find((o) => o.name === f.name);
    if (!before) lines.push(["added", `field ${f.name} (${f.type})`]);
    else if (!same(before, { ...before, ...f })) {
      const keys = Object.keys(f).filter((k) => !same(before[k], f[k]));
      lines.push(["changed", `field ${before.name === f.name ? f.name : `${before.name} → ${f.name}`}: ${keys.join(", ")}`]);
    }
  }
  for (const [key, f] of oldFields) {
    if (!newFields.has(key) && ![...newFields.values()].some((n) => n.name === f.name)) lines.push(["removed", `field ${f.name} (${f.type})`]);
  }
  for (const rule of RULES) {
    if (rule in next && !same(old[rule], next[rule])) lines.push(["changed", `${rule}: ${JSON.stringify(old[rule])} → ${JSON.stringify(next[rule])}`]);
  }
  if (next.name && next.name !== old.name) lines.push(["changed", `name: ${old.name} → ${next.name}`]);
  for (const key of Object.keys(next)) {
    if (["fields", "name", "id", "created", "updated", ...RULES].includes(key)) continue;
    if (key in old && !same(old[key], next[key])) lines.push(["changed", key]);
  }
  return lines;
}

// The whole import plan: which collections are created, changed, unchanged and deleted.
export function importPlan(existing, imported, deleteMissing) {
  const plan = [];
  const matched = new Set();
  for (const next of imported) {
    const old = existing.find((c) => (next.id && c.id === next.id)) || existing.find((c) => c.name === next.name);
    if (!old) {
      plan.push({ name: next.name, kind: "new", lines: (next.fields || []).map((f) => ["added", `field ${f.name} (${f.type})`]) });
      continue;
    }
    matched.add(old.id);
    const lines = collectionChanges(old, next);
    plan.push({ name: next.name || old.name, kind: lines.length ? "changed" : "unchanged", lines });
  }
  if (deleteMissing) {
    for (const old of existing) if (!matched.has(old.id) && !old.system) plan.push({ name: old.name, kind: "deleted", lines: [] });
  }
  return plan;
}

function planView(plan) {
  const changes = plan.filter((p) => p.kind !== "unchanged");
  return h("div", { class: "import-plan", id: "import-plan" },
    h("p", null, changes.length ? `${changes.length} collection${changes.length === 1 ? "" : "s"} will change.` : "Nothing would change."),
    h("ul", { class: "plan" }, plan.map((p) => h("li", { class: "plan-" + p.kind, "data-collection": p.name },
      h("strong", null, p.name), " ", h("span", { class: "badge " + p.kind }, p.kind),
      p.lines.length ? h("ul", null, p.lines.map(([kind, text]) => h("li", { class: "line-" + kind }, kind === "added" ? "+ " : kind === "removed" ? "− " : "~ ", text))) : null))));
}

export function importSection(go) {
  const text = h("textarea", { class: "mono", rows: 14, id: "import-json", name: "json", "aria-label": "Collections JSON to import", placeholder: "Paste the exported JSON here, or load a file." });
  const file = h("input", { type: "file", accept: ".json,application/json", id: "import-file", "aria-label": "Load a JSON file" });
  const deleteMissing = h("input", { type: "checkbox", name: "deleteMissing", id: "delete-missing" });
  const preview = h("div", { id: "import-preview" });
  const form = h("form", { class: "stack", novalidate: true },
    h("p", { class: "muted" }, "Import replaces matching collections (by id, else by name) with the JSON's definitions. Review the changes before confirming."),
    file, text,
    h("label", { class: "inline" }, deleteMissing, "Delete the collections (and their records) missing from the import"),
    h("div", { class: "form-error", role: "alert" }), preview,
    h("div", { class: "form-actions" }, h("span", { class: "spacer" }),
      h("button", { type: "button", class: "btn-plain", id: "review-import" }, "Review"),
      h("button", { type: "submit", class: "btn", id: "confirm-import", disabled: true }, "Confirm and import")));
  const confirmButton = form.querySelector("#confirm-import");
  let parsed = null;
  const invalidate = () => {
    parsed = null;
    confirmButton.disabled = true;
    clear(preview);
  };
  text.addEventListener("input", invalidate);
  deleteMissing.addEventListener("change", invalidate);
  file.addEventListener("change", async () => {
    if (file.files.length) text.value = await file.files[0].text();
    invalidate();
  });
  const box = form.querySelector(".form-error");
  form.querySelector("#review-import").addEventListener("click", async () => {
    invalidate();
    clear(box);
    let value;
    try {
      value = JSON.parse(text.value);
    } catch (err) {
      clear(box, `The JSON is not valid: ${err.message}`);
      return;
    }
    if (!Array.isArray(value) || value.some((c) => !c || typeof c !== "object")) {
      clear(box, "The JSON must be a list of collections.");
      return;
    }
    const existing = await listCollections(true);
    parsed = value;
    clear(preview, planView(importPlan(existing, value, deleteMissing.checked)));
    confirmButton.disabled = false;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!parsed) return;
    const collections = parsed;
    submitting(form, async () => {
      await api("PUT", "/api/collections/import", { body: { collections, deleteMissing: deleteMissing.checked } });
      forgetCollections();
      clear(preview, h("p", { class: "notice ok", role: "status", id: "import-done" }, "The collections were imported."));
    });
    confirmButton.disabled = true;
  });
  return form;
}
