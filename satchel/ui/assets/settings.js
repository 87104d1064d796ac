// #/settings/<section>: every settings page, with a side menu. The sections that
// edit /api/settings are declared as field lists (settings-form.js); backups, crons,
// superusers and the collections import/export have their own modules.

import { api, listCollections } from "./api.js";
import { clear, errorSlot, h, openDialog, submitting } from "./dom.js";
import { settingsForm } from "./settings-form.js";
import { rememberAccent } from "./accent.js";
import { backupsSection, cronsSection } from "./backups.js";
import { superusersSection } from "./superusers.js";
import { exportSection, importSection } from "./import-export.js";

const TEMPLATES = [
  ["verification", "Verification"],
  ["password-reset", "Password reset"],
  ["email-change", "Confirm email change"],
  ["otp", "One-time password"],
  ["login-alert", "Login alert"],
];

function applicationSection(settings) {
  return settingsForm("application", settings, [
    { legend: "Application", specs: [
      { path: "meta.appName", label: "Application name" },
      { path: "meta.appURL", label: "Application URL", type: "url" },
      { path: "meta.hideControls", label: "Hide the collection create and edit controls", type: "checkbox" },
      { path: "meta.accentColor", label: "Accent colour", type: "accent" },
    ] },
    { legend: "Batch API", specs: [
      { path: "batch.enabled", label: "Enable the batch API (POST /api/batch)", type: "checkbox" },
      [{ path: "batch.maxRequests", label: "Max requests per batch", type: "number", attrs: { min: 0 } },
        { path: "batch.timeout", label: "Timeout (seconds)", type: "number", attrs: { min: 0 } },
        { path: "batch.maxBodySize", label: "Max body size (bytes, 0 = default)", type: "number", attrs: { min: 0 } }],
    ] },
    { legend: "Superuser access", specs: [
      { path: "superuserIPs", label: "Superuser IPs", type: "list", placeholder: "empty = any; e.g. 10.0.0.0/8, 192.168.1.2", help: "Superuser requests are refused from any other address." },
    ] },
  ], { onSaved: (saved) => rememberAccent(saved?.meta?.accentColor || "") });
}

function testEmailButton() {
  return h("button", { type: "button", class: "btn-plain", id: "test-email", onclick: openTestEmail }, "Send test email");
}

async function openTestEmail() {
  const collections = (await listCollections()).filter((c) => c.type === "auth");
  const status = h("p", { class: "notice ok", id: "test-email-sent", hidden: true, role: "status" }, "The test email was sent.");
  const form = h("form", { class: "stack", novalidate: true },
    h("fieldset", null, h("legend", null, "Template"),
      TEMPLATES.map(([value, label], i) => h("label", { class: "inline" }, h("input", { type: "radio", name: "template", value, checked: i === 0 }), label)),
      errorSlot("template")),
    h("div", { class: "field" }, h("label", { class: "field-label", for: "test-collection" }, "Auth collection"),
      h("select", { id: "test-collection", name: "collection" }, collections.map((c) => h("option", { value: c.name, selected: c.name === "_superusers" }, c.name))),
      errorSlot("collection")),
    h("div", { class: "field" }, h("label", { class: "field-label", for: "test-to" }, "To email address"),
      h("input", { type: "email", id: "test-to", name: "email", required: true }), errorSlot("email")),
    h("div", { class: "form-error", role: "alert" }), status,
    h("div", { class: "form-actions" }, h("span", { class: "spacer" }), h("button", { type: "submit", class: "btn", id: "send-test-email" }, "Send")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    status.hidden = true;
    const el = form.elements;
    submitting(form, async () => {
      await api("POST", "/api/settings/test/email", { body: { email: el.email.value, template: el.template.value, collection: el.collection.value } });
      status.hidden = false;
    });
  });
  openDialog("Send test email", h("div", { class: "panel-body" }, form));
}

function mailSection(settings) {
  return settingsForm("mail", settings, [
    { legend: "Sender", specs: [[
      { path: "meta.senderName", label: "Sender name" },
      { path: "meta.senderAddress", label: "Sender address", type: "email" }]] },
    { legend: "Mail server (SMTP)", specs: [
      { path: "smtp.enabled", label: "Send mail through this SMTP server (otherwise sendmail)", type: "checkbox" },
      [{ path: "smtp.host", label: "Host" }, { path: "smtp.port", label: "Port", type: "number", attrs: { min: 1, max: 65535 } }],
      [{ path: "smtp.username", label: "Username", attrs: { autocomplete: "off" } }, { path: "smtp.password", label: "Password", type: "password" }],
      [{ path: "smtp.authMethod", label: "Auth method", type: "select", options: [["", "PLAIN (default)"], ["PLAIN", "PLAIN"], ["LOGIN", "LOGIN"]] },
        { path: "smtp.localName", label: "EHLO/HELO name", placeholder: "localhost" }],
      { path: "smtp.tls", label: "Use TLS from the start (otherwise STARTTLS when offered)", type: "checkbox" },
    ] },
  ], { extra: testEmailButton() });
}

