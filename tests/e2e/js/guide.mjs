// The user's guide (shared/seed) end to end with SDK 0.28.1: the `articles` collection posted
// as the guide's curl does (v0.22 `schema` body, superuser token), users registering and
// logging in, then the guide's create / getList / getOne / update / delete and its
// "Querying" snippets (filter, sort, `?~` search, expand + relation filter, fields) as a
// guest, as the author and as another user. Prints one JSON object for tests/e2e/test_guide.py.
import PocketBase, { ClientResponseError } from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD, PB_ADMIN_TOKEN } = process.env;
const out = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const client = () => {
  const pb = new PocketBase(PB_URL);
  pb.autoCancellation(false);
  return pb;
};
const err = async (fn) => {
  try {
    await fn();
    return { ok: true };
  } catch (e) {
    return { isClientResponseError: e instanceof ClientResponseError, status: e.status, message: e.response?.message, data: e.response?.data };
  }
};
const titles = (items) => items.map((r) => r.title);

// -- Admin API: "pb.admins.authWithToken('ADMIN_TOKEN')" (no such SDK method) -> README's equivalent
const admin = client();
out.authWithTokenExists = typeof admin.admins.authWithToken === "function";
admin.authStore.save(PB_ADMIN_TOKEN, null);
await admin.admins.authRefresh();
out.adminByToken = { isSuperuser: admin.authStore.isSuperuser, email: admin.authStore.model?.email };
const admin2 = client();
await admin2.admins.authWithPassword(PB_EMAIL, PB_PASSWORD); // "Or with email/password"
out.adminByPassword = admin2.authStore.isSuperuser;

// -- "Create collection via API (as admin)": the guide's curl, body verbatim ----------------------
const curl = await fetch(`${PB_URL}/api/collections`, {
  method: "POST",
  headers: { Authorization: admin.authStore.token, "Content-Type": "application/json" },
  body: `{
"name": "articles",
"type": "base",
"system": false,
"schema": [
{
"system": "id",
"name": "title",
"type": "text",
"required": true
},
{
"name": "content",
"type": "text",
"required": true
},
{
"name": "slug",
"type": "text",
"required": true,
"options": {
"pattern": "^[a-z0-9-]+$"
}
},
{
"name": "published",
"type": "bool",
"required": false
},
{
"name": "author",
"type": "relation",
"required": true,
"options": {
"collectionId": "_users",
"cascadeDelete": false,
"maxSelect": 1
}
}
],
"listRule": "published = true",
"viewRule": "published = true",
"createRule": "@request.auth.id != ''",
"updateRule": "@request.auth.id = author.id",
"deleteRule": "@request.auth.id = author.id"
}`,
});
const collection = await curl.json();
out.collection = { status: curl.status, name: collection.name, fields: collection.fields?.map((f) => f.name) };

// -- Authentication: "User Registration" + "User Login" --------------------------------------------
const john = client();
const registered = await john.collection("users").create({
  email: "john@example.com", password: "secure-password", passwordConfirm: "secure-password", name: "John Doe",
});
out.registered = { name: registered.name, hasEmail: "email" in registered, verified: registered.verified };
const authData = await john.collection("users").authWithPassword("john@example.com", "secure-password");
out.login = { isValid: john.authStore.isValid, tokenIsStored: john.authStore.token === authData.token, modelIsRecord: john.authStore.model?.id === authData.record.id };
const jane = client();
await jane.collection("users").create({ email: "jane@example.com", password: "secure-password", passwordConfirm: "secure-password", name: "Jane Roe" });
await jane.collection("users").authWithPassword("jane@example.com", "secure-password");
const guest = client();

// -- "Create record" (the guide's snippet verbatim, as John) ---------------------------------------
const first = await john.collection("articles").create({
  title: "My First Article",
  content: "Content goes here...",
  slug: "my-first-article",
  published: true,
  author: john.authStore.model.id,
});
out.created = { title: first.title, slug: first.slug, published: first.published, authorIsJohn: first.author === john.authStore.model.id, hasCreated: Boolean(first.created) };
const mk = async (pb, title, slug, published) => {
  await sleep(5); // distinct `created` for the guide's sort: '-created'
  return pb.collection("articles").create({ title, content: `About ${title}`, slug, published, author: pb.authStore.model.id });
};
const jsTips = await mk(john, "JavaScript Tips", "javascript-tips", true);
const draft = await mk(john, "Draft Notes", "draft-notes", false);
const go = await mk(jane, "Learning Go", "learning-go", true);
const janeJs = await mk(jane, "Advanced javascript patterns", "advanced-javascript", true);
out.badSlug = await err(() => john.collection("articles").create({ title: "x", content: "x", slug: "Bad Slug!", author: john.authStore.model.id }));
out.noAuthor = await err(() => john.collection("articles").create({ title: "x", content: "x", slug: "x" }));
out.guestCreate = await err(() => guest.collection("articles").create({ title: "x", content: "x", slug: "x", published: true, author: first.author }));

