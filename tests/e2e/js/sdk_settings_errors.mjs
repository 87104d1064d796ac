// SDK 0.28.1: settings read/update and ClientResponseError on bad requests.
import PocketBase, { ClientResponseError } from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const out = {};
const pb = new PocketBase(PB_URL);
await pb.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);

const before = await pb.settings.getAll();
out.settingsKeys = Object.keys(before).sort();
out.appNameBefore = before.meta.appName;
const updated = await pb.settings.update({ meta: { appName: "Satchel E2E" } });
out.appNameUpdated = updated.meta.appName;
out.appURLKept = updated.meta.appURL === before.meta.appURL;
out.appNameReread = (await pb.settings.getAll()).meta.appName;
try {
  await pb.settings.update({ meta: { appName: "" } });
  out.emptyAppName = "accepted";
} catch (err) {
  out.emptyAppName = { status: err.status, code: err.response.data?.meta?.appName?.code };
}

const describe = (err) => ({
  isClientResponseError: err instanceof ClientResponseError,
  status: err.status,
  isAbort: err.isAbort,
  message: err.response.message,
  responseStatus: err.response.status,
  data: err.response.data,
  dataAlias: JSON.stringify(err.data) === JSON.stringify(err.response),
  urlPath: new URL(err.url).pathname,
});

try {
  await pb.collections.create({ type: "base", fields: [{ name: "title", type: "text" }] });
  out.missingName = "accepted";
} catch (err) {
  out.missingName = describe(err);
}
try {
  await pb.collections.create({ name: "users", type: "base" });
  out.duplicateName = "accepted";
} catch (err) {
  out.duplicateName = describe(err);
}
try {
  await pb.collections.create({ name: "bad_field", fields: [{ name: "x", type: "nope" }] });
  out.badFieldType = "accepted";
} catch (err) {
  out.badFieldType = { status: err.status, message: err.response.message, data: err.response.data };
}
try {
  await pb.collections.getOne("no_such_collection");
  out.missing = "found";
} catch (err) {
  out.missing = { status: err.status, message: err.response.message };
}
console.log(JSON.stringify(out));
