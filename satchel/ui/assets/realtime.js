// Realtime for the dashboard: one EventSource on /api/realtime per subscription set;
// after PB_CONNECT the topics are sent with the superuser's token (POST /api/realtime),
// so the events are the ones a superuser sees. Every stream (and timer) is closed when the page changes.

import { api, url } from "./api.js";
import { clear, h } from "./dom.js";
import { listCollections } from "./api.js";

const open = new Set();

export function stopAll() {
  for (const source of open) source.close();
  open.clear();
}

// onEvent(topic, {action, record}); onState("live" | "connecting" | message)
export function subscribe(topics, onEvent, onState = () => {}) {
  const source = new EventSource(url("/api/realtime"));
  open.add(source);
  onState("connecting");
  source.addEventListener("PB_CONNECT", async (event) => {
    try {
      const { clientId } = JSON.parse(event.data);
      await api("POST", "/api/realtime", { body: { clientId, subscriptions: topics } });
      onState("live");
    } catch (err) {
      onState(err.message);
    }
  });
  for (const topic of topics) {
    source.addEventListener(topic, (event) => {
      try {
        onEvent(topic, JSON.parse(event.data));
      } catch {
        /* a malformed event is skipped */
      }
    });
  }
  source.onerror = () => onState("connecting");
  return () => {
    source.close();
    open.delete(source);
  };
}

// every few seconds while the page is shown, the realtime clients connected to the server
// (all its workers) from Satchel's GET /api/realtime/stats
const STATS_EVERY = 3000;
function clientsCount() {
  const out = h("span", { class: "badge", id: "realtime-clients", role: "status" }, "… clients");
  const show = async () => {
    try {
      const s = await api("GET", "/api/realtime/stats");
      out.textContent = `${s.clients} client${s.clients === 1 ? "" : "s"} connected`;
      out.title = `${s.subscriptions} subscriptions; ${s.answered} of ${s.workers} worker${s.workers === 1 ? "" : "s"} answered`;
      if (s.answered < s.workers) out.textContent += ` (${s.answered} of ${s.workers} workers answered)`;
    } catch (err) {
      out.textContent = `clients: ${err.message}`;
    }
  };
  show();
  const timer = setInterval(() => (out.isConnected ? show() : stop.close()), STATS_EVERY);
  const stop = { close: () => clearInterval(timer) };
  open.add(stop); // stopAll() ends it with the page
  return out;
}

// #/realtime: a live feed of one collection's record events, and the clients count.
export function realtimePage(searchParams, go) {
  const name = searchParams.get("collection") || "";
  const feed = h("ol", { class: "feed", id: "realtime-feed", reversed: true });
  const state = h("span", { class: "badge", id: "realtime-state", role: "status" }, "—");
  let paused = false;
  let count = 0;
  const picker = h("select", { "aria-label": "Collection to watch", id: "realtime-collection", onchange: (e) => go("realtime", { collection: e.target.value }) },
    h("option", { value: "" }, "— pick a collection —"));
  listCollections().then((all) => {
    for (const c of all.filter((c) => c.type !== "view")) picker.append(h("option", { value: c.name, selected: c.name === name }, c.name));
  }).catch(() => {});
  if (name) {
    subscribe([`${name}/*`], (topic, e) => {
      if (paused) return;
      count += 1;
      feed.prepend(h("li", { class: `event ${e.action}`, "data-action": e.action, "data-id": e.record?.id },
        h("span", { class: "muted small mono" }, new Date().toISOString().slice(11, 23)), " ",
        h("span", { class: `badge ${e.action === "delete" ? "bad" : "good"}` }, e.action), " ",
        h("span", { class: "mono" }, e.record?.id || ""),
        h("details", null, h("summary", { class: "small" }, "record"), h("pre", { class: "json" }, JSON.stringify(e.record, null, 2)))));
      while (feed.children.length > 200) feed.lastChild.remove();
      counter.textContent = `${count} event${count === 1 ? "" : "s"}`;
    }, (s) => {
      state.textContent = s === "live" ? "live" : s === "connecting" ? "connecting…" : s;
      state.className = s === "live" ? "badge good" : "badge";
    });
  }
  const counter = h("span", { class: "muted small", id: "realtime-count" }, "0 events");
  return h("section", { class: "content" },
    h("div", { class: "page-head" }, h("h1", null, "Realtime"), h("span", { class: "inline wrap" }, clientsCount(), state)),
    h("p", { class: "muted" }, "The create, update and delete events of a collection as they happen, as a superuser receives them (the API rules do not filter them)."),
    h("div", { class: "search" }, picker,
      h("button", { type: "button", class: "btn-plain", id: "realtime-pause", onclick: (e) => {
        paused = !paused;
        e.currentTarget.textContent = paused ? "Resume" : "Pause";
      } }, "Pause"),
      h("button", { type: "button", class: "btn-plain", onclick: () => { clear(feed); count = 0; counter.textContent = "0 events"; } }, "Clear")),
    counter, feed);
}
