"""``/api/backups``: PocketBase 0.40.6's answers, a consistent snapshot under writes, hostile
zips, restore (in process and with the restart of a live ``satchel serve``), a zip made by
PocketBase, the community Python SDK."""

from __future__ import annotations

import io
import stat
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import apsw
import httpx
import pytest
from starlette.testclient import TestClient

from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser
from tests.api.ops_replay import entries, replay, tokens_for
from tests.api.test_files_s3 import s3_settings
from tests.conftest import SUPERUSER_EMAIL, SUPERUSER_PASSWORD
from tests.e2e.serve_support import serving
from tests.moto_s3 import MotoS3, bucket_keys, moto_s3, new_bucket

__all__ = ["moto_s3"]

pytestmark = pytest.mark.sqlite_only("backups zip pb_data's data.db; on PostgreSQL the API answers 400 (test_pg_api)")

BACKUP_STEPS = entries(lambda name: "backup" in name or name == "health superuser")


def pocketbase_zip() -> bytes:
    """A backup made by PocketBase 0.40.6 (uploaded in the capture)."""
    step = next(e for e in entries(lambda n: n == "backup upload"))
    raw: bytes = step["raw_body"].encode("latin-1")
    start = raw.index(b"PK\x03\x04")
    end = raw.rindex(b"\r\n--")
    return raw[start:end]


def make_zip(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            if name in links:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def upload(su: TestClient, name: str, data: bytes) -> None:
    r = su.post("/api/backups/upload", files={"file": (name, data, "application/zip")})
    assert r.status_code == 204, r.text


def test_backups_as_pocketbase(client: TestClient, su_token: str, user_token: str) -> None:
    assert len(BACKUP_STEPS) >= 25
    tokens = tokens_for(client, su_token, user_token)
    problems = [p for e in BACKUP_STEPS for p in replay(client, e, tokens)]
    assert problems == []


@pytest.mark.parametrize("key", ["%00", "a%00.zip", "..%2Fdata.db"])
def test_unusable_names_are_a_400(su: TestClient, key: str) -> None:
    """Names no backup can have answer as a missing backup (the API fuzz found a 500 for NUL)."""
    for method, path in (("DELETE", f"/api/backups/{key}"), ("POST", f"/api/backups/{key}/restore")):
        response = su.request(method, path)
        assert response.status_code in (400, 404), (method, path, response.text)
        assert response.json()["status"] == response.status_code


def test_zip_layout_and_listing(app: App, su: TestClient) -> None:
    posts = su.post("/api/collections", json={"name": "posts", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "doc", "type": "file", "maxSelect": 1}]})
    assert posts.status_code == 200, posts.text
    r = su.post(f"/api/collections/{posts.json()['id']}/records", data={"title": "a"},
                files={"doc": ("notes.txt", b"hello", "text/plain")})
    assert r.status_code == 200, r.text
    assert su.post("/api/backups", json={"name": "one.zip"}).status_code == 204
    path = app.config.data_dir / "backups" / "one.zip"
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert names[:2] == ["data.db", "auxiliary.db"]
    assert any(n.startswith("storage/") and n.endswith(".txt") for n in names)
    assert not any(n.startswith(("backups/", ".pb_temp_to_delete/")) or n.endswith(("-wal", "-shm")) for n in names)
    listed = su.get("/api/backups").json()
    assert [b["key"] for b in listed] == ["one.zip"] and listed[0]["size"] == path.stat().st_size


def test_snapshot_holds_every_write_acknowledged_before_it(app: App, su: TestClient, tmp_path: Path) -> None:
    """A writer commits continuously; the backup restores to a sound db with every write
    acknowledged before the backup began."""
    app.db.write_sync(lambda tx: tx.execute("CREATE TABLE load (id INTEGER PRIMARY KEY, payload TEXT)"))
    acked: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            app.db.write_sync(lambda tx, n=i: tx.execute("INSERT INTO load VALUES (?, hex(randomblob(64)))", (n,)))
            acked.append(i)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(acked) < 200:
            time.sleep(0.01)
        before = list(acked)
        r = su.post("/api/backups", json={"name": "under_load.zip"})
        during = len(acked)
    finally:
        stop.set()
        thread.join()
    assert r.status_code == 204, r.text
    assert during > len(before)  # the writer went on while the backup ran
    with zipfile.ZipFile(app.config.data_dir / "backups" / "under_load.zip") as zf:
        zf.extract("data.db", tmp_path)
    conn = apsw.Connection(str(tmp_path / "data.db"))
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    ids = {row[0] for row in conn.execute("SELECT id FROM load")}
    assert set(before) <= ids


