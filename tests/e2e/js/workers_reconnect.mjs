// SDK 0.28.1 realtime across a worker killed with SIGKILL: clients on every worker subscribe,
// print {"ready":...}, wait for "GO" on stdin (the Python side killed a worker meanwhile), then
// the clients of the dead worker reconnect by themselves (new client id, subscriptions sent again)
// and every client gets the records written afterwards. Last line = JSON.
import PocketBase from "pocketbase";
import { EventSource } from "eventsource";
import readline from "node:readline";

globalThis.EventSource = EventSource;
const base = process.env.PB_URL;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const su = new PocketBase(base);
await su.collection("_superusers").authWithPassword(process.env.PB_EMAIL, process.env.PB_PASSWORD);
await su.collections.create({
  name: "rc", type: "base", listRule: "", viewRule: "", createRule: "", fields: [{ name: "n", type: "number" }],
});
const clients = [];
const members = new Set();
for (let i = 0; i < 30 && (members.size < 2 || clients.length < 4); i++) {
  const pb = new PocketBase(base);
  const got = [];
  await pb.collection("rc").subscribe("*", (e) => got.push(e.record.n));
  clients.push({ pb, got, first: pb.realtime.clientId });
  members.add(pb.realtime.clientId[0]);
}
console.log(JSON.stringify({ ready: true, members: [...members] }));
const rl = readline.createInterface({ input: process.stdin });
await new Promise((resolve) => rl.once("line", resolve));
rl.close();

// wait until every client is connected again; those of the dead worker have a new id
const start = Date.now();
while (Date.now() - start < 20000) {
  if (clients.every((c) => c.pb.realtime.isConnected && c.pb.realtime.clientId)) break;
  await sleep(50);
}
await sleep(500); // resubscriptions in flight
const writer = new PocketBase(base);
const total = 10;
for (let n = 0; n < total; n++) {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await writer.collection("rc").create({ n });
      break;
    } catch (e) {
      await sleep(100);
    }
  }
}
const t0 = Date.now();
while (clients.some((c) => c.got.length < total) && Date.now() - t0 < 15000) await sleep(20);
const expected = Array.from({ length: total }, (_, n) => n);
const delivered = clients.filter((c) => JSON.stringify(c.got) === JSON.stringify(expected)).length;
const reconnected = clients.filter((c) => c.pb.realtime.clientId !== c.first).length;
for (const c of clients) c.pb.realtime.unsubscribe();
console.log(JSON.stringify({ clients: clients.length, delivered, reconnected,
                             got: clients.map((c) => [c.first[0], c.pb.realtime.clientId[0], c.got]) }));
process.exit(0);
