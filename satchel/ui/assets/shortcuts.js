// Keyboard shortcuts for the frequent actions. Single keys act only when no text
// input has the focus and no dialog is open; "g" then a letter goes to a page.

import { h, openDialog } from "./dom.js";

export const SHORTCUTS = [
  ["/", "Focus the search or filter box"],
  ["n", "New record (on a collection)"],
  ["g c", "Go to collections"],
  ["g l", "Go to logs"],
  ["g q", "Go to the SQL console"],
  ["g s", "Go to settings"],
  ["Ctrl+Enter", "Save the open form"],
  ["Esc", "Close the open panel"],
  ["?", "Show these shortcuts"],
];

const GO = { c: "collections", l: "logs", q: "sql", s: "settings" };

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function showShortcuts() {
  if (document.getElementById("shortcuts-help")) return;
  const dialog = openDialog("Keyboard shortcuts",
    h("div", { class: "panel-body", id: "shortcuts-help" },
      h("table", { class: "kv" }, h("tbody", null, SHORTCUTS.map(([keys, what]) =>
        h("tr", null, h("th", { scope: "row" }, keys.split(" ").map((k, i) => [i ? " then " : null, h("kbd", null, k)])), h("td", null, what)))))));
  return dialog;
}

export function installShortcuts(go) {
  let pendingG = 0;
  document.addEventListener("keydown", (event) => {
    // Ctrl/Cmd+Enter saves the form of the open dialog, from any input in it
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const form = document.querySelector("dialog[open] form");
      if (form && !event.defaultPrevented) {
        event.preventDefault();
        form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target) || document.querySelector("dialog[open]")) return;
    if (pendingG && Date.now() - pendingG < 1500 && GO[event.key]) {
      pendingG = 0;
      event.preventDefault();
      go(GO[event.key]);
      return;
    }
    pendingG = 0;
    if (event.key === "g") pendingG = Date.now();
    else if (event.key === "/") {
      const box = document.querySelector('.content input[type="search"]');
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
    } else if (event.key === "n") {
      const button = document.getElementById("new-record");
      if (button) {
        event.preventDefault();
        button.click();
      }
    } else if (event.key === "?") {
      event.preventDefault();
      showShortcuts();
    }
  });
}