HOSTILE = {
    "traversal.zip": ({"data.db": b"SQLite format 3\x00", "../evil.txt": b"x"}, (), "unsafe path"),
    "absolute.zip": ({"data.db": b"SQLite format 3\x00", "/tmp/evil.txt": b"x"}, (), "unsafe path"),
    "no_data_db.zip": ({"auxiliary.db": b"SQLite format 3\x00"}, (), "missing data.db"),
    "link.zip": ({"data.db": b"SQLite format 3\x00", "storage": b"/etc"}, ("storage",), "links are not allowed"),
    "not_sqlite.zip": ({"data.db": b"just text"}, (), "not an SQLite database"),
    "bomb.zip": ({"data.db": b"SQLite format 3\x00", "zeros.bin": bytes(4 * 1024 * 1024)}, (), "more than"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_zip_refused_and_nothing_replaced(app: App, su: TestClient, name: str) -> None:
    members, links, reason = HOSTILE[name]
    upload(su, name, make_zip(members, links))
    app.backups.max_restore_bytes = 1024 * 1024
    r = su.post(f"/api/backups/{name}/restore")
    assert r.status_code == 400 and reason in r.json()["message"], r.text
    assert r.json()["message"].startswith("Failed to restore the backup: ")
    temp = app.config.data_dir / ".pb_temp_to_delete"
    assert not temp.exists() or list(temp.iterdir()) == []
    assert not (app.config.data_dir.parent / "evil.txt").exists()
    assert su.get("/api/collections/users").status_code == 200  # still serving the same data


def test_corrupt_zip_refused(su: TestClient) -> None:
    good = make_zip({"data.db": b"SQLite format 3\x00" + bytes(100)})
    upload(su, "cut.zip", good[: len(good) // 2])
    r = su.post("/api/backups/cut.zip/restore")
    assert r.status_code == 400 and "invalid zip" in r.json()["message"]


def test_busy_answer_and_health(app: App, su: TestClient) -> None:
    with app.backups._exclusive("x.zip"):
        assert su.get("/api/health").json()["data"]["canBackup"] is False
        r = su.post("/api/backups", json={})
        assert r.status_code == 400
        assert r.json()["message"] == "Try again later - another backup/restore process has already been started."
        assert su.post("/api/backups/x.zip/restore").json()["message"].startswith("Try again later")
        r = su.delete("/api/backups/x.zip")
        assert r.json()["message"] == "The backup is currently being used and cannot be deleted."
    assert su.get("/api/health").json()["data"]["canBackup"] is True


def test_restore_applied_at_next_start(app: App, su: TestClient, data_dir: Path) -> None:
    su.post("/api/collections", json={"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}]})
    kept = su.post("/api/collections/notes/records", json={"t": "before"}).json()["id"]
    assert su.post("/api/backups", json={"name": "snap.zip"}).status_code == 204
    gone = su.post("/api/collections/notes/records", json={"t": "after"}).json()["id"]
    assert su.post("/api/backups/snap.zip/restore").status_code == 204
    # no server to restart here: the current data is untouched until the next start
    assert su.get(f"/api/collections/notes/records/{gone}").status_code == 200
    app.close()
    reopened = App(Config(data_dir=data_dir))
    try:
        with TestClient(_asgi(reopened)) as c:
            token = c.post("/api/collections/_superusers/auth-with-password",
                           json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}).json()["token"]
            h = {"Authorization": token}
            assert c.get(f"/api/collections/notes/records/{kept}", headers=h).status_code == 200
            assert c.get(f"/api/collections/notes/records/{gone}", headers=h).status_code == 404
            assert [b["key"] for b in c.get("/api/backups", headers=h).json()] == ["snap.zip"]  # backups/ kept
    finally:
        reopened.close()
    assert list((data_dir / ".pb_temp_to_delete").iterdir()) == []  # old data gone once the new one opened


def _asgi(app: App) -> Any:
    from satchel.api import build_asgi

    return build_asgi(app)


def test_pocketbase_zip_restores_into_satchel(app: App, su: TestClient, data_dir: Path) -> None:
    upload(su, "from_pocketbase.zip", pocketbase_zip())
    assert su.post("/api/backups/from_pocketbase.zip/restore").status_code == 204
    app.close()
    reopened = App(Config(data_dir=data_dir))
    try:
        users = reopened.registry.get("users")
        assert users is not None
        # the capture's instance had user@example.com in its users collection
        emails = reopened.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT email FROM users")])
        assert emails == ["user@example.com"]
        assert reopened.db.read_sync(lambda c: c.execute("PRAGMA integrity_check").fetchall()) == [("ok",)]
    finally:
        reopened.close()


def test_auto_backup_job_keeps_cron_max_keep(app: App, su: TestClient) -> None:
    r = su.patch("/api/settings", json={"backups": {"cron": "0 3 * * *", "cronMaxKeep": 2}})
    assert r.status_code == 200, r.text
    job = app.cron.get("__pbAutoBackup__")
    assert job is not None and job.expression == "0 3 * * *"
    upload(su, "manual.zip", make_zip({"data.db": b"SQLite format 3\x00"}))
    for _ in range(3):
        job.fn()  # type: ignore[misc]
        time.sleep(1.05)  # names carry the second
    keys = [b["key"] for b in su.get("/api/backups").json()]
    autos = [k for k in keys if k.startswith("@auto_pb_backup_acme_")]
    assert len(autos) == 2 and "manual.zip" in keys
    su.patch("/api/settings", json={"backups": {"cron": ""}})
    assert app.cron.get("__pbAutoBackup__") is None


def test_live_restore_restarts_in_place_with_clients_connected(tmp_path: Path) -> None:
    """As PocketBase: 204, then the process restarts (same PID) on the restored data."""
    with App(Config(data_dir=tmp_path / "pb_data")) as setup:
        upsert_superuser(setup.db, setup.records, setup.registry, SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    with serving(tmp_path / "pb_data") as server:
        base = server.base
        from pocketbase import PocketBase  # the community Python SDK

        pb = PocketBase(base)
        token = httpx.post(f"{base}/api/collections/_superusers/auth-with-password",
                           json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}).json()["token"]
        pb.auth_store.save(token, None)
        h = {"Authorization": token}
        httpx.post(f"{base}/api/collections", headers=h,
                   json={"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}],
                         "listRule": ""})
        kept = httpx.post(f"{base}/api/collections/notes/records", json={"t": "kept"}, headers=h).json()["id"]
        jobs = pb.crons.get_full_list()
        assert [j.id for j in jobs][:2] == ["__pbDBOptimize__", "__pbMFACleanup__"]
        assert pb.crons.run("__pbDBOptimize__") is True
        assert pb.backups.create("live.zip") is True
        assert [b.key for b in pb.backups.get_full_list()] == ["live.zip"]
        file_token = pb.files.get_token()
        assert pb.backups.download("live.zip", file_token)[:2] == b"PK"
        gone = httpx.post(f"{base}/api/collections/notes/records", json={"t": "gone"}, headers=h).json()["id"]
        pid = server.proc.pid
        with httpx.Client(base_url=base) as other:  # a client connected across the restart
            assert other.get("/api/collections/notes/records").status_code == 200
            assert pb.backups.restore("live.zip") is True
            deadline = time.monotonic() + 20
            ids: list[str] = []
            while time.monotonic() < deadline:
                try:
                    r = other.get("/api/collections/notes/records")
                    ids = [x["id"] for x in r.json()["items"]]
                    if gone not in ids:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        assert ids == [kept]
        assert server.proc.pid == pid and server.proc.poll() is None
        server_token = httpx.post(f"{base}/api/collections/_superusers/auth-with-password",
                                  json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}).json()["token"]
        pb.auth_store.save(server_token, None)
        assert pb.backups.delete("live.zip") is True
        assert pb.backups.get_full_list() == []


def test_backups_in_s3(app: App, su: TestClient, data_dir: Path, moto_s3: MotoS3) -> None:
    bucket = new_bucket(moto_s3)
    r = su.patch("/api/settings", json={"backups": {"s3": s3_settings(moto_s3, bucket)}})
    assert r.status_code == 200, r.text
    su.post("/api/collections", json={"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}]})
    kept = su.post("/api/collections/notes/records", json={"t": "kept"}).json()["id"]
    assert su.post("/api/backups", json={"name": "in_s3.zip"}).status_code == 204
    assert bucket_keys(moto_s3, bucket) == ["in_s3.zip"]
    assert not (data_dir / "backups" / "in_s3.zip").exists()
    listed = su.get("/api/backups").json()
    assert [b["key"] for b in listed] == ["in_s3.zip"] and listed[0]["size"] > 0
    token = su.post("/api/files/token").json()["token"]
    r = su.get(f"/api/backups/in_s3.zip?token={token}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip" and r.content[:2] == b"PK"
    assert zipfile.ZipFile(io.BytesIO(r.content)).namelist()[:2] == ["data.db", "auxiliary.db"]
    gone = su.post("/api/collections/notes/records", json={"t": "gone"}).json()["id"]
    assert su.post("/api/backups/in_s3.zip/restore").status_code == 204
    app.close()
    with App(Config(data_dir=data_dir)) as reopened:
        ids = reopened.db.read_sync(lambda c: [row[0] for row in c.execute("SELECT id FROM notes")])
        assert ids == [kept] and gone not in ids


def test_s3_unreachable_listing_is_a_400(su: TestClient) -> None:
    s3 = MotoS3(endpoint="http://127.0.0.1:9")  # nothing listens on the discard port
    r = su.patch("/api/settings", json={"backups": {"s3": s3_settings(s3, "nowhere")}})
    assert r.status_code == 200, r.text
    r = su.get("/api/backups")
    assert r.status_code == 400 and r.json()["message"].startswith("Failed to retrieve backup items. Raw error: \n")


def test_start_cleans_only_stale_temp_entries(tmp_path: Path) -> None:
    """A command started beside a busy server must not delete the server's backup in progress."""
    import os

    from satchel.core.ops import clean_temp

    temp = tmp_path / ".pb_temp_to_delete"
    (temp / "pb_backup_fresh").mkdir(parents=True)
    (temp / "pb_backup_stale").mkdir()
    (temp / "pending_restore").mkdir()
    old = time.time() - 3600
    os.utime(temp / "pb_backup_stale", (old, old))
    os.utime(temp / "pending_restore", (old, old))
    clean_temp(tmp_path)
    assert sorted(p.name for p in temp.iterdir()) == ["pb_backup_fresh", "pending_restore"]