export function s3Specs(prefix) {
  return [
    { path: `${prefix}.enabled`, label: "Use S3 storage", type: "checkbox" },
    [{ path: `${prefix}.bucket`, label: "Bucket" }, { path: `${prefix}.region`, label: "Region" }],
    { path: `${prefix}.endpoint`, label: "Endpoint", type: "url", placeholder: "https://s3.example.com" },
    [{ path: `${prefix}.accessKey`, label: "Access key", attrs: { autocomplete: "off" } }, { path: `${prefix}.secret`, label: "Secret", type: "password" }],
    { path: `${prefix}.forcePathStyle`, label: "Force path-style addressing", type: "checkbox" },
  ];
}

export function testS3Button(filesystem) {
  const result = h("span", { class: "small", id: "s3-test-result", role: "status" });
  const button = h("button", { type: "button", class: "btn-plain", id: "test-s3", onclick: async () => {
    button.disabled = true;
    clear(result, "Testing…");
    try {
      await api("POST", "/api/settings/test/s3", { body: { filesystem } });
      result.className = "small ok-text";
      clear(result, "S3 connection successful.");
    } catch (err) {
      result.className = "small error-text";
      clear(result, err.message);
    } finally {
      button.disabled = false;
    }
  } }, "Test connection");
  return h("span", { class: "inline wrap" }, button, result);
}

function storageSection(settings) {
  return settingsForm("storage", settings, [
    { legend: "Files storage", specs: s3Specs("s3") },
  ], { extra: testS3Button("storage") });
}

function logsSettingsSection(settings) {
  return settingsForm("logs", settings, [
    { legend: "Logs", specs: [
      [{ path: "logs.maxDays", label: "Keep logs (days, 0 = no request logs)", type: "number", attrs: { min: 0 } },
        { path: "logs.minLevel", label: "Minimum level", type: "select", numeric: true, options: [["-4", "DEBUG"], ["0", "INFO"], ["4", "WARN"], ["8", "ERROR"]] }],
      { path: "logs.maxDataSize", label: "Max data size per entry (bytes, 0 = 16 KiB)", type: "number", attrs: { min: 0 } },
      { path: "logs.logIP", label: "Log the client IP", type: "checkbox" },
      { path: "logs.logAuthId", label: "Log the id of the authenticated record", type: "checkbox" },
    ] },
  ]);
}

// The rules are a small table: label, audience, max requests, duration; arrays replace on PATCH.
function rateLimitsSection(settings) {
  const limits = settings.rateLimits || { rules: [], excludedIPs: [], enabled: false };
  const tbody = h("tbody");
  const addRow = (rule = { label: "", audience: "", duration: 10, maxRequests: 100 }) => {
    const row = h("tr", { class: "rule-row" },
      h("td", null, h("input", { type: "text", "aria-label": "Label", name: "label", value: rule.label, placeholder: "*:auth, users:create, /api/" }), errorSlot("label")),
      h("td", null, h("select", { "aria-label": "Audience", name: "audience" },
        [["", "All"], ["@guest", "Guests"], ["@auth", "Authenticated"]].map(([v, l]) => h("option", { value: v, selected: rule.audience === v }, l)))),
      h("td", null, h("input", { type: "number", "aria-label": "Max requests", name: "maxRequests", min: 1, value: rule.maxRequests }), errorSlot("maxRequests")),
      h("td", null, h("input", { type: "number", "aria-label": "Duration (seconds)", name: "duration", min: 1, value: rule.duration }), errorSlot("duration")),
      h("td", null, h("button", { type: "button", class: "btn-plain small", "aria-label": "Remove rule", onclick: () => row.remove() }, "×")));
    tbody.append(row);
  };
  for (const rule of limits.rules) addRow(rule);
  const status = h("p", { class: "notice ok", id: "settings-saved", hidden: true, role: "status" }, "Settings saved.");
  const form = h("form", { class: "stack settings-form", id: "settings-rate-limits", novalidate: true },
    h("fieldset", null, h("legend", null, "Rate limits"),
      h("label", { class: "inline" }, h("input", { type: "checkbox", name: "enabled", checked: Boolean(limits.enabled) }), "Enable the rate limiter"),
      h("div", { class: "table-wrap" }, h("table", { class: "rules" },
        h("thead", null, h("tr", null, h("th", null, "Label"), h("th", null, "Audience"), h("th", null, "Max requests"), h("th", null, "Per seconds"), h("th", null, h("span", { class: "sr-only" }, "Remove")))),
        tbody)),
      errorSlot("rateLimits.rules"),
      h("div", null, h("button", { type: "button", class: "btn-plain small", id: "add-rule", onclick: () => addRow() }, "+ Add rule")),
      h("div", { class: "field" }, h("label", { class: "field-label", for: "excluded-ips" }, "Excluded IPs"),
        h("textarea", { id: "excluded-ips", name: "excludedIPs", rows: 2, value: (limits.excludedIPs || []).join(", ") }), errorSlot("rateLimits.excludedIPs")),
      h("small", { class: "muted" }, "Labels: <collection>:<action> (users:create, *:auth), a path (/api/), or a method and path (POST /api/batch). Superusers are never limited.")),
    h("div", { class: "form-error", role: "alert" }), status,
    h("div", { class: "form-actions" }, h("span", { class: "spacer" }), h("button", { type: "submit", class: "btn", id: "save-settings" }, "Save settings")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // the error slots follow the rows' current positions (rows can be removed)
    [...tbody.children].forEach((tr, i) => {
      for (const slot of tr.querySelectorAll("[data-error-for]")) slot.dataset.errorFor = `rateLimits.rules.${i}.${slot.dataset.errorFor.split(".").pop()}`;
    });
    const rules = [...tbody.children].map((tr) => ({
      label: tr.querySelector("[name=label]").value.trim(),
      audience: tr.querySelector("[name=audience]").value,
      maxRequests: Number(tr.querySelector("[name=maxRequests]").value) || 0,
      duration: Number(tr.querySelector("[name=duration]").value) || 0,
    }));
    const excludedIPs = form.elements.excludedIPs.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    status.hidden = true;
    submitting(form, async () => {
      await api("PATCH", "/api/settings", { body: { rateLimits: { enabled: form.elements.enabled.checked, rules, excludedIPs } } });
      status.hidden = false;
    });
  });
  return form;
}

