// The pages shown without a session: the first-superuser installer, the login
// form and the OAuth2 "you may close this window" pages.

import { api, auth, login, loginWithOtp, tokenClaims } from "./api.js";
import { clear, h, labelled, submitting } from "./dom.js";

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

const SU = "/api/collections/_superusers";

// The login: a password step (when enabled), a one-time password step (when enabled,
// or when MFA asks for a second factor), and "forgot password".
export function loginPage(go) {
  if (auth.get()) {
    queueMicrotask(() => go("collections"));
  }
  const body = h("div", { class: "stack" }, h("p", { class: "muted" }, "Loading…"));
  const state = { mfaId: "", email: "", methods: null };
  const done = () => go("collections");

  const codeStep = (otpId, sentTo) => {
    const form = h("form", { class: "stack", novalidate: true, id: "otp-form" },
      h("p", { class: "muted" }, state.mfaId ? "Second step: " : "", `A one-time password was sent to ${sentTo}.`),
      input("code", "text", "One-time password", { autocomplete: "one-time-code", inputmode: "numeric" }),
      h("div", { class: "form-error", role: "alert" }),
      h("button", { type: "submit", class: "btn" }, "Log in"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitting(form, async () => {
        try {
          await loginWithOtp(otpId, form.elements.code.value.trim(), state.mfaId);
          done();
        } catch (err) {
          if (err.body?.mfaId && !state.mfaId) {
            state.mfaId = err.body.mfaId;
            passwordStep("Second step: your password.");
            return;
          }
          throw err;
        }
      });
    });
    clear(body, form);
    form.elements.code.focus();
  };

  const requestOtp = async (email) => {
    const { otpId } = await api("POST", `${SU}/request-otp`, { body: { email }, token: null });
    codeStep(otpId, email);
  };

  const otpStart = () => {
    const form = h("form", { class: "stack", novalidate: true },
      input("email", "email", "Email", { autocomplete: "username", value: state.email }),
      h("div", { class: "form-error", role: "alert" }),
      h("button", { type: "submit", class: "btn" }, "Send a one-time password"),
      h("button", { type: "button", class: "btn-plain", onclick: () => passwordStep() }, "Back"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.email = form.elements.email.value;
      submitting(form, () => requestOtp(state.email));
    });
    clear(body, form);
  };

  const forgot = () => {
    const sent = h("p", { class: "notice ok", role: "status", hidden: true, id: "reset-sent" }, "If the address belongs to a superuser, a reset link is on its way.");
    const form = h("form", { class: "stack", novalidate: true },
      input("email", "email", "Email", { autocomplete: "username", value: state.email }),
      h("div", { class: "form-error", role: "alert" }), sent,
      h("button", { type: "submit", class: "btn" }, "Send a reset link"),
      h("button", { type: "button", class: "btn-plain", onclick: () => passwordStep() }, "Back to login"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitting(form, async () => {
        await api("POST", `${SU}/request-password-reset`, { body: { email: form.elements.email.value }, token: null });
        sent.hidden = false;
      });
    });
    clear(body, form);
  };

  const passwordStep = (note) => {
    const methods = state.methods || {};
    if (methods.password && methods.password.enabled === false && !state.mfaId) return otpStart();
    const form = h("form", { class: "stack", novalidate: true },
      note ? h("p", { class: "muted" }, note) : null,
      input("identity", "email", "Email", { autocomplete: "username", value: state.email }),
      input("password", "password", "Password", { autocomplete: "current-password" }),
      h("div", { class: "form-error", role: "alert" }),
      h("button", { type: "submit", class: "btn" }, "Log in"),
      methods.otp?.enabled && !state.mfaId ? h("button", { type: "button", class: "btn-plain", id: "use-otp", onclick: otpStart }, "Log in with a one-time password") : null,
      h("button", { type: "button", class: "btn-plain small", id: "forgot-password", onclick: forgot }, "Forgot password?"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      state.email = form.elements.identity.value;
      submitting(form, async () => {
        try {
          await login(state.email, form.elements.password.value, state.mfaId);
          done();
        } catch (err) {
          // MFA: the password was right, a one-time password must follow
          if (err.body?.mfaId && !state.mfaId && methods.otp?.enabled) {
            state.mfaId = err.body.mfaId;
            await requestOtp(state.email);
            return;
          }
          throw err;
        }
      });
    });
    clear(body, form);
  };

  api("GET", `${SU}/auth-methods`, { token: null })
    .then((methods) => {
      state.methods = methods;
      passwordStep();
    })
    .catch(() => passwordStep());
  return card("Superuser login", null, body);
}

// The pages the default mail templates link to: /_/#/auth/confirm-…/<token>. The token
// names its collection; the server checks it.
function confirmPasswordReset(token) {
  const claims = tokenClaims(token);
  const result = h("p", { class: "notice ok", role: "status", hidden: true, id: "confirm-done" }, "Your password was changed. You can sign in with the new one.");
  const form = h("form", { class: "stack", novalidate: true },
    claims.email ? h("p", { class: "muted" }, `For ${claims.email}`) : null,
    input("password", "password", "New password", { autocomplete: "new-password" }),
    input("passwordConfirm", "password", "Confirm new password", { autocomplete: "new-password" }),
    h("div", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "btn" }, "Set new password"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      await api("POST", `/api/collections/${encodeURIComponent(claims.collectionId || "")}/confirm-password-reset`,
        { body: { token, password: form.elements.password.value, passwordConfirm: form.elements.passwordConfirm.value }, token: null });
      form.hidden = true;
      result.hidden = false;
    });
  });
  return card("Reset your password", null, form, result);
}

function confirmVerification(token) {
  const claims = tokenClaims(token);
  const status = h("p", { class: "notice", role: "status", id: "confirm-status" }, "Verifying…");
  api("POST", `/api/collections/${encodeURIComponent(claims.collectionId || "")}/confirm-verification`, { body: { token }, token: null })
    .then(() => {
      status.className = "notice ok";
      clear(status, `Your email${claims.email ? ` ${claims.email}` : ""} is verified. You may close this window.`);
    })
    .catch((err) => {
      status.className = "notice error";
      clear(status, `The verification failed: ${err.message} The link may have expired or been used already.`);
    });
  return card("Email verification", null, status);
}

function confirmEmailChange(token) {
  const claims = tokenClaims(token);
  const result = h("p", { class: "notice ok", role: "status", hidden: true, id: "confirm-done" }, "Your email address was changed. Sign in with the new one.");
  const form = h("form", { class: "stack", novalidate: true },
    claims.newEmail ? h("p", { class: "muted" }, `Change your email to ${claims.newEmail}`) : null,
    input("password", "password", "Your password", { autocomplete: "current-password" }),
    h("div", { class: "form-error", role: "alert" }),
    h("button", { type: "submit", class: "btn" }, "Confirm the new email"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(form, async () => {
      await api("POST", `/api/collections/${encodeURIComponent(claims.collectionId || "")}/confirm-email-change`,
        { body: { token, password: form.elements.password.value }, token: null });
      form.hidden = true;
      result.hidden = false;
    });
  });
  return card("Confirm your new email", null, form, result);
}

export const CONFIRM_PAGES = {
  "confirm-password-reset": confirmPasswordReset,
  "confirm-verification": confirmVerification,
  "confirm-email-change": confirmEmailChange,
};

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
