"""A failed schema change leaves nothing half-applied: neither the row nor the table."""

from __future__ import annotations

from starlette.testclient import TestClient

from satchel.app import App


def _tables(app: App) -> set[str]:
    rows = app.db.read_sync(lambda c: c.execute(app.dialect.table_names()).fetchall())
    return {str(r[0]) for r in rows}


def _columns(app: App, table: str) -> list[str]:
    rows = app.db.read_sync(lambda c: c.execute(app.dialect.table_info(table)).fetchall())
    return [str(r[1]) for r in rows if r[1] != "_rowid_"]  # PostgreSQL's stand-in for SQLite's hidden rowid


def test_failed_index_on_create_leaves_no_table_nor_row(app: App, su: TestClient) -> None:
    r = su.post(
        "/api/collections",
        json={"name": "broken", "fields": [{"name": "a", "type": "text"}], "indexes": ["CREATE INDEX idx_b ON broken (nope)"]},
    )
    assert r.status_code == 400
    assert r.json()["data"]["indexes"]["0"]["code"] == "validation_invalid_index_expression"
    assert "broken" not in _tables(app)
    assert su.get("/api/collections/broken").status_code == 404
    assert app.registry.get("broken") is None


def test_failed_field_rename_keeps_table_and_collection(app: App, su: TestClient) -> None:
    created = su.post(
        "/api/collections",
        json={"name": "things", "fields": [{"name": "name", "type": "text"}], "indexes": ["CREATE INDEX idx_t ON things (name)"]},
    ).json()
    fields = created["fields"]
    fields[1]["name"] = "label"  # the index still names "name"
    r = su.patch("/api/collections/things", json={"fields": fields, "name": "renamed_things"})
    assert r.status_code == 400
    assert "renamed_things" not in _tables(app)
    assert _columns(app, "things") == ["id", "name"]
    assert su.get("/api/collections/things").json()["fields"][1]["name"] == "name"


def test_dropping_a_column_a_view_needs_fails_cleanly(app: App, su: TestClient) -> None:
    su.post("/api/collections", json={"name": "src", "fields": [{"name": "title", "type": "text"}]})
    r = su.post("/api/collections", json={"name": "src_view", "type": "view", "viewQuery": "SELECT id, title FROM src"})
    assert r.status_code == 200, r.text
    fields = su.get("/api/collections/src").json()["fields"][:1]  # drop "title"
    r = su.patch("/api/collections/src", json={"fields": fields})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Failed to update collection. Raw error:")
    assert _columns(app, "src") == ["id", "title"]
    assert [f["name"] for f in su.get("/api/collections/src").json()["fields"]] == ["id", "title"]


def test_rename_and_add_keeps_rows(app: App, su: TestClient) -> None:
    created = su.post("/api/collections", json={"name": "notes", "fields": [{"name": "body", "type": "text"}]}).json()
    app.db.write_sync(lambda tx: tx.execute("INSERT INTO notes (id, body) VALUES ('n1', 'hello')"))
    fields = created["fields"]
    fields[1]["name"] = "text"
    fields.append({"name": "stars", "type": "number"})
    r = su.patch("/api/collections/notes", json={"fields": fields})
    assert r.status_code == 200, r.text
    row = app.db.read_sync(lambda c: c.execute("SELECT id, text, stars FROM notes").fetchone())
    assert row == ("n1", "hello", 0)


def test_single_to_multi_select_converts_values(app: App, su: TestClient) -> None:
    created = su.post(
        "/api/collections",
        json={"name": "tagged", "fields": [{"name": "tag", "type": "select", "values": ["a", "b"], "maxSelect": 1}]},
    ).json()
    app.db.write_sync(lambda tx: tx.execute("INSERT INTO tagged (id, tag) VALUES ('t1', 'a'), ('t2', '')"))
    fields = created["fields"]
    fields[1]["maxSelect"] = 2
    assert su.patch("/api/collections/tagged", json={"fields": fields}).status_code == 200
    rows = app.db.read_sync(lambda c: c.execute("SELECT id, tag FROM tagged ORDER BY id").fetchall())
    assert rows == [("t1", '["a"]'), ("t2", "[]")]
    fields[1]["maxSelect"] = 1
    assert su.patch("/api/collections/tagged", json={"fields": fields}).status_code == 200
    rows = app.db.read_sync(lambda c: c.execute("SELECT id, tag FROM tagged ORDER BY id").fetchall())
    assert rows == [("t1", "a"), ("t2", "")]


def test_deleting_a_collection_removes_its_stored_files(app: App, su: TestClient) -> None:
    created = su.post(
        "/api/collections",
        json={"name": "docs", "createRule": "", "fields": [{"name": "file", "type": "file", "maxSelect": 1}]},
    ).json()
    r = su.post("/api/collections/docs/records", files={"file": ("a.txt", b"hello", "text/plain")})
    assert r.status_code == 200, r.text
    folder = app.config.data_dir / "storage" / created["id"]
    assert folder.is_dir()
    assert su.delete("/api/collections/docs").status_code == 204
    app.files.drain()
    assert not folder.exists()
