// SDK 0.28.1 realtime: subscribe('*'), subscribe(id), filter/expand options, unsubscribe('*'),
// unsubscribe(), rule-filtered delivery, and reconnect after the server drops the stream.
// Protocol with the Python side: prints "RESTART" and waits for "GO" on stdin; last line = JSON.
import PocketBase from "pocketbase";
import { EventSource } from "eventsource";
import readline from "node:readline";

globalThis.EventSource = EventSource;

const [base, suEmail, suPassword] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = [];
const out = {};

async function until(cond, what, ms = 15000) {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timeout waiting for ${what}: ${JSON.stringify(log)}`);
    await sleep(20);
  }
}
const count = (who, topic) => log.filter((e) => e.who === who && (!topic || e.topic === topic)).length;
const seen = (who, topic) =>
  log.filter((e) => e.who === who && (!topic || e.topic === topic)).map((e) => [e.action, e.record.title ?? e.record.name]);
const listener = (who, topic) => (e) => log.push({ who, topic, action: e.action, record: e.record });

const su = new PocketBase(base);
await su.collection("_superusers").authWithPassword(suEmail, suPassword);
const users = await su.collections.getOne("users");
await su.collections.create({
  name: "tags", type: "base", listRule: "", viewRule: "", fields: [{ name: "name", type: "text" }],
});
await su.collections.create({
  name: "notes", type: "base", listRule: "author = @request.auth.id", viewRule: "author = @request.auth.id",
  fields: [
    { name: "title", type: "text" },
    { name: "author", type: "relation", collectionId: users.id, maxSelect: 1 },
    { name: "secret", type: "text", hidden: true },
  ],
});
const mk = (email, name) =>
  su.collection("users").create({ email, name, password: "1234567890", passwordConfirm: "1234567890" });
const alice = await mk("alice@example.com", "Alice");
const bob = await mk("bob@example.com", "Bob");

const guest = new PocketBase(base);
const pa = new PocketBase(base);
await pa.collection("users").authWithPassword("alice@example.com", "1234567890");
const pbob = new PocketBase(base);
await pbob.collection("users").authWithPassword("bob@example.com", "1234567890");
const sus = new PocketBase(base);
sus.authStore.save(su.authStore.token, su.authStore.record);

await guest.collection("tags").subscribe("*", listener("guest", "tags/*"));
await pa.collection("tags").subscribe("*", listener("alice", "tags/*?filter"), { filter: 'name ~ "rt-"' });
await pa.collection("notes").subscribe("*", listener("alice", "notes/*"), { expand: "author" });
await pbob.collection("notes").subscribe("*", listener("bob", "notes/*"));
await sus.collection("notes").subscribe("*", listener("su", "notes/*"));
out.clientIdLength = guest.realtime.clientId.length;

await su.collection("tags").create({ name: "rt-yes" });
await su.collection("tags").create({ name: "no-match" });
const aNote = await su.collection("notes").create({ title: "alice note", author: alice.id, secret: "s1" });
const bNote = await su.collection("notes").create({ title: "bob note", author: bob.id, secret: "s2" });
await until(() => count("guest") === 2 && count("alice") === 2 && count("bob") === 1 && count("su") === 2, "creates");
await sleep(200);
out.guestTags = seen("guest");
out.aliceTags = seen("alice", "tags/*?filter");
out.aliceNotes = seen("alice", "notes/*");
out.aliceExpand = log.find((e) => e.who === "alice" && e.topic === "notes/*").record.expand?.author?.name ?? null;
out.aliceSecret = "secret" in log.find((e) => e.who === "alice" && e.topic === "notes/*").record;
out.bobNotes = seen("bob", "notes/*");
out.suSecrets = log.filter((e) => e.who === "su").map((e) => e.record.secret);

// a single-record subscription (viewRule) next to '*'
await pa.collection("notes").subscribe(aNote.id, listener("alice", "notes/id"));
await su.collection("notes").update(aNote.id, { title: "alice note 2" });
await until(() => count("alice", "notes/id") === 1 && count("alice", "notes/*") === 2, "update x2");
// unsubscribe('*') keeps the record subscription
await pa.collection("notes").unsubscribe("*");
await su.collection("notes").update(aNote.id, { title: "alice note 3" });
await until(() => count("alice", "notes/id") === 2, "record sub after unsubscribe('*')");
await sleep(200);
out.afterUnsubscribeStar = count("alice", "notes/*");
// unsubscribe() of the collection: nothing more
await pa.collection("notes").unsubscribe();
await su.collection("notes").update(aNote.id, { title: "alice note 4" });
await su.collection("notes").delete(bNote.id);
await until(() => count("bob") === 2 && count("su") === 6, "bob delete");
await sleep(200);
out.aliceNotesTotal = count("alice", "notes/*") + count("alice", "notes/id");
out.bobDelete = log.filter((e) => e.who === "bob").at(-1).action;

// the server goes away; the SDK reconnects with a new client id and re-sends its subscriptions
const oldId = guest.realtime.clientId;
console.log("RESTART");
const rl = readline.createInterface({ input: process.stdin });
await new Promise((resolve) => rl.once("line", resolve));
rl.close();
await until(() => guest.realtime.isConnected && guest.realtime.clientId && guest.realtime.clientId !== oldId, "reconnect", 30000);
await until(() => pa.realtime.isConnected && pa.realtime.clientId, "alice reconnect", 30000);
await sleep(300);
await su.collection("tags").create({ name: "rt-after-restart" });
await until(() => count("guest") === 3 && count("alice", "tags/*?filter") === 2, "event after reconnect");
out.afterRestart = [seen("guest").at(-1), seen("alice", "tags/*?filter").at(-1)];
out.newClientId = guest.realtime.clientId !== oldId;

for (const c of [guest, pa, pbob, sus]) await c.realtime.unsubscribe();
console.log(JSON.stringify(out));
process.exit(0);
