// SDK 0.28.1 creating the user's guide `articles` collection, body copied verbatim from the
// guide's curl example (v0.22 `schema` format, `"system": "id"` quirk, `"collectionId": "_users"`).
import PocketBase from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const pb = new PocketBase(PB_URL);
await pb.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);

const created = await pb.collections.create({
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
});

const users = await pb.collections.getOne("users");
const pick = (f) => Object.fromEntries(
  ["name", "type", "required", "system", "pattern", "collectionId", "cascadeDelete", "maxSelect", "onCreate", "onUpdate"]
    .filter((k) => k in f).map((k) => [k, f[k]]),
);
console.log(JSON.stringify({
  name: created.name,
  type: created.type,
  system: created.system,
  usersId: users.id,
  fields: created.fields.map(pick),
  schemaNames: (created.schema ?? []).map((f) => f.name),
  rules: {
    listRule: created.listRule,
    viewRule: created.viewRule,
    createRule: created.createRule,
    updateRule: created.updateRule,
    deleteRule: created.deleteRule,
  },
  persisted: (await pb.collections.getOne("articles")).fields.map((f) => f.name),
}));
