// The options of an auth collection: password and OAuth2 (providers, mapped fields),
// OTP, MFA, Satchel's anonymous sign-in, the login alert, token durations and the mail templates. Each input is
// bound to its path in the collection draft and named by it, so the API's errors land
// next to it.

import { api } from "./api.js";
import { clear, errorSlot, h } from "./dom.js";
import { getPath, setPath, splitList } from "./settings-form.js";

const TOKENS = [
  ["authToken", "Auth token"], ["verificationToken", "Email verification token"], ["passwordResetToken", "Password reset token"],
  ["emailChangeToken", "Email change token"], ["fileToken", "Protected file access token"],
];
const TEMPLATES = [
  ["verificationTemplate", "Verification"], ["resetPasswordTemplate", "Password reset"],
  ["confirmEmailChangeTemplate", "Confirm email change"], ["otp.emailTemplate", "One-time password"], ["authAlert.emailTemplate", "Login alert"],
];

function bound(draft, path, kind, label, attrs = {}) {
  const id = "auth-" + path.replace(/\./g, "-");
  const value = getPath(draft, path);
  if (kind === "bool") {
    return h("div", { class: "check" }, h("label", { class: "inline" },
      h("input", { type: "checkbox", id, name: path, checked: Boolean(value), onchange: (e) => setPath(draft, path, e.target.checked) }), label), errorSlot(path));
  }
  let input;
  if (kind === "int") input = h("input", { type: "number", id, name: path, min: 0, step: 1, value: value ?? "", onchange: (e) => setPath(draft, path, Number(e.target.value) || 0), ...attrs });
  else if (kind === "list") input = h("input", { type: "text", id, name: path, value: (value || []).join(", "), onchange: (e) => setPath(draft, path, splitList(e.target.value)), ...attrs });
  else if (kind === "area") input = h("textarea", { id, name: path, rows: 6, class: "mono", value: value ?? "", oninput: (e) => setPath(draft, path, e.target.value), ...attrs });
  else input = h("input", { type: "text", id, name: path, value: value ?? "", oninput: (e) => setPath(draft, path, e.target.value), ...attrs });
  return h("div", { class: "field" }, h("label", { class: "field-label", for: id }, label), input, errorSlot(path));
}

function providerRow(draft, provider, index, redraw) {
  const base = `oauth2.providers.${index}`;
  const secret = h("input", { type: "password", id: `auth-${index}-secret`, autocomplete: "new-password", placeholder: "unchanged when empty",
    oninput: (e) => (provider.clientSecret = e.target.value) });
  return h("fieldset", { class: "provider", "data-provider": provider.name },
    h("legend", null, provider.displayName || provider.name),
    h("div", { class: "row" },
      bound(draft, `${base}.clientId`, "text", "Client ID", { autocomplete: "off" }),
      h("div", { class: "field" }, h("label", { class: "field-label", for: `auth-${index}-secret` }, "Client secret"), secret, errorSlot(`${base}.clientSecret`))),
    h("details", null, h("summary", { class: "small" }, "Endpoints and display name (custom providers)"),
      bound(draft, `${base}.displayName`, "text", "Display name"),
      bound(draft, `${base}.authURL`, "text", "Auth URL"), bound(draft, `${base}.tokenURL`, "text", "Token URL"),
      bound(draft, `${base}.userInfoURL`, "text", "User info URL")),
    h("button", { type: "button", class: "btn-plain small", "data-remove-provider": provider.name, onclick: () => {
      draft.oauth2.providers.splice(index, 1);
      redraw();
    } }, "Remove provider"));
}

