// The editor for `editor` fields: TinyMCE 6 (MIT, the editor PocketBase's UI uses too), vendored
// in vendor/tinymce/ and loaded the first time a record form needs it. TinyMCE keeps what it
// does not offer a button for (images, tables, coloured spans, classes), so editing a field never
// drops part of it. Stored HTML is first parsed in an inert document (DOMParser runs and loads
// nothing) and cleaned of scripts, `on*=` attributes and `javascript:` URLs -- TinyMCE itself
// parses content in live documents, where an `<img onload>` would fire -- and the editing frame
// has the dashboard's CSP, so nothing in it could run anyway. A field whose HTML you did not
// change is left out of the save, so its stored HTML is never rewritten unasked.
//
// The editor lives in a shadow root: TinyMCE puts its own dialogs (link, image, table) in the
// root holding the editor, which then is inside the record form's modal <dialog> -- in
// document.body they would sit behind it, unclickable.

import { h } from "./dom.js";

const BASE = new URL("vendor/tinymce", document.baseURI).href;
let loading = null;

function loadTinymce() {
  if (window.tinymce) return Promise.resolve(window.tinymce);
  loading ??= new Promise((resolve, reject) => {
    const script = h("script", { src: `${BASE}/tinymce.min.js` });
    script.addEventListener("load", () => resolve(window.tinymce));
    script.addEventListener("error", () => reject(new Error("the rich-text editor failed to load")));
    document.head.append(script);
  });
  return loading;
}

// TinyMCE editors whose record form has closed are removed with the next one opened.
function forgetClosedEditors(tinymce) {
  for (const old of tinymce.get()) if (!old.getContainer()?.isConnected) old.remove();
}

const ACTIVE = "script, noscript, iframe, frame, object, embed, applet, base, meta, link, style, template";
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"]);
const SCRIPT_URL = /^\s*(javascript|vbscript|data:text\/html)/i;

// What can run code taken out of stored HTML; everything else left as it is.
export function defuse(html) {
  const doc = new DOMParser().parseFromString(String(html ?? ""), "text/html");
  for (const el of doc.body.querySelectorAll(ACTIVE)) el.remove();
  for (const el of doc.body.querySelectorAll("*")) {
    for (const { name, value } of [...el.attributes]) {
      const lower = name.toLowerCase();
      if (lower.startsWith("on") || (URL_ATTRIBUTES.has(lower) && SCRIPT_URL.test(value.replace(/[\u0000-\u001f]/g, "")))) el.removeAttribute(name);
    }
  }
  return doc.body.innerHTML;
}

const dark = () => window.matchMedia?.("(prefers-color-scheme: dark)").matches;

function settings(field, target, onReady) {
  return {
    target,
    base_url: BASE,
    suffix: ".min",
    skin: dark() ? "oxide-dark" : "oxide",
    content_css: dark() ? "dark" : "default",
    plugins: "autolink code image link lists table",
    toolbar: "blocks | bold italic underline forecolor backcolor | bullist numlist blockquote | alignleft aligncenter alignright | link image table | removeformat code",
    toolbar_mode: "wrap", // every tool in view, on a phone too
    menubar: false,
    branding: false,
    promotion: false,
    statusbar: false,
    height: 320,
    // as PocketBase: URLs are kept as written unless the field's "convert URLs" option is on
    convert_urls: Boolean(field.convertURLs),
    relative_urls: false,
    remove_script_host: false,
    // keep the HTML as stored: characters stay characters (no &eacute;), any element and attribute
    // TinyMCE's HTML5 schema knows is kept; only what can run code is refused
    entity_encoding: "raw",
    invalid_elements: "script,noscript,iframe,frame,object,embed,applet,base,meta,link,style",
    xss_sanitization: true,
    allow_script_urls: false,
    iframe_aria_text: `${field.name} rich text`,
    setup: (editor) => editor.on("init", () => onReady(editor)),
  };
}

export function richTextEditor(field, value) {
  const stored = defuse(value);
  // shown (as text, never as markup) until the editor has loaded
  const fallback = h("textarea", { class: "mono", rows: 8, readonly: true, "aria-label": `${field.name} HTML`, value: stored });
  const host = h("div", { class: "rich-editor", "data-rich": field.name });
  host.attachShadow({ mode: "open" }).append(fallback);
  const status = h("small", { class: "muted", "data-rich-status": field.name }, "Loading the editor…");
  let editor = null;
  let initial = "";

  // started once the form is on the page (TinyMCE measures its target)
  queueMicrotask(async () => {
    try {
      const tinymce = await loadTinymce();
      await new Promise((resolve) => requestAnimationFrame(resolve));
      forgetClosedEditors(tinymce);
      if (!host.isConnected) return;
      await tinymce.init(settings(field, fallback, (ready) => {
        editor = ready;
        ready.setContent(stored);
        initial = ready.getContent();
        host.dataset.ready = "true";
        status.textContent = "";
      }));
    } catch (err) {
      status.textContent = `${err.message}: the HTML is shown as text.`;
    }
  });

  return {
    node: h("div", { class: "rich-field" }, host, status),
    value: () => {
      if (!editor) return undefined;
      const html = editor.getContent();
      return html === initial ? undefined : html;
    },
  };
}
