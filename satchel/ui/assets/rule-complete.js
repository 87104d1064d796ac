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
  if (draft.id) for (const back of backRelations([draft.id], collections)) out.add(back);
  return [...out];
}

// The auth collections' fields @request.auth can reach (not the hidden ones).
function authFields(collections) {
  return collections.filter((c) => c.type === "auth").flatMap((c) => (c.fields || []).filter((f) => !f.hidden));
}

// The back-relations into any of `ids`: `<collection>_via_<relation field>` (PocketBase's rule
// syntax for "the records of <collection> whose <field> points here").
function backRelations(ids, collections) {
  return backRelationSources(ids, collections).map(([name]) => name);
}

function backRelationSources(ids, collections) {
  const out = [];
  for (const c of collections) {
    for (const f of c.fields || []) if (f.type === "relation" && f.name && ids.includes(f.collectionId)) out.push([`${c.name}_via_${f.name}`, c]);
  }
  return out;
}

// The names after a dotted path (`author.org.`, `@request.auth.team.`, `@collection.posts.author.`,
// `comments_via_post.`): each step is a relation or a back-relation, and the collections it reaches
// come from `loadCollection(id)`, which fetches them when needed (a list loaded earlier may not
// know a new collection or field). Returns full candidates (`author.org.name`), [] when the path
// does not resolve.
export async function pathCandidates(word, draft, collections, loadCollection) {
  const dot = word.lastIndexOf(".");
  if (dot < 0 || word.includes(":")) return [];
  const prefix = word.slice(0, dot);
  const parts = prefix.split(".");
  let level; // the collections the path has reached so far
  let steps;
  let authOnly = false;
  if (parts[0] === "@request" && parts[1] === "auth") {
    level = (await Promise.all(collections.filter((c) => c.type === "auth").map((c) => loadCollection(c.id)))).filter(Boolean);
    steps = parts.slice(2);
    authOnly = true;
  } else if (parts[0] === "@collection" && parts.length >= 2) {
    const named = collections.find((c) => c.name === parts[1]);
    level = named ? [await loadCollection(named.id)].filter(Boolean) : [];
    steps = parts.slice(2);
  } else if (parts[0].startsWith("@")) {
    return [];
  } else {
    level = [draft];
    steps = parts;
  }
  const load = (id) => (id && draft.id && id === draft.id ? Promise.resolve(draft) : loadCollection(id));
  for (const name of steps) {
    const fields = level.flatMap((c) => c.fields || []);
    const relation = fields.find((f) => f.name === name && f.type === "relation");
    const source = backRelationSources(level.map((c) => c.id).filter(Boolean), collections).find(([back]) => back === name)?.[1];
    if (relation) {
      level = [await load(relation.collectionId)].filter(Boolean);
    } else if (source) {
      level = [await load(source.id)].filter(Boolean);
    } else {
      return [];
    }
    authOnly = false;
  }
  const names = level.flatMap((c) => (c.fields || []).filter((f) => !(authOnly && f.hidden)).map((f) => f.name)).filter(Boolean);
  const ids = level.map((c) => c.id).filter(Boolean);
  return [...new Set([...names, ...backRelations(ids, collections)])].map((n) => `${prefix}.${n}`);
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
