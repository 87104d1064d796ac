// The dashboard's entry point: a hash router and the page layout.

import { auth, setUnauthorizedHandler } from "./api.js";
import { clear, h } from "./dom.js";
import { CONFIRM_PAGES, installPage, loginPage, oauth2Page } from "./auth-pages.js";
import { collectionsPage } from "./collections.js";
import { settingsPage } from "./settings.js";
import { logsPage } from "./logs.js";
import { sqlPage } from "./sql.js";
import { erdPage } from "./erd.js";
import { realtimePage, stopAll } from "./realtime.js";
import { installShortcuts, showShortcuts } from "./shortcuts.js";
import { applyAccent, refreshAccentOnce, savedAccent } from "./accent.js";

const root = document.getElementById("app");

export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, "");
  const cut = raw.indexOf("?");
  const path = cut < 0 ? raw : raw.slice(0, cut);
  const params = new URLSearchParams(cut < 0 ? "" : raw.slice(cut + 1));
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params };
}

export function go(path, params) {
  const search = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "")).toString() : "";
  const target = "#/" + path + (search ? "?" + search : "");
  if (location.hash === target) render();
  else location.hash = target;
}

function logout() {
  auth.clear();
  go("login");
}

setUnauthorizedHandler(() => {
  auth.clear();
  if (!location.hash.startsWith("#/login")) go("login");
});

function shell(active, content) {
  const record = auth.get()?.record || {};
  const link = (name, label) => h("a", { href: `#/${name}`, class: active === name ? "active" : null }, label);
  return h(
    "div",
    { class: "shell" },
    h(
      "header",
      { class: "topbar" },
      h("a", { class: "skip", href: "#main" , onclick: (event) => {
        event.preventDefault();
        document.getElementById("main")?.focus();
      } }, "Skip to content"),
      h("a", { class: "brand", href: "#/collections" }, h("img", { src: "./favicon.svg", alt: "" }), "Satchel"),
      h("nav", null, link("collections", "Collections"), link("logs", "Logs"), link("erd", "Diagram"), link("realtime", "Realtime"), link("sql", "SQL"), link("settings", "Settings")),
      h("span", { class: "who" }, record.email || ""),
      h("button", { type: "button", class: "btn-plain small", id: "show-shortcuts", "aria-label": "Keyboard shortcuts", title: "Keyboard shortcuts (?)", onclick: showShortcuts }, "?"),
      h("button", { type: "button", class: "btn-plain", id: "logout", onclick: logout }, "Log out"),
    ),
    h("main", { id: "main", tabindex: -1 }, content),
  );
}

const PUBLIC = {
  pbinstall: (parts) => installPage(parts[1] || "", go),
  login: () => loginPage(go),
  auth: (parts) => (CONFIRM_PAGES[parts[1]] ? CONFIRM_PAGES[parts[1]](parts.slice(2).join("/")) : oauth2Page(parts[1] || "")),
};
const PRIVATE = {
  collections: (parts, params) => collectionsPage(params, go),
  settings: (parts) => settingsPage(parts[1] || "application", go),
  logs: (parts, params) => logsPage(params, go),
  sql: () => sqlPage(),
  erd: (parts, params) => erdPage(params),
  realtime: (parts, params) => realtimePage(params, go),
};

// Pages build their node at once and fill it in when their requests answer.
export function render() {
  stopAll(); // the previous page's realtime streams
  applyAccent(savedAccent()); // also undoes an unsaved preview of the settings page
  const { parts, params } = parseHash();
  const name = parts[0] || "";
  if (PUBLIC[name]) {
    clear(root, PUBLIC[name](parts, params));
    return;
  }
  if (!auth.get()) {
    go("login");
    return;
  }
  if (!PRIVATE[name]) {
    go("collections");
    return;
  }
  refreshAccentOnce();
  clear(root, shell(name, PRIVATE[name](parts, params)));
}

window.addEventListener("hashchange", render);
installShortcuts(go);
render();
