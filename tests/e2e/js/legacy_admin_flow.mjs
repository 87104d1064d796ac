// The guide's admin flow with SDK 0.21.5 (the guide's generation), end to end: log in with
// `pb.admins.authWithPassword`, create/list/update a collection in the v0.22 `schema` shape,
// write and read records (a protected file through an admin file token, realtime events),
// settings, then delete the collection. Prints one JSON object for tests/e2e/test_legacy_admin_sdk.py.
import PocketBase from "pocketbase-legacy";
import { EventSource } from "eventsource";

globalThis.EventSource = EventSource;

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const out = {};
const pb = new PocketBase(PB_URL);
pb.autoCancellation(false);
const err = async (fn) => {
  try {
    await fn();
    return { ok: true };
  } catch (e) {
    return { status: e.status, message: e.response?.message, data: e.response?.data };
  }
};

const auth = await pb.admins.authWithPassword(PB_EMAIL, PB_PASSWORD);
out.auth = { keys: Object.keys(auth).sort(), isAdmin: pb.authStore.isAdmin, email: pb.authStore.model.email };

const created = await pb.collections.create({
  name: "notes",
  type: "base",
  schema: [
    { name: "title", type: "text", required: true, options: { min: 2, max: 50 } },
    { name: "views", type: "number", options: { min: 0 } },
    { name: "doc", type: "file", options: { maxSelect: 1, maxSize: 1048576, protected: true } },
  ],
  listRule: "",
  viewRule: null,
});
out.created = { name: created.name, schema: created.schema.map((f) => [f.name, f.type, f.required, f.options]), options: created.options };
const list = await pb.collections.getList(1, 50, { filter: "name = 'notes'" });
out.listed = { total: list.totalItems, schemaNames: list.items[0].schema.map((f) => f.name) };
const updated = await pb.collections.update("notes", {
  schema: [...created.schema, { name: "tags", type: "select", options: { maxSelect: 2, values: ["a", "b"] } }],
});
out.updated = updated.schema.map((f) => f.name);
out.badSchema = await err(() => pb.collections.create({ name: "bad", schema: [{ name: "x", type: "nope" }] }));

// records as the admin; realtime events of a superuser-only collection (viewRule null)
const events = [];
await pb.collection("notes").subscribe("*", (e) => events.push([e.action, e.record.title]));
const form = new FormData();
form.append("title", "hello");
form.append("views", "3");
form.append("tags", "a");
form.append("doc", new Blob(["secret text"], { type: "text/plain" }), "doc.txt");
const rec = await pb.collection("notes").create(form);
out.record = { title: rec.title, views: rec.views, tags: rec.tags, collectionName: rec.collectionName };
out.invalidRecord = await err(() => pb.collection("notes").create({ title: "x" }));
const fileToken = await pb.files.getToken();
const url = pb.files.getUrl(rec, rec.doc, { token: fileToken });
const fileResp = await fetch(url);
out.file = { status: fileResp.status, body: await fileResp.text(), without: (await fetch(pb.files.getUrl(rec, rec.doc))).status };
const page = await pb.collection("notes").getList(1, 10, { sort: "-created" });
out.records = page.items.map((r) => r.title);
for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
out.events = events;
await pb.collection("notes").unsubscribe();
await pb.collection("notes").update(rec.id, { views: 4 });
out.viewed = (await pb.collection("notes").getOne(rec.id)).views;

// settings and refresh
const settings = await pb.settings.getAll();
out.settingsHasMeta = typeof settings.meta === "object";
await pb.admins.authRefresh();
out.refreshed = pb.authStore.isAdmin && pb.authStore.isValid;

await pb.collection("notes").delete(rec.id);
out.deleted = await pb.collections.delete("notes");
out.afterDelete = await err(() => pb.collections.getOne("notes"));
pb.authStore.clear();
out.guest = await err(() => pb.collections.getList(1, 1));
console.log(JSON.stringify(out));
