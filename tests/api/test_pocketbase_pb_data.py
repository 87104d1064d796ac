"""A pb_data made by PocketBase 0.40.6 opens in Satchel and is served as PocketBase serves it.

tests/fixtures/pb_data_040 was made by the real binary
(tests/fixtures/make_pocketbase_fixtures.py; see its README); its collections as
PocketBase returns them are in pocketbase_040/pb_data_records.json.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from tests.conftest import FIXTURES
from tests.oracle import load, mismatches

CAPTURED = {e["path"]: e for e in load("pb_data_records.json") if e["path"].count("/") == 3}


@pytest.fixture
def pb_app(tmp_path: Path) -> Iterator[App]:
    data_dir = tmp_path / "pb_data"
    shutil.copytree(FIXTURES / "pb_data_040", data_dir)
    application = App(Config(data_dir=data_dir))
    yield application
    application.close()


@pytest.fixture
def pb_client(pb_app: App) -> Iterator[TestClient]:
    with TestClient(build_asgi(pb_app), client=("127.0.0.1", 50000)) as c:
        r = c.post(
            "/api/collections/_superusers/auth-with-password",
            json={"identity": "test@example.com", "password": "1234567890"},
        )
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = r.json()["token"]
        yield c


@pytest.mark.parametrize("path", sorted(CAPTURED))
def test_collections_of_a_pocketbase_pb_data_are_served_identically(pb_client: TestClient, path: str) -> None:
    r = pb_client.get(path)
    assert r.status_code == 200
    assert mismatches(CAPTURED[path]["response"], r.json()) == []


def test_pocketbase_pb_data_survives_a_create_update_cycle(pb_app: App, pb_client: TestClient) -> None:
    before = {c.name for c in pb_app.registry}
    r = pb_client.post("/api/collections", json={"name": "notes", "fields": [{"name": "body", "type": "text"}]})
    assert r.status_code == 200, r.text
    r = pb_client.patch(
        "/api/collections/posts",
        json={"fields": [*pb_client.get("/api/collections/posts").json()["fields"], {"name": "extra", "type": "number"}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["fields"][-1]["name"] == "extra"
    # the records PocketBase wrote are still there, with the new column
    rows = pb_app.db.read_sync(lambda conn: conn.execute("SELECT id, extra FROM posts ORDER BY id").fetchall())
    assert [row[0] for row in rows][:1] == ["post00000000001"]
    assert all(row[1] == 0 for row in rows)
    # and the view over posts still answers
    count = pb_app.db.read_sync(lambda conn: conn.execute("SELECT COUNT(*) FROM post_stats").fetchone())
    assert count is not None and count[0] == len(rows)
    assert {c.name for c in pb_app.registry} == before | {"notes"}


def test_pocketbase_migrations_are_kept(pb_app: App) -> None:
    """The _migrations rows PocketBase wrote (system and auto-migrations) are left alone."""
    conn = apsw.Connection(str(pb_app.config.data_db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        files = {row[0] for row in conn.execute("SELECT file FROM _migrations")}
    finally:
        conn.close()
    assert "1640988000_init.go" in files
    assert any(name.endswith("_created_posts.js") for name in files)
