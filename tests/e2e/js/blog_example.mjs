// SDK 0.28.1 against examples/blog (pb_hooks + pb_migrations): author stamped by a hook, the
// comment counter kept by model hooks, the custom route behind requireAuth, the nightly job run
// through pb.crons, the verification mail (its subject is checked by the Python test).
// Prints one JSON object; tests/e2e/test_blog_example.py asserts on it.
import PocketBase from "pocketbase";

const { PB_URL, PB_EMAIL, PB_PASSWORD } = process.env;
const out = {};
const client = () => {
  const pb = new PocketBase(PB_URL);
  pb.autoCancellation(false);
  return pb;
};
const status = async (fn) => {
  try {
    await fn();
    return 200;
  } catch (e) {
    return e.status;
  }
};

const su = client();
await su.collection("_superusers").authWithPassword(PB_EMAIL, PB_PASSWORD);

const guest = client();
const password = "1234567890";
const alice = await guest.collection("users").create({ email: "alice@example.com", password, passwordConfirm: password, name: "Alice" });
const bob = await guest.collection("users").create({ email: "bob@example.com", password, passwordConfirm: password, name: "Bob" });
await guest.collection("users").requestVerification("alice@example.com");

const asAlice = client();
await asAlice.collection("users").authWithPassword("alice@example.com", password);
const asBob = client();
await asBob.collection("users").authWithPassword("bob@example.com", password);

// the body says bob and 99 comments: the hook stamps alice and 0
const post = await asAlice.collection("posts").create({ title: "Hello blog", body: "First!", author: bob.id, comments_count: 99 });
out.postAuthorIsAlice = post.author === alice.id;
out.postCount = post.comments_count;
out.guestCreate = await status(() => guest.collection("posts").create({ title: "nope" }));

const c1 = await asBob.collection("comments").create({ post: post.id, text: "Nice", author: alice.id });
await asBob.collection("comments").create({ post: post.id, text: "Very nice" });
out.commentAuthorIsBob = c1.author === bob.id;
out.countAfterTwo = (await guest.collection("posts").getOne(post.id)).comments_count;
await asBob.collection("comments").delete(c1.id);
out.countAfterDelete = (await guest.collection("posts").getOne(post.id)).comments_count;
// a comment on a missing post fails: nothing is counted, nothing is kept
out.badComment = await status(() => asBob.collection("comments").create({ post: "missingpost0000", text: "x" }));

const mine = await asAlice.send("/api/blog/my-posts", {});
out.myPosts = { total: mine.total, titles: mine.items.map((p) => p.title), hasEmail: "email" in mine.items[0] };
out.bobPosts = (await asBob.send("/api/blog/my-posts", {})).total;
out.guestMyPosts = await status(() => guest.send("/api/blog/my-posts", {}));
out.superuserMyPosts = await status(() => su.send("/api/blog/my-posts", {}));

out.crons = (await su.crons.getFullList()).map((j) => j.id).filter((id) => !id.startsWith("__"));
await su.crons.run("nightly-digest");
let digests = [];
for (let i = 0; i < 50 && digests.length === 0; i++) {
  digests = await su.collection("digests").getFullList();
  if (digests.length === 0) await new Promise((r) => setTimeout(r, 100));
}
out.digest = digests.map((d) => d.summary);

console.log(JSON.stringify(out));
