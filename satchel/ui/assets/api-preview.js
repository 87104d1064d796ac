// "API preview" of a collection: its real routes, who may call them (the rule), the
// fields a body takes, and the same call with the JavaScript SDK and with curl.

import { url } from "./api.js";
import { clear, h, openDialog } from "./dom.js";

const ruleText = (rule) => (rule === null || rule === undefined ? "Superusers only" : rule === "" ? "Everyone" : rule);

export function endpoints(c) {
  const base = `/api/collections/${c.name}`;
  const records = `${base}/records`;
  const sdk = `pb.collection("${c.name}")`;
  const list = [
    { id: "list", title: "List / search", method: "GET", path: records, rule: c.listRule,
      params: "page, perPage, sort (-created,title), filter, expand, fields, skipTotal",
      js: `const page = await ${sdk}.getList(1, 50, {\n  filter: 'created >= "2024-01-01 00:00:00"',\n  sort: "-created",\n});`,
      curl: `curl '${url(records)}?page=1&perPage=50&sort=-created'` },
    { id: "view", title: "View", method: "GET", path: `${records}/:id`, rule: c.viewRule, params: "expand, fields",
      js: `const record = await ${sdk}.getOne("RECORD_ID");`, curl: `curl '${url(records)}/RECORD_ID'` },
  ];
  if (c.type !== "view") {
    const fields = c.fields.filter((f) => !f.system && f.type !== "autodate").map((f) => f.name);
    const sample = Object.fromEntries(fields.slice(0, 4).map((n) => [n, "…"]));
    if (c.type === "auth") Object.assign(sample, { email: "test@example.com", password: "12345678", passwordConfirm: "12345678" });
    const body = JSON.stringify(sample, null, 2);
    list.push(
      { id: "create", title: "Create", method: "POST", path: records, rule: c.createRule, params: "expand, fields; JSON or multipart (files)",
        body: c.fields.filter((f) => f.type !== "autodate" && !(f.system && f.name !== "id" && c.type !== "auth")),
        js: `const record = await ${sdk}.create(${body});`, curl: `curl -X POST '${url(records)}' -H 'Content-Type: application/json' -d '${JSON.stringify(sample)}'` },
      { id: "update", title: "Update", method: "PATCH", path: `${records}/:id`, rule: c.updateRule, params: "expand, fields; JSON or multipart (files)",
        body: c.fields.filter((f) => f.type !== "autodate" && !f.system),
        js: `const record = await ${sdk}.update("RECORD_ID", ${body});`, curl: `curl -X PATCH '${url(records)}/RECORD_ID' -H 'Content-Type: application/json' -d '${JSON.stringify(sample)}'` },
      { id: "delete", title: "Delete", method: "DELETE", path: `${records}/:id`, rule: c.deleteRule, params: "",
        js: `await ${sdk}.delete("RECORD_ID");`, curl: `curl -X DELETE '${url(records)}/RECORD_ID'` },
      { id: "realtime", title: "Realtime", method: "SSE", path: "/api/realtime", rule: c.listRule, params: `topics: ${c.name}/* or ${c.name}/RECORD_ID (the view rule for one record)`,
        js: `await ${sdk}.subscribe("*", (e) => {\n  console.log(e.action, e.record);\n});`, curl: "" },
    );
  }
  if (c.type === "auth") {
    list.push(
      { id: "auth-password", title: "Auth with password", method: "POST", path: `${base}/auth-with-password`, rule: c.authRule,
        params: `body: identity (${(c.passwordAuth?.identityFields || ["email"]).join(" or ")}), password`,
        js: `const auth = await ${sdk}.authWithPassword("test@example.com", "12345678");`,
        curl: `curl -X POST '${url(base)}/auth-with-password' -H 'Content-Type: application/json' -d '{"identity":"test@example.com","password":"12345678"}'` },
      { id: "auth-refresh", title: "Auth refresh", method: "POST", path: `${base}/auth-refresh`, rule: c.authRule, params: "Authorization: the record's token",
        js: `await ${sdk}.authRefresh();`, curl: `curl -X POST '${url(base)}/auth-refresh' -H 'Authorization: TOKEN'` },
      { id: "auth-methods", title: "Auth methods", method: "GET", path: `${base}/auth-methods`, rule: "", params: "",
        js: `const methods = await ${sdk}.listAuthMethods();`, curl: `curl '${url(base)}/auth-methods'` },
      { id: "otp", title: "OTP", method: "POST", path: `${base}/request-otp → ${base}/auth-with-otp`, rule: c.authRule, params: "body: email → otpId, password",
        js: `const { otpId } = await ${sdk}.requestOTP("test@example.com");\nawait ${sdk}.authWithOTP(otpId, "CODE");`, curl: "" },
      { id: "verification", title: "Verification", method: "POST", path: `${base}/request-verification → ${base}/confirm-verification`, rule: "", params: "body: email → token",
        js: `await ${sdk}.requestVerification("test@example.com");`, curl: "" },
      { id: "password-reset", title: "Password reset", method: "POST", path: `${base}/request-password-reset → ${base}/confirm-password-reset`, rule: "", params: "body: email → token, password, passwordConfirm",
        js: `await ${sdk}.requestPasswordReset("test@example.com");`, curl: "" },
      { id: "email-change", title: "Email change", method: "POST", path: `${base}/request-email-change → ${base}/confirm-email-change`, rule: "the record itself", params: "body: newEmail → token, password",
        js: `await ${sdk}.requestEmailChange("new@example.com");`, curl: "" },
    );
  }
  return list;
}

function endpointView(e) {
  return h("div", { class: "stack", "data-endpoint": e.id },
    h("p", null, h("span", { class: `method method-${e.method.toLowerCase()}` }, e.method), " ", h("code", { class: "mono" }, e.path)),
    h("p", { class: "small" }, h("strong", null, "Who may call it: "), h("code", { class: "mono" }, ruleText(e.rule))),
    e.params ? h("p", { class: "small muted" }, e.params) : null,
    e.body ? h("div", { class: "table-wrap" }, h("table", { class: "kv" }, h("thead", null, h("tr", null, h("th", null, "Body field"), h("th", null, "Type"))),
      h("tbody", null, e.body.map((f) => h("tr", null, h("th", { scope: "row" }, f.name, f.required ? " *" : ""), h("td", null, f.type)))))) : null,
    h("span", { class: "field-label small" }, "JavaScript SDK"), h("pre", { class: "json", "data-snippet": "js" }, `import PocketBase from "pocketbase";\nconst pb = new PocketBase("${url("")}");\n\n${e.js}`),
    e.curl ? [h("span", { class: "field-label small" }, "curl"), h("pre", { class: "json", "data-snippet": "curl" }, e.curl)] : null);
}

export function openApiPreview(collection) {
  const list = endpoints(collection);
  const area = h("div", { id: "api-preview-body" });
  const buttons = list.map((e, i) => h("button", { type: "button", role: "tab", class: "tab", "data-tab": e.id, "aria-selected": String(i === 0), onclick: () => {
    for (const b of buttons) b.setAttribute("aria-selected", String(b === buttons[i]));
    clear(area, endpointView(e));
  } }, e.title));
  clear(area, endpointView(list[0]));
  openDialog(`API preview: ${collection.name}`, h("div", { class: "panel-body stack" }, h("div", { class: "tabs", role: "tablist" }, buttons), area)).classList.add("wide-panel");
}
