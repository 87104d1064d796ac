// The pages shown without a session: the first-superuser installer, the login
// form and the OAuth2 "you may close this window" pages.

import { api, auth, login } from "./api.js";
import { h, labelled, submitting } from "./dom.js";

function card(title, intro, ...body) {
  return h("main", { class: "centered" }, h("section", { class: "card" }, h("h1", null, title), intro ? h("p", { class: "muted" }, intro) : null, body));
}

function input(name, type, label, extra = {}) {
  return labelled(label, h("input", { name, type, required: true, ...extra }), name);
}

export function installPage(token, go) {
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    input("email", "email", "Email", { autocomplete: "username" }),
    input("password", "password", "Password", { autocomplete: "new-password", minlength: 8 }),
    input("passwordConfirm", "password", "Confirm password", { autocomplete: "new-password" }),
    h("div", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "btn" }, "Create superuser and log in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value;
    submitting(form, async () => {
      const body = { email: value("email"), password: value("password"), passwordConfirm: value("passwordConfirm") };
      await api("POST", "/api/collections/_superusers/records", { body, token });
      await login(body.email, body.password);
      go("collections");
    });
  });
  return card("Create your first superuser", "This account manages everything in this Satchel instance.", form);
}

export function loginPage(go) {
  if (auth.get()) {
    queueMicrotask(() => go("collections"));
  }
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    input("identity", "email", "Email", { autocomplete: "username" }),
    input("password", "password", "Password", { autocomplete: "current-password" }),
    h("div", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "btn" }, "Log in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      await login(form.elements.identity.value, form.elements.password.value);
      go("collections");
    });
  });
  return card("Superuser login", null, form);
}

export function oauth2Page(outcome) {
  const ok = outcome === "oauth2-redirect-success";
  if (!ok && outcome !== "oauth2-redirect-failure") {
    return card("Not found", "There is no such page.", h("a", { href: "#/login" }, "Go to login"));
  }
  const title = ok ? "Authentication completed" : "Authentication failed";
  const text = ok
    ? "You may close this window and go back to the application."
    : "The sign-in did not succeed. You may close this window and try again from the application.";
  return card(title, text, h("button", { type: "button", class: "btn", onclick: () => window.close() }, "Close window"));
}
