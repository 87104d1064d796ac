// #/settings/superusers: the `_superusers` accounts (list, add, delete).

import { api, auth } from "./api.js";
import { clear, errorSlot, h, submitting } from "./dom.js";

const PATH = "/api/collections/_superusers/records";

function addForm(reload) {
  const form = h("form", { class: "stack", id: "add-superuser", novalidate: true },
    h("fieldset", null, h("legend", null, "Add a superuser"),
      h("div", { class: "field" }, h("label", { class: "field-label", for: "su-email" }, "Email"), h("input", { type: "email", id: "su-email", name: "email", autocomplete: "off" }), errorSlot("email")),
      h("div", { class: "row" },
        h("div", { class: "field" }, h("label", { class: "field-label", for: "su-password" }, "Password"), h("input", { type: "password", id: "su-password", name: "password", autocomplete: "new-password" }), errorSlot("password")),
        h("div", { class: "field" }, h("label", { class: "field-label", for: "su-confirm" }, "Password confirm"), h("input", { type: "password", id: "su-confirm", name: "passwordConfirm", autocomplete: "new-password" }), errorSlot("passwordConfirm")))),
    h("div", { class: "form-error", role: "alert" }),
    h("div", { class: "form-actions" }, h("span", { class: "spacer" }), h("button", { type: "submit", class: "btn", id: "create-superuser" }, "Add superuser")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const el = form.elements;
    submitting(form, async () => {
      await api("POST", PATH, { body: { email: el.email.value, password: el.password.value, passwordConfirm: el.passwordConfirm.value } });
      form.reset();
      reload();
    });
  });
  return form;
}

function list(area, note) {
  const reload = () => list(area, note);
  const me = auth.get()?.record?.id;
  api("GET", PATH, { query: { perPage: 200, sort: "email" } })
    .then((result) => clear(area, h("div", { class: "table-wrap" }, h("table", { class: "superusers" },
      h("thead", null, h("tr", null, h("th", null, "Email"), h("th", null, "Created (UTC)"), h("th", null, h("span", { class: "sr-only" }, "Delete")))),
      h("tbody", null, result.items.map((u) => h("tr", { "data-id": u.id },
        h("td", null, u.email, u.id === me ? h("span", { class: "badge" }, "you") : null),
        h("td", { class: "muted small nowrap" }, u.created),
        h("td", null, h("button", { type: "button", class: "btn-danger small", "data-action": "delete", onclick: async () => {
          if (!confirm(`Delete the superuser ${u.email}?`)) return;
          note.hidden = true;
          try {
            await api("DELETE", `${PATH}/${encodeURIComponent(u.id)}`);
            reload();
          } catch (err) {
            note.hidden = false;
            clear(note, err.message);
          }
        } }, "Delete"))))))), addForm(reload)))
    .catch((err) => clear(area, h("p", { class: "notice error", role: "alert" }, err.message)));
}

export function superusersSection() {
  const area = h("div", { class: "stack", id: "superusers-list" }, h("p", { class: "muted" }, "Loading…"));
  const note = h("p", { class: "notice error", role: "alert", hidden: true, id: "superusers-error" });
  list(area, note);
  return [note, area];
}