// -- the guide's read snippets, per requester -------------------------------------------------------
const reads = async (pb) => {
  const r = {};
  const articles = pb.collection("articles");
  // "Get records"
  r.getList = titles((await articles.getList(1, 20, { sort: "-created", filter: "published = true" })).items);
  r.getListNoFilter = titles((await articles.getList(1, 20, { sort: "-created" })).items);
  // "Get single record"
  r.getOne = (await articles.getOne(first.id)).title;
  r.getOneDraft = await err(() => articles.getOne(draft.id));
  r.bySlug = (await articles.getFirstListItem('slug="my-first-article"')).id === first.id;
  // "Querying": Filter
  const q = await articles.getList(1, 10, { filter: 'published = true && created >= "2024-01-01"', sort: "-created,title" });
  r.filter = { titles: titles(q.items), page: q.page, perPage: q.perPage, totalItems: q.totalItems, totalPages: q.totalPages };
  // "Full-text search"
  r.search = titles((await articles.getList(1, 10, { filter: 'title ?~ "javascript"', sort: "title" })).items);
  // "Relations"
  const rel = await articles.getList(1, 10, { expand: "author", filter: 'author.name ?~ "John"' });
  r.relations = rel.items.map((a) => ({ title: a.title, author: a.expand?.author?.name ?? null })).sort((a, b) => a.title.localeCompare(b.title));
  const expanded = await articles.getList(1, 10, { expand: "author", sort: "title" });
  r.expandAll = expanded.items.map((a) => [a.title, a.expand?.author?.name ?? null]);
  // "Select specific fields"
  const picked = await articles.getList(1, 10, { fields: "id,title,slug,author.id,author.name", sort: "title" });
  r.fields = picked.items.map((a) => ({ keys: Object.keys(a).sort(), authorIsId: typeof a.author === "string" && a.author.length === 15 }));
  r.fieldsExpand = (await articles.getList(1, 1, { fields: "title,expand.author.name", expand: "author", filter: 'slug = "my-first-article"' })).items;
  return r;
};
out.guest = await reads(guest);
out.john = await reads(john);
out.jane = await reads(jane);

// -- "Update record" / "Delete record" --------------------------------------------------------------
out.updateOwn = (await john.collection("articles").update(first.id, { title: "Updated Title" })).title;
out.updateOther = await err(() => jane.collection("articles").update(first.id, { title: "Hijacked" }));
out.updateGuest = await err(() => guest.collection("articles").update(first.id, { title: "Hijacked" }));
// the guide's updateRule checks the *stored* author: Jane may hand her article over to John
out.updateHandOver = (await jane.collection("articles").update(go.id, { author: john.authStore.model.id })).author === john.authStore.model.id;
out.updateHandedOver = await err(() => jane.collection("articles").update(go.id, { title: "Mine again?" }));
out.publishOwnDraft = (await john.collection("articles").update(draft.id, { published: true })).published; // updateRule has no `published`
out.deleteOther = await err(() => jane.collection("articles").delete(jsTips.id));
out.deleteGuest = await err(() => guest.collection("articles").delete(jsTips.id));
out.deleteOwn = await john.collection("articles").delete(jsTips.id);
out.deletedGone = await err(() => admin.collection("articles").getOne(jsTips.id));

// -- "API Rules": `listRule: ""` / `viewRule: ""` ("Everyone can view") on users -------------------
await admin.collections.update("users", { listRule: "", viewRule: "" });
const rel = await guest.collection("articles").getList(1, 10, { expand: "author", filter: 'author.name ?~ "John"', sort: "title" });
out.guestRelationsOpenUsers = rel.items.map((a) => [a.title, a.expand?.author?.name ?? null]);
out.guestFieldsExpandOpenUsers = (await guest.collection("articles").getList(1, 1, { fields: "title,expand.author.name", expand: "author", filter: `id = "${janeJs.id}"` })).items;

// superusers see everything, whatever the rules
out.admin = titles(await admin.collection("articles").getFullList({ sort: "title" }));
console.log(JSON.stringify(out));
