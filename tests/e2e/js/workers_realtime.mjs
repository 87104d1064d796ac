// SDK 0.28.1 realtime against `serve --workers`: clients are opened until they cover every
// worker (a client id's first character names the worker holding its stream), each subscribes
// (its POST may reach any worker), then records written on any worker reach every client once,
// in commit order. Last line = JSON.
import PocketBase from "pocketbase";
import { EventSource } from "eventsource";

globalThis.EventSource = EventSource;
const base = process.env.PB_URL;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const su = new PocketBase(base);
await su.collection("_superusers").authWithPassword(process.env.PB_EMAIL, process.env.PB_PASSWORD);
await su.collections.create({
  name: "jsrt", type: "base", listRule: "", viewRule: "", createRule: "", fields: [{ name: "n", type: "number" }],
});

const clients = [];
const members = new Set();
for (let i = 0; i < 30 && (members.size < 2 || clients.length < 4); i++) {
  const pb = new PocketBase(base);
  const got = [];
  await pb.collection("jsrt").subscribe("*", (e) => got.push(e.record.n));
  clients.push({ pb, got });
  members.add(pb.realtime.clientId[0]);
}
const writer = new PocketBase(base);
const total = 30;
for (let n = 0; n < total; n++) await writer.collection("jsrt").create({ n });
const start = Date.now();
while (clients.some((c) => c.got.length < total) && Date.now() - start < 15000) await sleep(20);
await sleep(200); // anything extra (a duplicate) would arrive now
const expected = Array.from({ length: total }, (_, n) => n);
const delivered = clients.filter((c) => JSON.stringify(c.got) === JSON.stringify(expected)).length;
for (const c of clients) c.pb.realtime.unsubscribe();
console.log(JSON.stringify({ members: [...members], clients: clients.length, delivered, expected: clients.length, got: clients.filter((c) => JSON.stringify(c.got) !== JSON.stringify(expected)).map((c) => [c.pb.realtime.clientId[0], c.got]) }));
process.exit(0);