function proxySection(settings) {
  const seen = h("p", { class: "notice", id: "proxy-seen" }, "Checking how this request reaches the server…");
  api("GET", "/api/health")
    .then((health) => {
      const d = health.data || {};
      clear(seen, "This request's client IP: ", h("strong", { class: "mono" }, d.realIP || "?"),
        d.possibleProxyHeader ? [". A proxy header was seen: ", h("strong", { class: "mono" }, d.possibleProxyHeader), " — add it below if the proxy is yours."] : ". No proxy header was seen.");
    })
    .catch((err) => clear(seen, err.message));
  return [seen, settingsForm("proxy", settings, [
    { legend: "Trusted proxy", specs: [
      { path: "trustedProxy.headers", label: "Client IP headers", type: "list", placeholder: "e.g. X-Forwarded-For, CF-Connecting-IP", help: "Only list headers set by your own proxy: a client can send any header." },
      { path: "trustedProxy.useLeftmostIP", label: "Use the leftmost IP of the header (the rightmost is safer)", type: "checkbox" },
    ] },
  ])];
}

const SECTIONS = [
  ["application", "Application", (s) => applicationSection(s)],
  ["mail", "Mail", (s) => mailSection(s)],
  ["storage", "Files storage", (s) => storageSection(s)],
  ["backups", "Backups", (s, go) => backupsSection(s, go)],
  ["crons", "Crons", () => cronsSection()],
  ["rate-limits", "Rate limits", (s) => rateLimitsSection(s)],
  ["proxy", "Trusted proxy", (s) => proxySection(s)],
  ["logs", "Logs", (s) => logsSettingsSection(s)],
  ["superusers", "Superusers", () => superusersSection()],
  ["export", "Export collections", () => exportSection()],
  ["import", "Import collections", (s, go) => importSection(go)],
];
const NEEDS_SETTINGS = new Set(["application", "mail", "storage", "backups", "rate-limits", "proxy", "logs"]);

export function settingsPage(section, go) {
  const current = SECTIONS.find(([name]) => name === section) || SECTIONS[0];
  const [name, title, build] = current;
  const menu = h("aside", { class: "sidebar" }, h("h2", null, "Settings"),
    h("ul", { class: "nav-list", id: "settings-menu" }, SECTIONS.map(([n, label]) =>
      h("li", null, h("a", { href: `#/settings/${n}`, class: n === name ? "active" : null, "aria-current": n === name ? "page" : null }, label)))));
  const main = h("section", { class: "content narrow-page" }, h("h1", null, title), h("p", { class: "muted" }, "Loading…"));
  const settings = NEEDS_SETTINGS.has(name) ? api("GET", "/api/settings") : Promise.resolve({});
  settings
    .then((s) => clear(main, h("h1", null, title), build(s, go)))
    .catch((err) => clear(main, h("h1", null, title), h("p", { class: "notice error", role: "alert" }, err.message)));
  return h("div", { class: "with-sidebar" }, menu, main);
}

export { openDialog };
