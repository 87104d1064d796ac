"""The API on PostgreSQL: a live ``satchel serve --db=postgresql://...`` and the in-process app.

Collections with every field kind, records CRUD with filters, sorts and expand,
unique errors, auth, a batch that fails as a whole, a view collection and the
``superuser`` command taking the same ``--db``: all against a real PostgreSQL
database of the test's own.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.serve_support import LiveServer, start_serve, stop_serve
from tests.pg_support import drop_database, fresh_database

EMAIL, PASSWORD = "admin@example.com", "1234567890"


@pytest.fixture(scope="module")
def pg_db() -> Iterator[str]:
    name, url = fresh_database()
    yield url
    drop_database(name)


@pytest.fixture(scope="module")
def server(pg_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("pg") / "pb_data"
    done = subprocess.run(
        [sys.executable, "-m", "satchel", "superuser", "upsert", EMAIL, PASSWORD, f"--dir={data_dir}", f"--db={pg_db}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    live = start_serve(data_dir, f"--db={pg_db}")
    try:
        yield live
    finally:
        status = stop_serve(live)
        assert status == 0, live.stderr


@pytest.fixture(scope="module")
def su(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=20) as c:
        r = c.post("/api/collections/_superusers/auth-with-password", json={"identity": EMAIL, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = r.json()["token"]
        yield c


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def test_data_is_in_postgresql_not_in_the_data_dir(server: LiveServer, pg_db: str) -> None:
    assert "files are stored in the local data dir" in server.stdout
    assert not (server.data_dir / "data.db").exists()
    with psycopg.connect(pg_db) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM _collections")}
    assert {"_superusers", "users", "_mfas", "_otps", "_externalAuths", "_authOrigins"} <= names


def test_collections_records_filters_expand(su: httpx.Client) -> None:
    ok(su.post("/api/collections", json={"name": "authors", "fields": [{"name": "name", "type": "text"}]}))
    authors = [ok(su.post("/api/collections/authors/records", json={"name": n}))["id"] for n in ("Ann", "Bob")]
    fields = [
        {"name": "title", "type": "text", "required": True},
        {"name": "views", "type": "number"},
        {"name": "draft", "type": "bool"},
        {"name": "tags", "type": "select", "maxSelect": 3, "values": ["a", "b", "c"]},
        {"name": "meta", "type": "json"},
        {"name": "author", "type": "relation", "collectionId": "authors", "maxSelect": 1},
        {"name": "when", "type": "date"},
        {"name": "loc", "type": "geoPoint"},
    ]
    created = ok(su.post("/api/collections", json={
        "name": "posts", "fields": fields, "listRule": "", "viewRule": "",
        "indexes": ["CREATE UNIQUE INDEX idx_posts_title ON posts (title COLLATE NOCASE)"],
    }))  # fmt: skip
    assert [f["name"] for f in created["fields"]][:3] == ["id", "title", "views"]
    rows = [
        {"title": "Hello", "views": 10, "draft": False, "tags": ["a", "b"], "meta": {"k": [1, 2]}, "author": authors[0],
         "when": "2026-11-20 10:00:00.000Z", "loc": {"lon": 23.3, "lat": 42.7}},
        {"title": "it's 50% off", "views": 2.5, "draft": True, "tags": ["b"], "meta": None, "author": authors[1]},
        {"title": "Third", "views": 0, "tags": [], "meta": "plain"},
    ]  # fmt: skip
    ids = [ok(su.post("/api/collections/posts/records", json=row))["id"] for row in rows]
    rec = ok(su.get(f"/api/collections/posts/records/{ids[0]}", params={"expand": "author"}))
    assert rec["views"] == 10 and rec["draft"] is False and rec["tags"] == ["a", "b"] and rec["meta"] == {"k": [1, 2]}
    assert rec["expand"]["author"]["name"] == "Ann" and rec["loc"] == {"lon": 23.3, "lat": 42.7}

    def titles(flt: str, sort: str = "title") -> list[str]:
        page = ok(su.get("/api/collections/posts/records", params={"filter": flt, "sort": sort}))
        return [r["title"] for r in page["items"]]

    assert titles("views > 1") == ["Hello", "it's 50% off"]
    assert titles('tags:each ?= "b"') == ["Hello", "it's 50% off"]
    assert titles('tags:length = 0 || title ~ "OFF"') == ["Third", "it's 50% off"]
    assert titles('author.name = "Bob"') == ["it's 50% off"]
    assert titles("draft = true") == ["it's 50% off"]
    assert titles('meta.k.1 = 2 && strftime("%Y", when) = "2026"') == ["Hello"]
    assert titles("geoDistance(loc.lon, loc.lat, 23.3, 42.7) < 1") == ["Hello"]
    assert titles("", "-views") == ["Hello", "it's 50% off", "Third"]
    assert titles("", "") == ["Hello", "it's 50% off", "Third"]  # insertion order, as PocketBase's rowid
    page = ok(su.get("/api/collections/posts/records", params={"perPage": 2, "page": 2}))
    assert page["totalItems"] == 3 and page["totalPages"] == 2 and len(page["items"]) == 1

    # the NOCASE unique index holds, worded as PocketBase's field error
    r = su.post("/api/collections/posts/records", json={"title": "HELLO"})
    assert r.status_code == 400 and r.json()["data"]["title"]["code"] == "validation_not_unique"
    ok(su.patch(f"/api/collections/posts/records/{ids[2]}", json={"views+": 5, "tags+": "c"}))
    assert ok(su.get(f"/api/collections/posts/records/{ids[2]}"))["views"] == 5
    ok(su.delete(f"/api/collections/posts/records/{ids[2]}"), 204)
    assert titles("") == ["Hello", "it's 50% off"]
    # bad input is a 400, never a 500
    assert su.get("/api/collections/posts/records", params={"filter": "nope = 1"}).status_code == 400


def test_schema_changes_keep_data(su: httpx.Client) -> None:
    ok(su.post("/api/collections", json={"name": "notes", "fields": [{"name": "body", "type": "text"},
                                                                      {"name": "kind", "type": "select", "values": ["x", "y"]}]}))  # fmt: skip
    rid = ok(su.post("/api/collections/notes/records", json={"body": "one", "kind": "x"}))["id"]
    col = ok(su.get("/api/collections/notes"))
    for f in col["fields"]:
        if f["name"] == "body":
            f["name"] = "text"
        if f["name"] == "kind":
            f["maxSelect"] = 2
    col["fields"].append({"name": "extra", "type": "number"})
    ok(su.patch("/api/collections/notes", json={"fields": col["fields"]}))
    rec = ok(su.get(f"/api/collections/notes/records/{rid}"))
    assert (rec["text"], rec["kind"], rec["extra"]) == ("one", ["x"], 0)
    ok(su.patch("/api/collections/notes", json={"name": "memos"}))
    assert ok(su.get(f"/api/collections/memos/records/{rid}"))["text"] == "one"
    ok(su.delete("/api/collections/memos"), 204)


def test_view_collection(su: httpx.Client) -> None:
    view = ok(su.post("/api/collections", json={
        "name": "post_stats", "type": "view", "listRule": "",
        "viewQuery": "SELECT id, title, views FROM posts WHERE views > 1",
    }))  # fmt: skip
    assert [f["name"] for f in view["fields"]] == ["id", "title", "views"]
    page = ok(su.get("/api/collections/post_stats/records", params={"sort": "title"}))
    assert [r["title"] for r in page["items"]] == ["Hello", "it's 50% off"]


def test_auth_and_batch(su: httpx.Client, server: LiveServer) -> None:
    ok(su.post("/api/collections/users/records", json={
        "email": "u@example.com", "password": "12345678", "passwordConfirm": "12345678", "name": "U"}))  # fmt: skip
    with httpx.Client(base_url=server.base) as anon:
        auth = ok(anon.post("/api/collections/users/auth-with-password",
                            json={"identity": "u@example.com", "password": "12345678"}))  # fmt: skip
        assert auth["record"]["email"] == "u@example.com"
        assert anon.post("/api/collections/users/auth-with-password",
                         json={"identity": "u@example.com", "password": "nope-nope"}).status_code == 400  # fmt: skip
    settings = ok(su.get("/api/settings"))
    settings["batch"]["enabled"] = True
    ok(su.patch("/api/settings", json={"batch": settings["batch"]}))
    ok(su.post("/api/collections", json={"name": "items", "fields": [{"name": "n", "type": "number"}]}))
    r = su.post("/api/batch", json={"requests": [
        {"method": "POST", "url": "/api/collections/items/records", "body": {"n": 1}},
        {"method": "POST", "url": "/api/collections/nope/records", "body": {"n": 2}},
    ]})  # fmt: skip
    assert r.status_code == 400
    assert ok(su.get("/api/collections/items/records"))["totalItems"] == 0  # one transaction: nothing kept
    r = su.post("/api/batch", json={"requests": [
        {"method": "POST", "url": "/api/collections/items/records", "body": {"n": i}} for i in range(3)]})  # fmt: skip
    assert r.status_code == 200, r.text
    assert ok(su.get("/api/collections/items/records"))["totalItems"] == 3


def test_logs_stay_in_sqlite_and_filter_there(su: httpx.Client) -> None:
    """The logs API compiles its filter for auxiliary.db (SQLite), not for PostgreSQL."""
    page = ok(su.get("/api/logs", params={"filter": "data.status >= 200 && data.url ~ '/api/'"}))
    assert isinstance(page["items"], list)
    assert isinstance(ok(su.get("/api/logs/stats", params={"filter": "level >= 0"})), list)


def test_backups_point_to_the_database_tools(su: httpx.Client) -> None:
    r = su.post("/api/backups", json={"name": "x.zip"})
    assert r.status_code == 400 and "pg_dump" in r.json()["message"]
    assert su.get("/api/backups").status_code == 200


def test_serve_without_postgresql_fails_clearly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "satchel", "superuser", "upsert", EMAIL, PASSWORD, f"--dir={tmp_path}",
         "--db=postgresql://postgres@127.0.0.1:1/none"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "127.0.0.1" in done.stderr and "Traceback" not in done.stderr



def test_sql_console_runs_postgresql_sql(su: httpx.Client) -> None:
    r = su.post("/api/sql", json={"query": "SELECT 1 AS one, 'x'::text AS two"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["name"] for c in body["columns"]] == ["one", "two"]
    assert [c["type"] for c in body["columns"]] == ["INT4", "TEXT"]
    assert body["rows"] == [["1", "x"]]
