// SDK 0.21.5 (the guide's generation) reading collections from Satchel. Logged in the
// guide's way (`pb.admins.authWithPassword`, a 0.22 admin token), it gets the v0.22
// `schema` and `options` keys next to v0.40's `fields`; logged in through the v0.40
// `_superusers` collection it is a v0.40 client and gets PocketBase 0.40's body only.
import PocketBase from "pocketbase-legacy";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const pb = new PocketBase(PB_URL);
const auth = await pb.admins.authWithPassword(PB_EMAIL, PB_PASSWORD);

const articles = await pb.collections.getOne("articles");
const schema = articles.schema.map((f) => ({ name: f.name, type: f.type, required: f.required, options: f.options }));
const all = await pb.collections.getFullList({ sort: "name" });
const listed = all.find((c) => c.name === "articles");

const v040 = new PocketBase(PB_URL);
await v040.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);
const plain = await v040.collections.getOne("articles");
console.log(JSON.stringify({
  authKeys: Object.keys(auth).sort(),
  isAdmin: pb.authStore.isAdmin,
  storeValid: pb.authStore.isValid,
  name: articles.name,
  schema,
  options: articles.options,
  hasFields: Array.isArray(articles.fields),
  listedSchema: (listed?.schema ?? []).map((f) => f.name),
  listRule: articles.listRule,
  v040Keys: Object.keys(plain),
}));
