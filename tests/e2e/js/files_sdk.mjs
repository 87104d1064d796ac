// SDK 0.28.1: files through FormData/Blob, field+ / field- updates, getURL with thumbs,
// getToken for protected files.  Images come from Python (PNG_B64) and go back base64 so
// the test decodes them with Pillow.
import PocketBase from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD, PNG_B64 } = process.env;
const out = {};
const png = Buffer.from(PNG_B64, "base64");
const su = new PocketBase(PB_URL);
await su.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);

await su.collections.create({
  name: "gallery",
  type: "base",
  listRule: "",
  viewRule: '@request.auth.id != ""',
  createRule: "",
  updateRule: "",
  deleteRule: "",
  fields: [
    { name: "title", type: "text" },
    { name: "image", type: "file", maxSelect: 1, mimeTypes: ["image/png"], thumbs: ["50x0"] },
    { name: "docs", type: "file", maxSelect: 5 },
    { name: "secret", type: "file", maxSelect: 1, protected: true },
  ],
});
await su.collection("users").create({ email: "viewer@example.com", password: "1234567890", passwordConfirm: "1234567890" });
const viewer = new PocketBase(PB_URL);
await viewer.collection("users").authWithPassword("viewer@example.com", "1234567890");

const form = new FormData();
form.append("title", "with files");
form.append("image", new Blob([png], { type: "image/png" }), "photo.png");
form.append("docs", new Blob(["first doc"], { type: "text/plain" }), "first.txt");
form.append("docs", new Blob(["second doc"], { type: "text/plain" }), "second.txt");
form.append("secret", new Blob(["classified"], { type: "text/plain" }), "secret.txt");
const created = await viewer.collection("gallery").create(form);
out.created = { image: created.image, docs: created.docs, secret: created.secret };

// plain object with a Blob: the SDK turns it into multipart itself
const appended = await viewer.collection("gallery").update(created.id, {
  "docs+": new File(["third doc"], "third.txt", { type: "text/plain" }),
});
out.appendedDocs = appended.docs;
const removed = await viewer.collection("gallery").update(created.id, { "docs-": [created.docs[0]] });
out.removedDocs = removed.docs;

const fetchB64 = async (url) => {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get("content-type"), disposition: r.headers.get("content-disposition"),
           body: Buffer.from(await r.arrayBuffer()).toString("base64") };
};
out.original = await fetchB64(viewer.files.getURL(removed, removed.image));
out.thumb = await fetchB64(viewer.files.getURL(removed, removed.image, { thumb: "100x100" }));
out.listedThumb = await fetchB64(viewer.files.getURL(removed, removed.image, { thumb: "50x0" }));
out.guideCrop = await fetchB64(viewer.files.getURL(removed, removed.image, { thumb: "100x100!" }));
out.guideWidth = await fetchB64(viewer.files.getURL(removed, removed.image, { thumb: "100x" }));
out.download = await fetchB64(viewer.files.getURL(removed, removed.docs[0], { download: true }));

out.secretNoToken = (await fetch(viewer.files.getURL(removed, removed.secret))).status;
const fileToken = await viewer.files.getToken();
const withToken = await fetch(viewer.files.getURL(removed, removed.secret, { token: fileToken }));
out.secretWithToken = { status: withToken.status, text: await withToken.text() };
const guest = new PocketBase(PB_URL);
try {
  await guest.files.getToken();
  out.guestToken = "issued";
} catch (err) {
  out.guestToken = err.status;
}

try {
  const bad = new FormData();
  bad.append("image", new Blob(["<html><body>not an image</body></html>"], { type: "image/png" }), "fake.png");
  await viewer.collection("gallery").create(bad);
  out.wrongMime = "accepted";
} catch (err) {
  out.wrongMime = { status: err.status, code: err.response.data?.image?.code };
}

await viewer.collection("gallery").delete(created.id);
out.afterDelete = (await fetch(viewer.files.getURL(removed, removed.docs[0]))).status;
console.log(JSON.stringify(out));
