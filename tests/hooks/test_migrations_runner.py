"""The migrations runner on real pb_data: up/down/history-sync, rows in ``_migrations``,
a failing migration rolled back, automigrate through the API, and round trips on a copy
of a PocketBase-made pb_data (tests/fixtures/pb_data_040)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser
from satchel.core.migrations import MigrationError, snapshot_template
from satchel.store.bootstrap import PB_MIGRATIONS
from tests.conftest import FIXTURES, SUPERUSER_EMAIL, SUPERUSER_PASSWORD

POSTS = """from satchel.migrations import new_collection


def up(app):
    app.save(new_collection({"name": "m_posts", "type": "base", "fields": [{"name": "title", "type": "text"}]}))


def down(app):
    app.delete(app.find_collection_by_name_or_id("m_posts"))
"""

RULE = """from satchel.migrations import unmarshal


def up(app):
    c = app.find_collection_by_name_or_id("m_posts")
    unmarshal({"listRule": ""}, c)
    app.save(c)


def down(app):
    c = app.find_collection_by_name_or_id("m_posts")
    unmarshal({"listRule": None}, c)
    app.save(c)
"""

FAILING = """from satchel.migrations import new_collection


def up(app):
    app.save(new_collection({"name": "m_half", "type": "base"}))
    raise RuntimeError("boom here")
