"""Model hooks around persistence: PocketBase's order, rollback on raise, joined writes, enrich."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.records.events import RecordEvent as Published
from satchel.core.records.events import subscribe
from satchel.hooks import BadRequestError, Record, RecordEvent


@pytest.fixture
def posts(app: App, su: TestClient) -> TestClient:
    for body in (
        {
            "name": "posts",
            "type": "base",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "updateRule": "",
            "deleteRule": "",
            "fields": [
                {"name": "title", "type": "text", "max": 40},
                {"name": "secret", "type": "text", "hidden": True},
                {"name": "doc", "type": "file", "maxSelect": 1},
            ],
        },
        {"name": "log", "type": "base", "listRule": "", "fields": [{"name": "what", "type": "text"}]},
    ):
        r = su.post("/api/collections", json=body)
        assert r.status_code == 200, r.text
    return su


def _tracer(app: App, log: list[str]) -> None:
    h = app.hook_app
    for name in ("create", "update", "delete"):
        for hook in (f"on_record_{name}", f"on_record_{name}_execute"):
            h.hooks.get(hook).bind(_logger(log, hook), tags=["posts"])
        for hook in (f"on_record_after_{name}_success", f"on_record_after_{name}_error"):
            h.hooks.get(hook).bind(_logger(log, hook), tags=["posts"])
    h.on_record_validate("posts")(_logger(log, "on_record_validate"))


def _logger(log: list[str], name: str) -> Any:
    def handler(e: RecordEvent) -> None:
        log.append(name)
        e.next()

    return handler


def test_event_order_as_pocketbase(app: App, posts: TestClient) -> None:
    log: list[str] = []
    _tracer(app, log)
    r = posts.post("/api/collections/posts/records", json={"title": "a"})
    assert r.status_code == 200, r.text
    # PocketBase (core/db.go): Create wraps validate and execute; success after commit
    assert log == [
        "on_record_create",
        "on_record_validate",
        "on_record_create_execute",
        "on_record_after_create_success",
    ]
    log.clear()
    rid = r.json()["id"]
    assert posts.patch(f"/api/collections/posts/records/{rid}", json={"title": "b"}).status_code == 200
    assert log == [
        "on_record_update",
        "on_record_validate",
        "on_record_update_execute",
        "on_record_after_update_success",
    ]
    log.clear()
    assert posts.delete(f"/api/collections/posts/records/{rid}").status_code == 204
    assert log == ["on_record_delete", "on_record_delete_execute", "on_record_after_delete_success"]
    log.clear()
    # another collection: the tagged handlers don't run
    assert posts.post("/api/collections/log/records", json={"what": "x"}).status_code == 200
    assert log == []


def test_a_hook_changes_the_record_before_it_is_stored(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_create("posts")
    def shout(e: RecordEvent) -> None:
        e.record.set("title", e.record.get("title").upper())
        e.next()

    r = posts.post("/api/collections/posts/records", json={"title": "quiet"})
    assert r.json()["title"] == "QUIET"
    assert posts.get(f"/api/collections/posts/records/{r.json()['id']}").json()["title"] == "QUIET"


def test_raising_rolls_back_files_and_sends_no_realtime(app: App, posts: TestClient) -> None:
    published: list[Published] = []
    subscribe(app, published.append)
    errors: list[Any] = []

    @app.hook_app.on_record_create_execute("posts")
    def refuse(e: RecordEvent) -> None:
        e.next()  # the row and the file are written ...
        raise BadRequestError("Not today.", {"title": {"code": "nope", "message": "No."}})  # ... and undone

    @app.hook_app.on_record_after_create_error
    def seen(e: Any) -> None:
        errors.append(e.error)
        e.next()

    r = posts.post(
        "/api/collections/posts/records",
        data={"title": "with file"},
        files={"doc": ("a.txt", b"hello", "text/plain")},
    )
    assert r.status_code == 400
    assert r.json() == {
        "status": 400,
        "message": "Not today.",
        "data": {"title": {"code": "nope", "message": "No."}},
    }
    assert posts.get("/api/collections/posts/records").json()["totalItems"] == 0
    c = app.registry.get("posts")
    assert c is not None
    storage = app.config.data_dir / "storage" / c.id
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))
    assert published == []
    assert len(errors) == 1 and isinstance(errors[0], BadRequestError)


def test_validate_hook_can_refuse(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_validate("posts")
    def no_spam(e: RecordEvent) -> None:
        if "spam" in e.record.get("title"):
            raise BadRequestError("Failed to create record.", {"title": {"code": "spam", "message": "Spam."}})
        e.next()

    assert posts.post("/api/collections/posts/records", json={"title": "spam!"}).status_code == 400
    assert posts.post("/api/collections/posts/records", json={"title": "ham"}).status_code == 200


def test_a_save_inside_a_hook_joins_the_transaction(app: App, posts: TestClient) -> None:
    h = app.hook_app
    published: list[Published] = []
    subscribe(app, published.append)

    @h.on_record_create("posts")
    def audit(e: RecordEvent) -> None:
        e.next()
        h.save(Record(h.find_collection_by_name_or_id("log"), {"what": "created " + e.record.get("title")}))
        if e.record.get("title") == "boom":
            raise BadRequestError("Boom.")

    assert posts.post("/api/collections/posts/records", json={"title": "fine"}).status_code == 200
    assert posts.post("/api/collections/posts/records", json={"title": "boom"}).status_code == 400
    # the audit row of the failed create went with it
    items = posts.get("/api/collections/log/records").json()["items"]
    assert [i["what"] for i in items] == ["created fine"]
    assert sorted(p.collection_name for p in published) == ["log", "posts"]


def test_after_success_runs_after_commit_and_may_write(app: App, posts: TestClient) -> None:
    h = app.hook_app

    @h.on_record_after_create_success("posts")
    def follow_up(e: RecordEvent) -> None:
        # committed: a new transaction, visible to everyone
        h.save(Record(h.find_collection_by_name_or_id("log"), {"what": "after " + e.record.id}))
        e.next()

    rid = posts.post("/api/collections/posts/records", json={"title": "x"}).json()["id"]
    assert posts.get("/api/collections/log/records").json()["items"][0]["what"] == f"after {rid}"


def test_async_model_handler(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_create("posts")
    async def tag(e: RecordEvent) -> None:
        e.record.set("title", "async " + e.record.get("title"))
        await e.next()

    assert posts.post("/api/collections/posts/records", json={"title": "x"}).json()["title"] == "async x"


def test_enrich_hides_unhides_and_adds(app: App, posts: TestClient, client: TestClient) -> None:
    rid = posts.post("/api/collections/posts/records", json={"title": "t", "secret": "s3"}).json()["id"]

    @app.hook_app.on_record_enrich("posts")
    def enrich(e: Any) -> None:
        e.record.hide("title")
        e.record.unhide("secret")
        e.record.set("extra", 42)
        e.next()

    del client.headers["Authorization"]
    view = client.get(f"/api/collections/posts/records/{rid}").json()
    assert "title" not in view and view["secret"] == "s3" and view["extra"] == 42
    listed = client.get("/api/collections/posts/records").json()["items"][0]
    assert listed["secret"] == "s3" and listed["extra"] == 42


def test_collection_hooks_order_and_rollback(app: App, su: TestClient) -> None:
    h = app.hook_app
    log: list[str] = []
    for action in ("create", "update", "delete"):
        for name in (
            f"on_collection_{action}",
            f"on_collection_{action}_execute",
            f"on_collection_after_{action}_success",
        ):
            h.hooks.get(name).bind(_logger(log, name))
    h.on_collection_validate(_logger(log, "on_collection_validate"))
    assert su.post("/api/collections", json={"name": "notes", "type": "base"}).status_code == 200
    assert log == [
        "on_collection_create",
        "on_collection_validate",
        "on_collection_create_execute",
        "on_collection_after_create_success",
    ]
    log.clear()
    assert su.patch("/api/collections/notes", json={"listRule": ""}).status_code == 200
    assert log[0] == "on_collection_update" and log[-1] == "on_collection_after_update_success"
    log.clear()
    assert su.delete("/api/collections/notes").status_code == 204
    assert log == [
        "on_collection_delete",
        "on_collection_delete_execute",
        "on_collection_after_delete_success",
    ]

    @h.on_collection_create_execute
    def refuse(e: Any) -> None:
        e.next()
        if e.collection.name == "bad":
            raise BadRequestError("No bad collections.")

    r = su.post("/api/collections", json={"name": "bad", "type": "base"})
    assert r.status_code == 400 and r.json()["message"] == "No bad collections."
    assert app.registry.get("bad") is None
    assert su.post("/api/collections", json={"name": "bad", "type": "base"}).status_code == 400
    assert (
        app.db.read_sync(
            lambda conn: conn.execute("SELECT name FROM sqlite_master WHERE name='bad'").fetchall()
        )
        == []
    )


def test_a_delete_that_empties_a_relation_fires_the_update_hooks_of_the_referrer(app: App, posts: TestClient) -> None:
    c = app.registry.get("posts")
    assert c is not None
    body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "post", "type": "relation", "collectionId": c.id, "maxSelect": 1},
                       {"name": "orphaned", "type": "bool"}]}  # fmt: skip
    assert posts.post("/api/collections", json=body).status_code == 200
    pid = posts.post("/api/collections/posts/records", json={"title": "p"}).json()["id"]
    nid = posts.post("/api/collections/notes/records", json={"post": pid}).json()["id"]
    seen: list[str] = []

    @app.hook_app.on_record_update("notes")
    def mark(e: RecordEvent) -> None:
        seen.append(f"{e.record.original().get('post')}->{e.record.get('post')!r}")
        e.record.set("orphaned", True)
        e.next()

    assert posts.delete(f"/api/collections/posts/records/{pid}").status_code == 204
    assert seen == [f"{pid}->''"]
    note = posts.get(f"/api/collections/notes/records/{nid}").json()
    assert note["post"] == "" and note["orphaned"] is True


def test_a_model_hook_that_does_not_call_next_skips_the_write(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_create("posts")
    def skip(e: RecordEvent) -> None:
        e.record.set("title", "not stored")

    r = posts.post("/api/collections/posts/records", json={"title": "x"})
    assert r.status_code == 200 and r.json()["title"] == "not stored"
    assert posts.get("/api/collections/posts/records").json()["totalItems"] == 0
