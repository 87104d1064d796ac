// The editor for `geoPoint` fields: longitude and latitude inputs and, as in PocketBase's UI, a
// Leaflet map (BSD-2, vendored in vendor/leaflet/) with OpenStreetMap's tiles. A click on the map
// or a drag of the marker sets the point; typing in the inputs moves the marker. The tile server
// is the only other site the dashboard loads anything from (its CSP allows it in img-src alone).

import { h } from "./dom.js";

const BASE = new URL("vendor/leaflet/", document.baseURI).href;
const TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
let loading = null;

const loaded = (el) => new Promise((resolve, reject) => {
  el.addEventListener("load", resolve);
  el.addEventListener("error", () => reject(new Error("the map failed to load")));
  document.head.append(el);
});

// the stylesheet too before the first map: Leaflet measures its box and positions by its classes
function loadLeaflet() {
  loading ??= Promise.all([loaded(h("link", { rel: "stylesheet", href: `${BASE}leaflet.css` })), loaded(h("script", { src: `${BASE}leaflet.js` }))])
    .then(() => {
      window.L.Icon.Default.imagePath = `${BASE}images/`; // not guessed from the stylesheet
      return window.L;
    });
  return loading;
}

const round = (n) => Math.round(n * 1e6) / 1e6;

// The map for the `lon`/`lat` inputs of a form; a point set on the map fires their `input` event.
export function geoMap(field, lon, lat) {
  const box = h("div", { class: "geo-map", "data-map": field.name, role: "region", "aria-label": `${field.name} map (click to set the point)` });
  const status = h("small", { class: "muted" });
  const point = () => [Number(lat.value) || 0, Number(lon.value) || 0];

  requestAnimationFrame(async () => {
    let L;
    try {
      L = await loadLeaflet();
    } catch (err) {
      status.textContent = `${err.message}; the coordinates can still be typed.`;
      return;
    }
    if (!box.isConnected) return;
    const start = point();
    const map = L.map(box, { center: start, zoom: start[0] || start[1] ? 12 : 2, worldCopyJump: true });
    L.tileLayer(TILES, { maxZoom: 19, attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>' }).addTo(map);
    const marker = L.marker(start, { draggable: true, autoPan: true, alt: `${field.name} point` }).addTo(map);
    const place = (latlng) => {
      const wrapped = latlng.wrap();
      lon.value = String(round(wrapped.lng));
      lat.value = String(round(wrapped.lat));
      marker.setLatLng(wrapped);
      lon.dispatchEvent(new Event("input", { bubbles: true }));
    };
    map.on("click", (e) => place(e.latlng));
    marker.on("dragend", () => place(marker.getLatLng()));
    const follow = (e) => {
      if (!e.isTrusted) return; // our own event after a click: the marker is there already
      const [la, lo] = point();
      if (Math.abs(la) <= 90 && Math.abs(lo) <= 180) {
        marker.setLatLng([la, lo]);
        map.panTo([la, lo]);
      }
    };
    lon.addEventListener("input", follow);
    lat.addEventListener("input", follow);
    box.dataset.ready = "true";
    requestAnimationFrame(() => map.invalidateSize()); // the dialog may have changed size while loading
  });
  return h("div", { class: "geo-map-wrap" }, box, status);
}
