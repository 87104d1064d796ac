// #/settings: the application name and URL, and the SMTP server.

import { api } from "./api.js";
import { clear, errorSlot, h, labelled, submitting } from "./dom.js";

function input(name, value, attrs = {}) {
  return h("input", { type: "text", name, value: value ?? "", ...attrs });
}

function settingsForm(settings) {
  const { meta = {}, smtp = {} } = settings;
  const status = h("p", { class: "notice ok", id: "settings-saved", hidden: true, role: "status" }, "Settings saved.");
  const form = h(
    "form",
    { class: "stack settings-form", novalidate: true },
    h("fieldset", null, h("legend", null, "Application"),
      labelled("Application name", input("appName", meta.appName), "meta.appName"),
      labelled("Application URL", input("appURL", meta.appURL, { type: "url" }), "meta.appURL")),
    h("fieldset", null, h("legend", null, "Mail server (SMTP)"),
      h("label", { class: "inline" }, h("input", { type: "checkbox", name: "smtpEnabled", checked: Boolean(smtp.enabled) }), "Send mail through this SMTP server"),
      errorSlot("smtp.enabled"),
      h("div", { class: "row" },
        labelled("Host", input("smtpHost", smtp.host), "smtp.host"),
        labelled("Port", input("smtpPort", smtp.port, { type: "number", min: 1, max: 65535, class: "narrow" }), "smtp.port")),
      h("div", { class: "row" },
        labelled("Username", input("smtpUsername", smtp.username, { autocomplete: "off" }), "smtp.username"),
        labelled("Password", input("smtpPassword", "", { type: "password", autocomplete: "new-password", placeholder: "unchanged when empty" }), "smtp.password"))),
    h("div", { class: "form-error", role: "alert" }),
    status,
    h("div", { class: "form-actions" }, h("span", { class: "spacer" }), h("button", { type: "submit", class: "btn", id: "save-settings" }, "Save settings")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const el = form.elements;
    const smtpBody = { enabled: el.smtpEnabled.checked, host: el.smtpHost.value, port: Number(el.smtpPort.value) || 0, username: el.smtpUsername.value };
    if (el.smtpPassword.value) smtpBody.password = el.smtpPassword.value;
    status.hidden = true;
    submitting(form, async () => {
      await api("PATCH", "/api/settings", { body: { meta: { appName: el.appName.value, appURL: el.appURL.value }, smtp: smtpBody } });
      el.smtpPassword.value = "";
      status.hidden = false;
    });
  });
  return form;
}

export function settingsPage() {
  const main = h("section", { class: "content narrow-page" }, h("h1", null, "Settings"), h("p", { class: "muted" }, "Loading…"));
  api("GET", "/api/settings")
    .then((settings) => clear(main, h("h1", null, "Settings"), settingsForm(settings)))
    .catch((err) => clear(main, h("h1", null, "Settings"), h("p", { class: "notice error", role: "alert" }, err.message)));
  return main;
}
