// Autocomplete for the rule editors: the collection's fields (through relations at any depth), @request.*, @collection.*,
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
  for (const f of authFields(collections)) out.add(`@request.auth.${f.name}`);
  return [...out];
}

// The auth collections' fields @request.auth can reach (not the hidden ones).
function authFields(collections) {
  return collections.filter((c) => c.type === "auth").flatMap((c) => (c.fields || []).filter((f) => !f.hidden));
}

// The fields after a dotted path (`author.org.`, `@request.auth.team.`, `@collection.posts.author.`):
// each step must be a relation, and its target's fields come from `loadCollection(id)`, which
// fetches them when needed (a list loaded earlier may not know a new collection or field).
// Returns the full candidates (`author.org.name`), or [] when the path does not resolve.
export async function pathCandidates(word, draft, collections, loadCollection) {
  const dot = word.lastIndexOf(".");
  if (dot < 0 || word.includes(":")) return [];
  const prefix = word.slice(0, dot);
  const parts = prefix.split(".");
  let fields;
  let steps;
  if (parts[0] === "@request" && parts[1] === "auth") {
    const auths = await Promise.all(collections.filter((c) => c.type === "auth").map((c) => loadCollection(c.id)));
    fields = authFields(auths.filter(Boolean));
    steps = parts.slice(2);
  } else if (parts[0] === "@collection" && parts.length >= 2) {
    const named = collections.find((c) => c.name === parts[1]);
    fields = named ? (await loadCollection(named.id))?.fields : undefined;
    steps = parts.slice(2);
  } else if (parts[0].startsWith("@")) {
    return [];
  } else {
    fields = draft.fields;
    steps = parts;
  }
  for (const name of steps) {
    const relation = (fields || []).find((f) => f.name === name && f.type === "relation");
    if (!relation) return [];
    const target = relation.collectionId && draft.id && relation.collectionId === draft.id ? draft : await loadCollection(relation.collectionId);
    fields = target?.fields;
  }
  return (fields || []).map((f) => f.name).filter(Boolean).map((n) => `${prefix}.${n}`);
}

// A loader of collections by id for pathCandidates: each one fetched once, the list as fallback.
export function collectionLoader(fetchOne, collections) {
  const cache = new Map();
  return (id) => {
    if (!id) return Promise.resolve(null);
    if (!cache.has(id)) {
      cache.set(id, fetchOne(id).catch(() => collections.find((c) => c.id === id) || null));
    }
    return cache.get(id);
  };
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

// getCandidates(word) may return a promise (relations are followed by fetching their targets).
export function attachCompletion(textarea, getCandidates) {
  const list = h("div", { class: "suggestions", role: "listbox", "aria-label": "Suggestions", "data-suggest-for": textarea.name });
  let latest = 0;
  const update = async () => {
    const seq = ++latest;
    const { word, start } = wordAt(textarea.value, textarea.selectionStart);
    const all = await getCandidates(word);
    if (seq !== latest) return; // a newer keystroke wins
    const found = suggest(all, word);
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
