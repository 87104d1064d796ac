// A small declarative builder for the settings forms: each input is named by its
// path in the settings JSON ("smtp.host"), so the API's nested validation errors
// land next to their input, and the form PATCHes only its own keys.

import { api } from "./api.js";
import { errorSlot, h, labelled, submitting } from "./dom.js";
import { accentControl } from "./accent.js";

export function getPath(object, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), object);
}

export function setPath(object, path, value) {
  const keys = path.split(".");
  let node = object;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys[keys.length - 1]] = value;
  return object;
}

// "a, b\nc" -> ["a", "b", "c"]
export function splitList(text) {
  return text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

// spec: {path, label, type: text|url|email|number|password|checkbox|select|list|accent, options, help, attrs}
export function control(spec, settings) {
  const value = getPath(settings, spec.path);
  const id = "set-" + spec.path.replace(/\./g, "-");
  const help = spec.help ? h("small", { class: "muted" }, spec.help) : null;
  if (spec.type === "accent") return accentControl(spec.path, value);
  if (spec.type === "checkbox") {
    return h("div", { class: "check" },
      h("label", { class: "inline" }, h("input", { type: "checkbox", id, name: spec.path, checked: Boolean(value) }), spec.label), help, errorSlot(spec.path));
  }
  let input;
  if (spec.type === "select") {
    input = h("select", { id, name: spec.path }, spec.options.map(([v, label]) => h("option", { value: v, selected: String(value ?? "") === v }, label)));
  } else if (spec.type === "list") {
    input = h("textarea", { id, name: spec.path, rows: 2, value: (value || []).join(", "), placeholder: spec.placeholder || "" });
  } else if (spec.type === "password") {
    input = h("input", { type: "password", id, name: spec.path, value: "", autocomplete: "new-password", placeholder: "unchanged when empty" });
  } else {
    input = h("input", { type: spec.type || "text", id, name: spec.path, value: value ?? "", placeholder: spec.placeholder || "", ...(spec.attrs || {}) });
  }
  return h("div", { class: "field" }, h("label", { class: "field-label", for: id }, spec.label), input, help, errorSlot(spec.path));
}

export function readControl(form, spec) {
  const el = form.elements.namedItem(spec.path);
  if (spec.type === "checkbox") return el.checked;
  if (spec.type === "number") return el.value === "" ? 0 : Number(el.value);
  if (spec.type === "list") return splitList(el.value);
  if (spec.type === "select" && spec.numeric) return Number(el.value);
  return el.value;
}

// A form over `specs` (arrays nest as a row): saving PATCHes /api/settings with those
// paths only; an empty password is left out (the saved one stays). `extra` goes under the
// fields (e.g. the "send test email" box); `onSaved(settings)` runs after a save.
export function settingsForm(name, settings, groups, { extra = null, onSaved = null } = {}) {
  const specs = groups.flatMap((g) => g.specs.flat());
  const status = h("p", { class: "notice ok", id: "settings-saved", hidden: true, role: "status" }, "Settings saved.");
  const form = h("form", { class: "stack settings-form", id: "settings-" + name, novalidate: true },
    groups.map((g) => h("fieldset", null, g.legend ? h("legend", null, g.legend) : null,
      g.specs.map((s) => (Array.isArray(s) ? h("div", { class: "row" }, s.map((x) => control(x, settings))) : control(s, settings))))),
    h("div", { class: "form-error", role: "alert" }),
    status,
    h("div", { class: "form-actions" }, extra, h("span", { class: "spacer" }), h("button", { type: "submit", class: "btn", id: "save-settings" }, "Save settings")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {};
    for (const spec of specs) {
      const value = readControl(form, spec);
      if (spec.type === "password" && !value) continue;
      setPath(body, spec.path, value);
    }
    status.hidden = true;
    submitting(form, async () => {
      const saved = await api("PATCH", "/api/settings", { body });
      for (const spec of specs) if (spec.type === "password") form.elements.namedItem(spec.path).value = "";
      status.hidden = false;
      if (onSaved) onSaved(saved);
    });
  });
  return form;
}

export { labelled };
