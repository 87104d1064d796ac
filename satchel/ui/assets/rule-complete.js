// Autocomplete for the rule editors: the collection's fields, @request.*, @collection.*,
// the date macros and the modifiers, offered for the word before the caret.

import { clear, h } from "./dom.js";

const MACROS = ["@now", "@second", "@minute", "@hour", "@weekday", "@day", "@month", "@year", "@yesterday", "@tomorrow",
  "@todayStart", "@todayEnd", "@monthStart", "@monthEnd", "@yearStart", "@yearEnd"];
const MODIFIERS = [":isset", ":changed", ":length", ":each", ":lower"];
const REQUEST = ["@request.auth.id", "@request.auth.collectionName", "@request.auth.collectionId", "@request.auth.email", "@request.auth.verified",
  "@request.method", "@request.context", "@request.query.", "@request.headers."];

export function candidates(draft, collections) {
  const fields = (draft.fields || []).map((f) => f.name).filter(Boolean);
  const out = new Set([...fields, ...fields.map((f) => `@request.body.${f}`), ...REQUEST, ...MACROS]);
  for (const c of collections) {
    for (const f of c.fields || []) out.add(`@collection.${c.name}.${f.name}`);
  }
  // one level through relations (author.name), and the auth collections' fields on @request.auth
  for (const f of draft.fields || []) {
    if (f.type !== "relation") continue;
    const target = collections.find((c) => c.id === f.collectionId);
    for (const tf of target?.fields || []) out.add(`${f.name}.${tf.name}`);
  }
  for (const c of collections.filter((c) => c.type === "auth")) {
    for (const f of c.fields || []) if (!f.hidden) out.add(`@request.auth.${f.name}`);
  }
  return [...out];
}

// The word being typed at `pos` and where it starts.
export function wordAt(text, pos) {
  const before = text.slice(0, pos);
  const match = before.match(/[@\w.:]*$/);
  return { word: match ? match[0] : "", start: pos - (match ? match[0].length : 0) };
}

export function suggest(all, word, limit = 8) {
  if (!word) return [];
  const colon = word.lastIndexOf(":");
  if (colon > 0) {
    const head = word.slice(0, colon);
    return MODIFIERS.filter((m) => m.startsWith(word.slice(colon))).map((m) => head + m).slice(0, limit);
  }
  const lower = word.toLowerCase();
  return all.filter((c) => c.toLowerCase().startsWith(lower) && c !== word).slice(0, limit);
}

export function attachCompletion(textarea, getCandidates) {
  const list = h("div", { class: "suggestions", role: "listbox", "aria-label": "Suggestions", "data-suggest-for": textarea.name });
  const update = () => {
    const { word, start } = wordAt(textarea.value, textarea.selectionStart);
    const found = suggest(getCandidates(), word);
    clear(list, found.map((text) => h("button", { type: "button", role: "option", class: "suggestion mono", tabindex: -1,
      onmousedown: (e) => e.preventDefault(), // keep the focus in the rule
      onclick: () => {
        const end = textarea.selectionStart;
        textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
        const caret = start + text.length;
        textarea.setSelectionRange(caret, caret);
        textarea.dispatchEvent(new Event("input"));
        textarea.focus();
      } }, text)));
  };
  textarea.addEventListener("input", update);
  textarea.addEventListener("click", update);
  textarea.addEventListener("blur", () => setTimeout(() => clear(list), 150));
  // Tab takes the first suggestion while the list is open
  textarea.addEventListener("keydown", (e) => {
    if (e.key === "Tab" && list.firstChild) {
      e.preventDefault();
      list.firstChild.click();
    } else if (e.key === "Escape" && list.firstChild) {
      e.stopPropagation();
      e.preventDefault();
      clear(list);
    }
  });
  return list;
}
