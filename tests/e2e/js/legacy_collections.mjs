// SDK 0.21.5 (the guide's generation) reading collections from Satchel: the v0.22 `schema`
// and `options` keys are there next to v0.40's `fields`. No `pb.admins` here: the superuser
// logs in through the `_superusers` auth collection.
import PocketBase from "pocketbase-legacy";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const pb = new PocketBase(PB_URL);
const auth = await pb.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);

const articles = await pb.collections.getOne("articles");
const schema = articles.schema.map((f) => ({ name: f.name, type: f.type, required: f.required, options: f.options }));
const all = await pb.collections.getFullList({ sort: "name" });
const listed = all.find((c) => c.name === "articles");
console.log(JSON.stringify({
  authKeys: Object.keys(auth).sort(),
  storeValid: pb.authStore.isValid,
  name: articles.name,
  schema,
  options: articles.options,
  hasFields: Array.isArray(articles.fields),
  listedSchema: (listed?.schema ?? []).map((f) => f.name),
  listRule: articles.listRule,
}));
