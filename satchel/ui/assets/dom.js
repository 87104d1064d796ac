// Building DOM nodes without innerHTML: every string becomes a text node or an
// attribute value, so record data can never turn into markup.

const PROPERTIES = new Set(["value", "checked", "selected", "indeterminate"]);

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A one-line summary of any record value, for table cells and lists.
export function summary(value, max = 80) {
  let text;
  if (value === null || value === undefined) text = "";
  else if (typeof value === "boolean") text = value ? "true" : "false";
  else if (Array.isArray(value)) text = value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  else if (typeof value === "object") text = JSON.stringify(value);
  else text = String(value);
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

// Flattens PocketBase's nested error data ({fields: {0: {name: {message}}}}) into
// {"fields.0.name": "message"}.
export function flattenErrors(data, prefix = "", out = {}) {
  for (const [key, value] of Object.entries(data || {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === "object" && typeof value.message === "string") out[path] = value.message;
    else if (value && typeof value === "object") flattenErrors(value, path, out);
  }
  return out;
}

// An error line for a form field, filled in later by showErrors.
export function errorSlot(name) {
  return h("div", { class: "field-error", "data-error-for": name, role: "alert" });
}

// Puts each message next to its field (a [data-error-for] slot); the ones without a
// slot are listed in the form's general error box.
export function showErrors(form, err) {
  const box = form.querySelector(".form-error");
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  if (!err) {
    if (box) clear(box);
    return;
  }
  const messages = flattenErrors(err.data);
  const rest = [];
  for (const [path, message] of Object.entries(messages)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(path)}"]`);
    if (slot) slot.textContent = message;
    else rest.push(`${path}: ${message}`);
  }
  if (box) clear(box, err.message, rest.length ? h("ul", null, rest.map((m) => h("li", null, m))) : null);
}

export function labelled(text, control, name) {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, text), control, name ? errorSlot(name) : null);
}

// A modal side panel; it removes itself from the page when closed.
export function openDialog(title, ...content) {
  const dialog = h(
    "dialog",
    { class: "panel" },
    h("header", { class: "panel-head" }, h("h2", null, title),
      h("button", { type: "button", class: "btn-plain close", "aria-label": "Close", onclick: () => dialog.close() }, "×")),
    content,
  );
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

// Runs `work` with the form's submit button disabled; an error it throws is shown in the form.
export async function submitting(form, work) {
  const buttons = form.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  showErrors(form, null);
  try {
    await work();
  } catch (err) {
    showErrors(form, err);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}