"""


def applied(app: App) -> dict[str, int]:
    rows = app.db.read_sync(lambda c: c.execute("SELECT file, applied FROM _migrations").fetchall())
    return {str(f): int(a) for f, a in rows}


def collections_json(app: App) -> dict[str, dict[str, Any]]:
    out = {}
    for c in app.registry.all():
        data = c.to_api_dict()
        data.pop("created")
        data.pop("updated")
        out[c.id] = data
    return out


@pytest.fixture
def mig_app(tmp_path: Path) -> Iterator[App]:
    application = App(Config(data_dir=tmp_path / "pb_data"))
    yield application
    application.close()


def write(directory: Path, name: str, source: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(source)


def test_up_down_in_file_name_order(mig_app: App, tmp_path: Path) -> None:
    directory = tmp_path / "pb_migrations"  # <dir>/../pb_migrations, as PocketBase
    assert mig_app.migrations.directory == directory
    write(directory, "1700000002_rule.py", RULE)
    write(directory, "1700000001_posts.py", POSTS)
    before_us = int(time.time() * 1_000_000)
    assert mig_app.migrations.up() == ["1700000001_posts.py", "1700000002_rule.py"]
    c = mig_app.registry.get("m_posts")
    assert c is not None and c.listRule == ""
    rows = applied(mig_app)
    assert rows["1700000001_posts.py"] >= before_us  # unix microseconds
    assert set(PB_MIGRATIONS) <= set(rows)
    assert mig_app.migrations.up() == []

    assert mig_app.migrations.down() == ["1700000002_rule.py"]
    c = mig_app.registry.get("m_posts")
    assert c is not None and c.listRule is None
    assert mig_app.migrations.down(5) == ["1700000001_posts.py"]  # system rows are never reverted
    assert mig_app.registry.get("m_posts") is None
    assert set(applied(mig_app)) == set(rows) - {"1700000001_posts.py", "1700000002_rule.py"}


def test_failing_migration_rolls_the_run_back(mig_app: App, tmp_path: Path) -> None:
    directory = tmp_path / "pb_migrations"
    write(directory, "1700000001_posts.py", POSTS)
    write(directory, "1700000003_bad.py", FAILING)
    with pytest.raises(MigrationError, match=r"^failed to apply migration 1700000003_bad.py: boom here$"):
        mig_app.migrations.up()
    names = {c.name for c in mig_app.registry.all()}
    assert "m_posts" not in names and "m_half" not in names
    assert not any(f.endswith(".py") for f in applied(mig_app))
    names_in_db = mig_app.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT name FROM _collections")])
    assert "m_posts" not in names_in_db
    tables = mig_app.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT name FROM sqlite_schema")])
    assert "m_posts" not in tables and "m_half" not in tables


def test_a_file_without_up_is_an_error(mig_app: App, tmp_path: Path) -> None:
    write(tmp_path / "pb_migrations", "1700000001_empty.py", "x = 1\n")
    with pytest.raises(MigrationError, match="has no up"):
        mig_app.migrations.up()


def test_history_sync_keeps_system_rows(mig_app: App, tmp_path: Path) -> None:
    write(tmp_path / "pb_migrations", "1700000001_posts.py", POSTS)
    mig_app.migrations.up()
    mig_app.db.write_sync(
        lambda tx: tx.execute("INSERT INTO _migrations VALUES ('123_gone.js', 1), ('124_x.go', 2)")
    )
    assert mig_app.migrations.history_sync() == 2
    rows = set(applied(mig_app))
    assert "1700000001_posts.py" in rows and "123_gone.js" not in rows and "124_x.go" not in rows
    assert set(PB_MIGRATIONS) <= rows


def api_client(app: App) -> TestClient:
    upsert_superuser(app.db, app.records, app.registry, SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    client = TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("127.0.0.1", 50000))
    r = client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD},
    )
    assert r.status_code == 200, r.text
    client.headers["Authorization"] = r.json()["token"]
    return client


def change_collections(client: TestClient) -> None:
    """A run of dashboard-like changes, several within the same second."""
    r = client.post(
        "/api/collections",
        json={
            "name": "notes",
            "type": "base",
            "fields": [{"name": "title", "type": "text", "required": True}],
        },
    )
    assert r.status_code == 200, r.text
    notes = r.json()
    r = client.post(
        "/api/collections",
        json={
            "name": "comments",
            "type": "base",
            "fields": [
                {"name": "note", "type": "relation", "collectionId": notes["id"], "maxSelect": 1},
                {"name": "text", "type": "editor"},
            ],
        },
    )
    assert r.status_code == 200, r.text
    fields = [*notes["fields"], {"name": "body", "type": "editor"}]
    r = client.patch(
        "/api/collections/notes",
        json={"listRule": "", "fields": fields, "indexes": ["CREATE INDEX idx_notes_title ON notes (title)"]},
    )
    assert r.status_code == 200, r.text
    r = client.patch("/api/collections/notes", json={"listRule": ""})  # no change: no file
    assert r.status_code == 200, r.text
    r = client.post("/api/collections", json={"name": "scratch", "type": "base"})
    assert r.status_code == 200, r.text
    assert client.delete("/api/collections/scratch").status_code == 204
    r = client.post(
        "/api/collections",
        json={"name": "note_titles", "type": "view", "viewQuery": "SELECT id, title FROM notes"},
    )
    assert r.status_code == 200, r.text


def test_automigrate_then_replay_on_fresh_pb_data(tmp_path: Path) -> None:
    with App(Config(data_dir=tmp_path / "live" / "pb_data")) as live, api_client(live) as client:
        change_collections(client)
        expected = collections_json(live)
        files = sorted(p.name for p in (tmp_path / "live" / "pb_migrations").iterdir())
        assert set(files) <= set(applied(live))  # recorded as applied
    stems = [f.split("_", 1)[1] for f in files]
    assert stems == [
        "created_notes.py",
        "created_comments.py",
        "updated_notes.py",
        "created_scratch.py",
        "deleted_scratch.py",
        "created_note_titles.py",
    ]
    migrations = tmp_path / "live" / "pb_migrations"
    with App(Config(data_dir=tmp_path / "fresh" / "pb_data", migrations_dir=migrations)) as fresh:
        assert fresh.migrations.up() == files
        assert collections_json(fresh) == expected
        assert fresh.migrations.down(-1) == list(reversed(files))
        assert {"notes", "comments", "note_titles"}.isdisjoint(c.name for c in fresh.registry.all())


def test_automigrate_off_writes_nothing(tmp_path: Path) -> None:
    with App(Config(data_dir=tmp_path / "pb_data", automigrate=False)) as live, api_client(live) as client:
        r = client.post("/api/collections", json={"name": "notes", "type": "base"})
        assert r.status_code == 200
    assert not (tmp_path / "pb_migrations").exists()


def test_round_trip_on_pocketbase_pb_data(tmp_path: Path) -> None:
    """Snapshot of a PocketBase-made pb_data, API changes, then: down all gives the PocketBase
    collections back; a fresh pb_data + up gives the changed collections."""
    data_dir = tmp_path / "pb" / "pb_data"
    shutil.copytree(FIXTURES / "pb_data_040", data_dir)
    migrations = tmp_path / "pb" / "pb_migrations"
    with App(Config(data_dir=data_dir)) as live, api_client(live) as client:
        original = collections_json(live)
        migrations.mkdir()
        (migrations / "1700000000_collections_snapshot.py").write_text(
            snapshot_template(list(original.values()))
        )
        assert live.migrations.up() == ["1700000000_collections_snapshot.py"]
        assert collections_json(live) == original  # importing what is there changes nothing
        posts = client.get("/api/collections/posts").json()
        r = client.patch(
            "/api/collections/posts",
            json={
                "listRule": None,
                "fields": [*posts["fields"], {"name": "summary", "type": "text", "max": 200}],
            },
        )
        assert r.status_code == 200, r.text
        r = client.patch(
            "/api/collections/members", json={"authToken": {"duration": 3600}, "otp": {"enabled": True}}
        )
        assert r.status_code == 200, r.text
        r = client.post(
            "/api/collections",
            json={"name": "latest", "type": "base", "fields": [{"name": "n", "type": "number"}]},
        )
        assert r.status_code == 200, r.text
        changed = collections_json(live)
        files = sorted(p.name for p in migrations.iterdir())
        assert files[-1].endswith("_created_latest_.py")  # "...test" gets a "_", as PocketBase

    with App(Config(data_dir=tmp_path / "fresh" / "pb_data", migrations_dir=migrations)) as fresh:
        assert fresh.migrations.up() == files
        assert collections_json(fresh) == changed

    with App(Config(data_dir=data_dir)) as live:
        assert live.migrations.down(len(files) - 1) == list(reversed(files[1:]))
        assert collections_json(live) == original


def test_files_applied_meanwhile_are_not_run_twice(mig_app: App, tmp_path: Path) -> None:
    """Pending files are checked again inside the write (two processes starting at once)."""
    write(tmp_path / "pb_migrations", "1700000001_posts.py", POSTS)
    pending = mig_app.migrations.pending()
    mig_app.db.write_sync(lambda tx: tx.execute("INSERT INTO _migrations VALUES ('1700000001_posts.py', 1)"))
    mig_app.migrations.pending = lambda: pending  # type: ignore[method-assign]
    assert mig_app.migrations.up() == []
    assert mig_app.registry.get("m_posts") is None
