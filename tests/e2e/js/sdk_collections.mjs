// SDK 0.28.1: the collections API in the v0.40 `fields` format — create, list, view, first
// item by filter, update (add a field, rename a field), import, delete.
import PocketBase from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const out = {};
const pb = new PocketBase(PB_URL);
await pb.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);

const names = (fields) => fields.map((f) => f.name);

const created = await pb.collections.create({
  name: "e2e_posts",
  type: "base",
  listRule: "",
  viewRule: "",
  fields: [
    { name: "title", type: "text", required: true, max: 200 },
    { name: "body", type: "editor" },
    { name: "rating", type: "number", onlyInt: true },
    { name: "tags", type: "select", maxSelect: 3, values: ["a", "b", "c"] },
  ],
  indexes: ["CREATE INDEX idx_e2e_posts_title ON e2e_posts (title)"],
});
out.created = {
  idPrefix: created.id.slice(0, 4),
  idLength: created.id.length,
  name: created.name,
  type: created.type,
  system: created.system,
  listRule: created.listRule,
  createRule: created.createRule,
  fields: names(created.fields),
  title: (({ type, required, max, system }) => ({ type, required, max, system }))(
    created.fields.find((f) => f.name === "title"),
  ),
  tags: (({ maxSelect, values }) => ({ maxSelect, values }))(created.fields.find((f) => f.name === "tags")),
  indexes: created.indexes,
};

const list = await pb.collections.getList(1, 2, { filter: "system = false", sort: "-created" });
out.list = { page: list.page, perPage: list.perPage, firstName: list.items[0]?.name, totalPositive: list.totalItems >= 1 };

const full = await pb.collections.getFullList({ sort: "name" });
const fullNames = full.map((c) => c.name);
out.fullList = {
  hasPosts: fullNames.includes("e2e_posts"),
  hasSystem: ["_superusers", "users", "_otps", "_mfas", "_authOrigins", "_externalAuths"].every((n) => fullNames.includes(n)),
  sorted: JSON.stringify(fullNames) === JSON.stringify([...fullNames].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))),
};

const byName = await pb.collections.getOne("e2e_posts");
const byId = await pb.collections.getOne(created.id);
out.getOne = { sameId: byName.id === created.id && byId.name === "e2e_posts" };

const first = await pb.collections.getFirstListItem('name = "e2e_posts"');
out.firstListItem = { id: first.id === created.id, name: first.name };
try {
  await pb.collections.getFirstListItem('name = "no_such_collection"');
  out.firstMissing = "found";
} catch (err) {
  out.firstMissing = err.status;
}

// add a field (the whole list is sent, as the dashboard does)
const withViews = await pb.collections.update("e2e_posts", {
  fields: [...byName.fields, { name: "views", type: "number", min: 0 }],
});
out.addField = names(withViews.fields);

// rename a field: same id, new name
const renamed = await pb.collections.update("e2e_posts", {
  fields: withViews.fields.map((f) => (f.name === "body" ? { ...f, name: "content" } : f)),
});
const oldBody = byName.fields.find((f) => f.name === "body");
const content = renamed.fields.find((f) => f.name === "content");
out.renameField = { fields: names(renamed.fields), sameId: content.id === oldBody.id, type: content.type };
out.renamedPersisted = names((await pb.collections.getOne("e2e_posts")).fields);

// rename the collection itself
const movedColl = await pb.collections.update("e2e_posts", { name: "e2e_entries" });
out.renameCollection = { name: movedColl.name, sameId: movedColl.id === created.id };

// import: create one collection, update an existing one, delete none
const imported = await pb.collections.import(
  [
    { name: "e2e_imported", type: "base", fields: [{ name: "label", type: "text" }] },
    { ...movedColl, listRule: null },
  ],
  false,
);
out.importResult = imported;
const importedColl = await pb.collections.getOne("e2e_imported");
out.imported = { fields: names(importedColl.fields), entriesListRule: (await pb.collections.getOne("e2e_entries")).listRule };

// delete
out.deleteResult = await pb.collections.delete("e2e_imported");
out.deleteResult2 = await pb.collections.delete("e2e_entries");
try {
  await pb.collections.getOne("e2e_entries");
  out.afterDelete = "still there";
} catch (err) {
  out.afterDelete = err.status;
}
console.log(JSON.stringify(out));