function oauth2Section(draft) {
  draft.oauth2 = draft.oauth2 || { enabled: false, providers: [], mappedFields: {} };
  draft.oauth2.providers = draft.oauth2.providers || [];
  draft.oauth2.mappedFields = draft.oauth2.mappedFields || {};
  const list = h("div", { class: "stack", id: "providers" });
  const redraw = () => clear(list, draft.oauth2.providers.map((p, i) => providerRow(draft, p, i, redraw)));
  redraw();
  const picker = h("select", { id: "add-provider-name", "aria-label": "Provider to add" }, h("option", { value: "" }, "Loading providers…"));
  api("GET", "/api/collections/meta/oauth2-providers").then((all) => {
    clear(picker, h("option", { value: "" }, "— add a provider —"), all.map((p) => h("option", { value: p.name }, p.displayName || p.name)));
  }).catch(() => clear(picker, h("option", { value: "" }, "(the providers list failed to load)")));
  const add = h("button", { type: "button", class: "btn-plain small", id: "add-provider", onclick: () => {
    const name = picker.value;
    if (!name || draft.oauth2.providers.some((p) => p.name === name)) return;
    draft.oauth2.providers.push({ name, clientId: "", clientSecret: "" });
    picker.value = "";
    redraw();
  } }, "Add provider");
  const fieldNames = ["", ...draft.fields.filter((f) => !f.system || f.name === "email").map((f) => f.name)];
  const mapped = ["id", "name", "username", "avatarURL"].map((key) => h("div", { class: "field" },
    h("label", { class: "field-label small", for: `map-${key}` }, `OAuth2 ${key} →`),
    h("select", { id: `map-${key}`, name: `oauth2.mappedFields.${key}`, onchange: (e) => (draft.oauth2.mappedFields[key] = e.target.value) },
      fieldNames.map((n) => h("option", { value: n, selected: (draft.oauth2.mappedFields[key] || "") === n }, n || "— none —")))));
  return h("fieldset", null, h("legend", null, "OAuth2"), bound(draft, "oauth2.enabled", "bool", "Enable OAuth2 sign-in"), list,
    h("div", { class: "inline wrap" }, picker, add), h("span", { class: "field-label" }, "Mapped fields"), h("div", { class: "row wrap" }, mapped));
}

export function authOptionsSection(draft) {
  return h("div", { class: "stack auth-options" },
    h("fieldset", null, h("legend", null, "Password"),
      bound(draft, "passwordAuth.enabled", "bool", "Enable sign-in with an identity and a password"),
      bound(draft, "passwordAuth.identityFields", "list", "Identity fields (e.g. email, username)")),
    oauth2Section(draft),
    h("fieldset", null, h("legend", null, "One-time password (OTP)"),
      bound(draft, "otp.enabled", "bool", "Enable sign-in with a one-time password sent by email"),
      h("div", { class: "row" }, bound(draft, "otp.duration", "int", "Valid for (seconds)"), bound(draft, "otp.length", "int", "Length"))),
    h("fieldset", null, h("legend", null, "Multi-factor authentication (MFA)"),
      bound(draft, "mfa.enabled", "bool", "Require a second method after the first one"),
      bound(draft, "mfa.duration", "int", "Time to complete the second step (seconds)"),
      bound(draft, "mfa.rule", "text", "Only when this rule matches (empty = always)", { class: "mono" })),
    // Satchel's guest sign-in (POST …/auth-anonymously); the server refuses it for _superusers
    draft.name === "_superusers" ? null : h("fieldset", null, h("legend", null, "Anonymous sign-in (Satchel)"),
      bound(draft, "anonymousAuth.enabled", "bool", "Allow guests to sign in anonymously (a record with no email, upgradable later)")),
    h("fieldset", null, h("legend", null, "Login alert"), bound(draft, "authAlert.enabled", "bool", "Email the user when they sign in from a new location")),
    h("fieldset", null, h("legend", null, "Token durations (seconds)"),
      TOKENS.map(([key, label]) => bound(draft, `${key}.duration`, "int", label))),
    h("fieldset", null, h("legend", null, "Mail templates"),
      h("p", { class: "muted small" }, "Placeholders: {APP_NAME}, {APP_URL}, {TOKEN}, {OTP}, {OTP_ID}, {ALERT_INFO}, {RECORD:<field>}."),
      TEMPLATES.map(([path, label]) => h("details", { "data-template": path }, h("summary", null, label),
        bound(draft, `${path}.subject`, "text", `${label}: subject`),
        bound(draft, `${path}.body`, "area", `${label}: body (HTML)`)))));
}
