// The dashboard's accent colour, settings.meta.accentColor, as in PocketBase's UI: set on
// <html> as the custom property --accent-base through CSSOM (allowed by the strict CSP, which
// forbids style attributes, not style.setProperty), and remembered in this browser so the
// login page and the first paint have it before any request answers.

import { api } from "./api.js";
import { errorSlot, h } from "./dom.js";

const STORAGE_KEY = "__satchel_accent__";
const HEX = /^#[0-9a-fA-F]{6}$/;
export const DEFAULT_ACCENT = "#1055c9"; // PocketBase's default, also the settings' default

// PocketBase's presets, with its orange and teal darkened to keep 4.5:1 for white text and
// for links on the page; the last is Satchel's former green.
export const PRESET_ACCENTS = ["#1055c9", "#a3142a", "#096d5c", "#c2410c", "#00718c", "#3f3da9", "#2f6f5e"];

function luminance(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

// WCAG contrast of white text on `hex` (buttons), which is also about its contrast as link
// text on the white page.
export function contrastWithWhite(hex) {
  return 1.05 / (luminance(hex) + 0.05);
}

export function isLegibleAccent(hex) {
  return HEX.test(hex) && contrastWithWhite(hex) >= 4.5;
}

let themeMeta = null;

// Shows `color` (or the stylesheet's default for "") without saving it anywhere.
export function applyAccent(color) {
  const root = document.documentElement.style;
  themeMeta ??= document.head.appendChild(h("meta", { name: "theme-color" }));
  if (color && HEX.test(color)) {
    root.setProperty("--accent-base", color.toLowerCase());
    themeMeta.setAttribute("content", color.toLowerCase());
  } else {
    root.removeProperty("--accent-base");
    themeMeta.setAttribute("content", DEFAULT_ACCENT);
  }
}

export function savedAccent() {
  return localStorage.getItem(STORAGE_KEY) || "";
}

export function rememberAccent(color) {
  if (color) localStorage.setItem(STORAGE_KEY, color);
  else localStorage.removeItem(STORAGE_KEY);
  applyAccent(color);
}

// Asks the server once per page load (the settings can change from another browser).
let refreshed = false;
export function refreshAccentOnce() {
  if (refreshed) return;
  refreshed = true;
  api("GET", "/api/settings", { query: { fields: "meta.accentColor" } })
    .then((s) => rememberAccent(s?.meta?.accentColor || ""))
    .catch(() => { refreshed = false; });
}

// The "Accent colour" control of the Application settings: preset swatches and a custom colour,
// previewed at once; the hidden input named `path` holds the value the form sends. A colour too
// light for white text is refused, as PocketBase's picker does.
export function accentControl(path, value) {
  const current = HEX.test(value || "") ? value.toLowerCase() : DEFAULT_ACCENT;
  const hidden = h("input", { type: "hidden", name: path, value: current });
  const warning = h("small", { class: "field-error", id: "accent-warning", role: "alert" });
  const shown = h("code", { id: "accent-value" }, current);
  const custom = h("input", { type: "color", id: "accent-custom", value: current, "aria-label": "Custom accent colour" });
  const swatches = PRESET_ACCENTS.map((color) => {
    const button = h("button", { type: "button", class: "swatch", "data-color": color, "aria-label": `Accent ${color}`, title: color,
      onclick: () => choose(color) });
    button.style.setProperty("background-color", color);
    return button;
  });
  function choose(color) {
    color = color.toLowerCase();
    if (!isLegibleAccent(color)) {
      warning.textContent = `${color} is too light: white text on it would be hard to read. Pick a darker colour.`;
      custom.value = hidden.value;
      return;
    }
    warning.textContent = "";
    hidden.value = color;
    custom.value = color;
    shown.textContent = color;
    for (const s of swatches) s.setAttribute("aria-pressed", String(s.dataset.color === color));
    applyAccent(color); // a preview; leaving the page without saving restores the saved one
  }
  custom.addEventListener("change", () => choose(custom.value));
  for (const s of swatches) s.setAttribute("aria-pressed", String(s.dataset.color === current));
  return h("div", { class: "field", id: "accent-field" },
    h("span", { class: "field-label", id: "accent-label" }, "Accent colour"),
    h("div", { class: "swatches", role: "group", "aria-labelledby": "accent-label" }, swatches,
      h("label", { class: "inline small" }, custom, "Custom"), shown),
    hidden, warning, h("small", { class: "muted" }, "Buttons, links and highlights of this dashboard, for every superuser."), errorSlot(path));
}
