// SDK 0.28.1: the records API — getList, getFullList, getFirstListItem, getOne, create, update,
// delete, pb.filter() with params, createBatch(), expand and fields options, rule-denied calls.
// Prints one JSON object; tests/e2e/test_records_sdk.py asserts on it.
import PocketBase, { ClientResponseError } from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const out = {};
const su = new PocketBase(PB_URL);
su.autoCancellation(false);
await su.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);

const err = async (fn) => {
  try {
    await fn();
    return { ok: true };
  } catch (e) {
    return {
      isClientResponseError: e instanceof ClientResponseError,
      status: e.status,
      message: e.response?.message,
      data: e.response?.data,
    };
  }
};

// -- schema: authors <- posts (rules by published / auth) -------------------------------------
const authors = await su.collections.create({
  name: "sdk_authors",
  type: "base",
  listRule: "",
  viewRule: "",
  fields: [{ name: "name", type: "text", required: true }],
});
await su.collections.create({
  name: "sdk_posts",
  type: "base",
  listRule: "published = true || @request.auth.id != ''",
  viewRule: "published = true || @request.auth.id != ''",
  createRule: "@request.auth.id != ''",
  updateRule: "@request.auth.id != ''",
  deleteRule: null,
  fields: [
    { name: "title", type: "text", required: true },
    { name: "body", type: "editor" },
    { name: "views", type: "number" },
    { name: "published", type: "bool" },
    { name: "author", type: "relation", collectionId: authors.id, maxSelect: 1 },
    { name: "tags", type: "select", maxSelect: 3, values: ["js", "py", "go"] },
    { name: "created", type: "autodate", onCreate: true },
    { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
  ],
});
await su.settings.update({ batch: { enabled: true, maxRequests: 50 } });

const ann = await su.collection("sdk_authors").create({ name: "Ann" });
const bob = await su.collection("sdk_authors").create({ name: "Bob" });

// -- a user (auth through the SDK) creates and edits posts ------------------------------------
await su.collection("users").create({
  email: "writer@example.com", password: "1234567890", passwordConfirm: "1234567890", name: "Writer",
});
const user = new PocketBase(PB_URL);
user.autoCancellation(false);
await user.collection("users").authWithPassword("writer@example.com", "1234567890");
const guest = new PocketBase(PB_URL);
guest.autoCancellation(false);

const posts = user.collection("sdk_posts");
const p1 = await posts.create({ title: "Alpha", body: "<p>Hello world, this is long</p>", views: 10, published: true, author: ann.id, tags: ["js", "py"] });
const p2 = await posts.create({ title: "Beta", views: 3, published: true, author: bob.id, tags: ["go"] });
const p3 = await posts.create({ title: "Gamma", views: 7, published: false, author: ann.id });
const p4 = await posts.create({ title: `O'Reilly "quoted"`, views: 1, published: true, author: ann.id });
out.create = {
  idLength: p1.id.length,
  collectionName: p1.collectionName,
  title: p1.title,
  views: p1.views,
  tags: p1.tags,
  author: p1.author === ann.id,
  hasAutodates: Boolean(p1.created && p1.updated),
};
out.createExpandFields = await posts.create(
  { title: "Delta", views: 0, published: false, author: bob.id },
  { expand: "author", fields: "title,expand.author.name" },
);

// -- getList: paging, sort, filter --------------------------------------------------------------
const page1 = await guest.collection("sdk_posts").getList(1, 2, { sort: "-views" });
out.getList = {
  page: page1.page,
  perPage: page1.perPage,
  totalItems: page1.totalItems,
  totalPages: page1.totalPages,
  titles: page1.items.map((r) => r.title),
};
const page2 = await guest.collection("sdk_posts").getList(2, 2, { sort: "-views" });
out.getList2 = page2.items.map((r) => r.title);
const filtered = await guest.collection("sdk_posts").getList(1, 10, { filter: "views >= 3 && tags:each ?= 'go'" });
out.getListFiltered = filtered.items.map((r) => r.title);
const skip = await guest.collection("sdk_posts").getList(1, 10, { skipTotal: true, sort: "title" });
out.skipTotal = { totalItems: skip.totalItems, totalPages: skip.totalPages, count: skip.items.length };
out.userList = (await posts.getList(1, 10, { sort: "created,title" })).items.map((r) => r.title);

// -- getFullList (batched pages) -----------------------------------------------------------------
out.getFullList = (await guest.collection("sdk_posts").getFullList({ sort: "title", batch: 2 })).map((r) => r.title);
out.getFullListUser = (await posts.getFullList({ batch: 2, sort: "-views", filter: user.filter("author = {:a}", { a: ann.id }) })).map((r) => r.title);

// -- pb.filter() with params ------------------------------------------------------------------
const since = new Date(Date.now() - 3600 * 1000);
out.filterText = guest.filter("title = {:title} && views > {:v}", { title: `O'Reilly "quoted"`, v: 0 });
const quoted = await guest.collection("sdk_posts").getFirstListItem(
  guest.filter("title = {:title} && views > {:v} && created >= {:since} && published = {:p}", {
    title: `O'Reilly "quoted"`, v: 0, since, p: true,
  }),
);
out.getFirstListItem = { id: quoted.id === p4.id, title: quoted.title };
out.filterNull = (await guest.collection("sdk_posts").getFullList({ filter: guest.filter("body = {:b}", { b: null }), sort: "title" })).map((r) => r.title);
out.firstMissing = await err(() => guest.collection("sdk_posts").getFirstListItem(guest.filter("title = {:t}", { t: "nope" })));
out.firstHidden = await err(() => guest.collection("sdk_posts").getFirstListItem(guest.filter("title = {:t}", { t: "Gamma" })));

// -- getOne, expand, fields ---------------------------------------------------------------------
const one = await guest.collection("sdk_posts").getOne(p1.id, { expand: "author" });
out.getOne = { title: one.title, expandedAuthor: one.expand?.author?.name, authorId: one.expand?.author?.id === ann.id };
out.getOneFields = await guest.collection("sdk_posts").getOne(p1.id, {
  fields: "id,title,body:excerpt(10,true),expand.author.name",
  expand: "author",
});
out.getOneFields.id = out.getOneFields.id === p1.id;
out.listFields = (await guest.collection("sdk_posts").getList(1, 1, { sort: "title", fields: "title,views" })).items;
const back = await guest.collection("sdk_authors").getOne(ann.id, { expand: "sdk_posts_via_author" });
out.backRelation = (back.expand?.sdk_posts_via_author ?? []).map((r) => r.title).sort();
const listExpand = await guest.collection("sdk_posts").getList(1, 10, { sort: "title", expand: "author", fields: "title,expand.author.name" });
out.listExpand = listExpand.items;
out.getOneHidden = await err(() => guest.collection("sdk_posts").getOne(p3.id));
out.getOneUser = (await posts.getOne(p3.id)).title;

// -- update (plain and with a modifier) ---------------------------------------------------------
const upd = await posts.update(p2.id, { title: "Beta 2", "views+": 5, "tags+": "js" });
out.update = { title: upd.title, views: upd.views, tags: upd.tags, updatedChanged: upd.updated >= p2.updated };
out.updateExpand = await posts.update(p2.id, { author: ann.id }, { expand: "author", fields: "author,expand.author.name" });
out.updateAuthor = out.updateExpand.author === ann.id;
delete out.updateExpand.author;

// -- rule-denied calls ----------------------------------------------------------------------------
out.guestCreate = await err(() => guest.collection("sdk_posts").create({ title: "nope", published: true }));
out.guestUpdate = await err(() => guest.collection("sdk_posts").update(p1.id, { title: "nope" }));
out.userDelete = await err(() => posts.delete(p1.id));
out.invalidCreate = await err(() => posts.create({ views: 1 }));
out.badFilter = await err(() => guest.collection("sdk_posts").getList(1, 10, { filter: "nope ==" }));

// -- delete ---------------------------------------------------------------------------------------
out.delete = await su.collection("sdk_posts").delete(p3.id);
out.deletedGone = await err(() => su.collection("sdk_posts").getOne(p3.id));

// -- createBatch ------------------------------------------------------------------------------------
const batch = user.createBatch();
batch.collection("sdk_posts").create({ id: "batchpost000001", title: "B1", published: true, author: bob.id });
batch.collection("sdk_posts").update(p4.id, { views: 42 });
batch.collection("sdk_posts").upsert({ id: "batchpost000002", title: "B2", published: true });
batch.collection("sdk_posts").upsert({ id: "batchpost000001", title: "B1 upserted" });
const batchOut = await batch.send();
out.batch = batchOut.map((r) => ({ status: r.status, title: r.body?.title, views: r.body?.views }));

const failing = user.createBatch();
failing.collection("sdk_posts").create({ id: "batchpost000003", title: "never", published: true });
failing.collection("sdk_posts").delete(p1.id); // deleteRule null: superusers only
out.batchDenied = await err(() => failing.send());
out.batchRolledBack = await err(() => su.collection("sdk_posts").getOne("batchpost000003"));

const suBatch = su.createBatch();
suBatch.collection("sdk_posts").delete("batchpost000002");
suBatch.collection("sdk_authors").create({ name: "Cy" });
out.suBatch = (await suBatch.send()).map((r) => r.status);

out.finalTitles = (await su.collection("sdk_posts").getFullList({ sort: "title" })).map((r) => r.title);
console.log(JSON.stringify(out));
