// #/settings/backups and #/settings/crons: the backups (list, create, download,
// upload, restore, delete, the auto-backup schedule) and the cron jobs (list, run now).

import { api, url } from "./api.js";
import { clear, errorSlot, h, submitting } from "./dom.js";
import { settingsForm } from "./settings-form.js";
import { s3Specs, testS3Button } from "./settings.js";

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// A backup download needs a superuser file token in the address (it is a plain link).
async function download(key) {
  const { token } = await api("POST", "/api/files/token");
  const link = h("a", { href: url(`/api/backups/${encodeURIComponent(key)}`, { token }), download: key, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

// After a restore the server restarts: wait until it has gone away (a re-exec takes a
// second or more), then until /api/health answers again.
async function waitForRestart(note) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const healthy = async () => {
    try {
      await api("GET", "/api/health", { token: null });
      return true;
    } catch {
      return false;
    }
  };
  const started = Date.now();
  while (Date.now() - started < 15_000 && (await healthy())) await sleep(150);
  while (Date.now() - started < 60_000) {
    if (await healthy()) {
      clear(note, "Restored. The server is back.");
      note.className = "notice ok";
      return true;
    }
    await sleep(300);
  }
  clear(note, "The server did not come back within a minute.");
  return false;
}

function backupsList(area, note) {
  const reload = () => backupsList(area, note);
  const act = (fn) => async () => {
    clear(note);
    note.hidden = true;
    try {
      await fn();
    } catch (err) {
      note.hidden = false;
      note.className = "notice error";
      clear(note, err.message);
    }
  };
  api("GET", "/api/backups")
    .then((items) => {
      items.sort((a, b) => (a.modified < b.modified ? 1 : -1));
      const rows = items.map((b) => h("tr", { "data-key": b.key },
        h("td", { class: "mono" }, b.key), h("td", { class: "nowrap" }, formatSize(b.size)), h("td", { class: "muted small nowrap" }, b.modified),
        h("td", { class: "row-actions" },
          h("button", { type: "button", class: "btn-plain small", "data-action": "download", onclick: act(() => download(b.key)) }, "Download"),
          h("button", { type: "button", class: "btn-plain small", "data-action": "restore", onclick: act(async () => {
            if (!confirm(`Restore ${b.key}? The current data is replaced and the server restarts.`)) return;
            await api("POST", `/api/backups/${encodeURIComponent(b.key)}/restore`);
            note.hidden = false;
            note.className = "notice";
            clear(note, "Restoring… the server restarts.");
            if (await waitForRestart(note)) reload();
          }) }, "Restore"),
          h("button", { type: "button", class: "btn-danger small", "data-action": "delete", onclick: act(async () => {
            if (!confirm(`Delete ${b.key}?`)) return;
            await api("DELETE", `/api/backups/${encodeURIComponent(b.key)}`);
            reload();
          }) }, "Delete"))));
      clear(area, h("div", { class: "table-wrap" }, h("table", { class: "backups" },
        h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Size"), h("th", null, "Modified (UTC)"), h("th", null, h("span", { class: "sr-only" }, "Actions")))),
        h("tbody", null, rows.length ? rows : h("tr", null, h("td", { colspan: 4, class: "muted empty" }, "No backups yet."))))));
    })
    .catch((err) => clear(area, h("p", { class: "notice error", role: "alert" }, err.message)));
}

export function backupsSection(settings) {
  const area = h("div", { class: "backups-area", id: "backups-list" }, h("p", { class: "muted" }, "Loading backups…"));
  const note = h("p", { class: "notice", id: "backups-note", role: "status", hidden: true });
  const reload = () => backupsList(area, note);
  const create = h("form", { class: "search", novalidate: true },
    h("input", { type: "text", name: "name", "aria-label": "Backup name", placeholder: "name.zip (empty = a generated name)" }),
    h("button", { type: "submit", class: "btn", id: "create-backup" }, "+ New backup"));
  const createBox = h("div", null, create, errorSlot("name"), h("div", { class: "form-error", role: "alert" }));
  create.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = create.elements.name.value.trim();
    submitting(createBox, async () => {
      await api("POST", "/api/backups", { body: name ? { name } : {} });
      create.elements.name.value = "";
      reload();
    });
  });
  const file = h("input", { type: "file", accept: ".zip,application/zip", id: "upload-backup", class: "sr-only" });
  const uploadBox = h("div", { class: "inline" },
    h("label", { for: "upload-backup", class: "btn-plain" }, "Upload backup…"), file, errorSlot("file"), h("div", { class: "form-error", role: "alert" }));
  file.addEventListener("change", () => {
    if (!file.files.length) return;
    const body = new FormData();
    body.append("file", file.files[0]);
    submitting(uploadBox, async () => {
      await api("POST", "/api/backups/upload", { body });
      file.value = "";
      reload();
    });
  });
  reload();
  return [
    h("div", { class: "stack" }, createBox, uploadBox, note, area),
    h("h2", null, "Automatic backups"),
    settingsForm("backups", settings, [
      { legend: "Schedule", specs: [[
        { path: "backups.cron", label: "Cron expression (empty = off)", placeholder: "0 3 * * *  or  @daily" },
        { path: "backups.cronMaxKeep", label: "Keep the newest", type: "number", attrs: { min: 1 } }]] },
      { legend: "Store backups in S3", specs: s3Specs("backups.s3") },
    ], { extra: testS3Button("backups") }),
  ];
}

export function cronsSection() {
  const area = h("div", { id: "crons-list" }, h("p", { class: "muted" }, "Loading…"));
  const note = h("p", { class: "notice ok", id: "cron-note", role: "status", hidden: true });
  api("GET", "/api/crons")
    .then((jobs) => clear(area, h("div", { class: "table-wrap" }, h("table", { class: "crons" },
      h("thead", null, h("tr", null, h("th", null, "Job"), h("th", null, "Schedule (UTC)"), h("th", null, h("span", { class: "sr-only" }, "Run")))),
      h("tbody", null, jobs.length ? jobs.map((job) => h("tr", { "data-id": job.id },
        h("td", { class: "mono" }, job.id), h("td", { class: "mono" }, job.expression),
        h("td", null, h("button", { type: "button", class: "btn-plain small", "data-action": "run", onclick: async (event) => {
          const button = event.currentTarget;
          button.disabled = true;
          note.hidden = false;
          try {
            await api("POST", `/api/crons/${encodeURIComponent(job.id)}`);
            note.className = "notice ok";
            clear(note, `${job.id} started.`);
          } catch (err) {
            note.className = "notice error";
            clear(note, err.message);
          } finally {
            button.disabled = false;
          }
        } }, "Run now")))) : h("tr", null, h("td", { colspan: 3, class: "muted empty" }, "No cron jobs.")))))))
    .catch((err) => clear(area, h("p", { class: "notice error", role: "alert" }, err.message)));
  return [h("p", { class: "muted" }, "The scheduled jobs, checked every minute. \"Run now\" starts one in the background."), note, area];
}
