// Search as a person expects it: plain words look in the text fields (every word must
// match one of them, case-insensitively), and anything that looks like a filter
// expression (an operator, or a parenthesis) is passed through unchanged.

const SEARCHABLE = new Set(["text", "editor", "email", "url"]);
const OPERATORS = /(=|!=|~|>|<|&&|\|\||\(|\))/;

export function quote(text) {
  return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
}

export function isExpression(text) {
  return OPERATORS.test(text);
}

export function searchFields(collection) {
  const fields = collection.fields.filter((f) => !f.hidden && SEARCHABLE.has(f.type)).map((f) => f.name);
  const single = collection.fields.filter((f) => !f.hidden && f.type === "select" && (f.maxSelect || 1) <= 1).map((f) => f.name);
  return [...new Set(["id", ...fields, ...single])];
}

// "red shoe" over {title, body} -> (id ~ "red" || title ~ "red" || body ~ "red") && (… "shoe" …)
export function searchFilter(text, collection) {
  const raw = (text || "").trim();
  if (!raw) return "";
  if (isExpression(raw)) return raw;
  const fields = searchFields(collection);
  const words = raw.split(/\s+/).filter(Boolean).slice(0, 8);
  return words.map((w) => "(" + fields.map((f) => `${f} ~ ${quote(w)}`).join(" || ") + ")").join(" && ");
}
