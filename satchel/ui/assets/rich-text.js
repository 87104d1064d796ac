// The editor for `editor` fields: a small rich-text box (bold, italic, heading, lists,
// link, quote, code) and an "HTML" view of the source. Stored HTML is never put on the
// page as markup: it is parsed in an inert document (DOMParser runs no script and loads
// nothing) and rebuilt from an allow-list of tags, without any attribute but a link's href;
// only a field you edited is sent back.

import { h } from "./dom.js";

const ALLOWED = new Set(["P", "BR", "B", "STRONG", "I", "EM", "U", "S", "A", "UL", "OL", "LI", "H1", "H2", "H3", "H4",
  "BLOCKQUOTE", "CODE", "PRE", "SPAN", "DIV", "HR"]);
const SAFE_URL = /^(https?:|mailto:|\/|#)/i;

function copyClean(source, target) {
  for (const node of source.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      target.append(document.createTextNode(node.textContent));
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      if (!ALLOWED.has(node.tagName)) {
        // unknown wrappers keep their text; script/style content is dropped
        if (!["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "NOSCRIPT"].includes(node.tagName)) copyClean(node, target);
        continue;
      }
      const el = document.createElement(node.tagName.toLowerCase());
      const href = node.tagName === "A" ? (node.getAttribute("href") || "").trim() : "";
      if (href && SAFE_URL.test(href)) {
        el.setAttribute("href", href);
        el.setAttribute("rel", "noopener noreferrer");
      }
      copyClean(node, el);
      target.append(el);
    }
  }
  return target;
}

// HTML text -> a clean fragment of this document.
export function sanitize(html) {
  const parsed = new DOMParser().parseFromString(String(html ?? ""), "text/html");
  return copyClean(parsed.body, document.createDocumentFragment());
}

export function cleanHtml(html) {
  const box = document.createElement("div");
  box.append(sanitize(html));
  return box.innerHTML;
}

const TOOLS = [
  ["B", "Bold", "bold"], ["I", "Italic", "italic"], ["H", "Heading", "formatBlock", "h3"], ["•", "Bulleted list", "insertUnorderedList"],
  ["1.", "Numbered list", "insertOrderedList"], ["❝", "Quote", "formatBlock", "blockquote"], ["‹›", "Code", "formatBlock", "pre"],
  ["¶", "Paragraph", "formatBlock", "p"], ["⌫", "Clear formatting", "removeFormat"],
];

export function richTextEditor(field, value) {
  const area = h("div", { class: "rich-area", contenteditable: "true", role: "textbox", "aria-multiline": "true", "aria-label": field.name, "data-rich": field.name });
  area.append(sanitize(value));
  const source = h("textarea", { class: "mono", rows: 8, hidden: true, "aria-label": `${field.name} HTML` });
  let showingSource = false;
  // an untouched field is left out of the save, so stored HTML is never rewritten unasked
  let dirty = false;
  area.addEventListener("input", () => (dirty = true));
  source.addEventListener("input", () => (dirty = true));
  const run = (command, arg) => () => {
    if (showingSource) return;
    area.focus();
    document.execCommand(command, false, arg);
    dirty = true;
  };
  const link = () => {
    if (showingSource) return;
    const href = prompt("Link address (https://…)");
    if (href && SAFE_URL.test(href.trim())) {
      area.focus();
      document.execCommand("createLink", false, href.trim());
      dirty = true;
    }
  };
  const toggle = h("button", { type: "button", class: "btn-plain small", "aria-pressed": "false", onclick: () => {
    showingSource = !showingSource;
    if (showingSource) source.value = cleanHtml(area.innerHTML);
    else area.replaceChildren(sanitize(source.value));
    source.hidden = !showingSource;
    area.hidden = showingSource;
    toggle.setAttribute("aria-pressed", String(showingSource));
  } }, "HTML");
  const bar = h("div", { class: "rich-toolbar", role: "toolbar", "aria-label": `${field.name} formatting` },
    TOOLS.map(([text, label, command, arg]) => h("button", { type: "button", class: "btn-plain small", title: label, "aria-label": label,
      onmousedown: (e) => e.preventDefault(), onclick: run(command, arg) }, text)),
    h("button", { type: "button", class: "btn-plain small", title: "Link", "aria-label": "Link", onmousedown: (e) => e.preventDefault(), onclick: link }, "Link"),
    toggle);
  return {
    node: h("div", { class: "rich-editor" }, bar, area, source),
    value: () => {
      if (!dirty) return undefined;
      const html = cleanHtml(showingSource ? source.value : area.innerHTML);
      return html === "<br>" ? "" : html;
    },
  };
}
