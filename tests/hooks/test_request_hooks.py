"""Request hooks on the records API: before/after/instead of the built-in answer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.app import App
from satchel.hooks import BadRequestError, ForbiddenError, RecordRequestEvent, RecordsListRequestEvent


@pytest.fixture
def posts(app: App, su: TestClient) -> TestClient:
    body = {
        "name": "posts",
        "type": "base",
        "listRule": "",
        "viewRule": "",
        "createRule": "",
        "updateRule": "",
        "deleteRule": "",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "author", "type": "text", "hidden": True},
        ],
    }
    assert su.post("/api/collections", json=body).status_code == 200
    return su


def test_create_request_stamps_a_hidden_field_and_sees_auth(app: App, posts: TestClient, user_token: str) -> None:
    seen: dict[str, Any] = {}

    @app.hook_app.on_record_create_request("posts")
    def stamp(e: RecordRequestEvent) -> None:
        seen["auth"] = e.auth.id if e.auth else None
        seen["query"] = dict(e.request.query_params)
        seen["header"] = e.request.headers.get("x-test")
        seen["body"] = dict(e.request.body)
        e.record.set("author", e.auth.id if e.auth else "guest")  # hidden: clients can't set it
        e.next()
        seen["id"] = e.record.id  # the saved record after next()

    r = posts.post(
        "/api/collections/posts/records?x=1",
        json={"title": "hi", "author": "forged"},
        headers={"Authorization": user_token, "X-Test": "yes"},
    )
    assert r.status_code == 200, r.text
    rid = r.json()["id"]
    assert seen == {
        "auth": "testuser0000001",
        "query": {"x": "1"},
        "header": "yes",
        "body": {"title": "hi", "author": "forged"},
        "id": rid,
    }
    stored = app.hook_app.find_record_by_id("posts", rid)
    assert stored.get("author") == "testuser0000001"


def test_a_request_hook_refuses_with_the_error_shape(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_create_request("posts")
    def refuse(e: RecordRequestEvent) -> None:
        raise ForbiddenError("Posting is closed.")

    r = posts.post("/api/collections/posts/records", json={"title": "x"})
    assert r.status_code == 403
    assert r.json() == {"status": 403, "message": "Posting is closed.", "data": {}}
    assert posts.get("/api/collections/posts/records").json()["totalItems"] == 0


def test_replace_the_response_after_the_builtin_one(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_view_request("posts")
    async def wrap(e: RecordRequestEvent) -> None:
        await e.next()
        e.json(200, {"wrapped": e.response["title"], "seen": e.record.get("title")})

    rid = posts.post("/api/collections/posts/records", json={"title": "t"}).json()["id"]
    assert posts.get(f"/api/collections/posts/records/{rid}").json() == {"wrapped": "t", "seen": "t"}
    assert posts.get("/api/collections/posts/records/nope").status_code == 404


def test_view_hook_changes_the_record_before_it_is_sent(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_view_request
    def upper(e: RecordRequestEvent) -> None:
        e.record.set("title", e.record.get("title").upper())
        e.next()

    rid = posts.post("/api/collections/posts/records", json={"title": "t"}).json()["id"]
    assert posts.get(f"/api/collections/posts/records/{rid}").json()["title"] == "T"
    assert app.hook_app.find_record_by_id("posts", rid).get("title") == "t"  # nothing stored


def test_list_update_delete_hooks(app: App, posts: TestClient) -> None:
    calls: list[str] = []
    h = app.hook_app

    @h.on_records_list_request("posts")
    def listing(e: RecordsListRequestEvent) -> None:
        calls.append(f"list {len(e.records)}")
        e.result["extra"] = True
        e.next()

    @h.on_record_update_request("posts")
    async def updating(e: RecordRequestEvent) -> None:
        calls.append(f"update {e.record.original().get('title')}->{e.record.get('title')}")
        await asyncio.sleep(0)
        await e.next()

    @h.on_record_delete_request("posts")
    def deleting(e: RecordRequestEvent) -> None:
        if e.record.get("title") == "keep":
            raise BadRequestError("This one stays.")
        calls.append("delete")
        e.next()

    rid = posts.post("/api/collections/posts/records", json={"title": "a"}).json()["id"]
    assert posts.get("/api/collections/posts/records").json()["extra"] is True
    assert posts.patch(f"/api/collections/posts/records/{rid}", json={"title": "keep"}).json()["title"] == "keep"
    assert posts.delete(f"/api/collections/posts/records/{rid}").status_code == 400
    posts.patch(f"/api/collections/posts/records/{rid}", json={"title": "go"})
    assert posts.delete(f"/api/collections/posts/records/{rid}").status_code == 204
    assert calls == ["list 1", "update a->keep", "update keep->go", "delete"]


def test_not_calling_next_skips_the_builtin_behaviour(app: App, posts: TestClient) -> None:
    @app.hook_app.on_record_create_request("posts")
    def fake(e: RecordRequestEvent) -> None:
        e.json(202, {"queued": True})

    r = posts.post("/api/collections/posts/records", json={"title": "x"})
    assert (r.status_code, r.json()) == (202, {"queued": True})
    assert posts.get("/api/collections/posts/records").json()["totalItems"] == 0


def test_a_bug_in_a_hook_is_a_400_as_in_pocketbase(app: App, posts: TestClient) -> None:
    rid = posts.post("/api/collections/posts/records", json={"title": "before"}).json()["id"]

    @app.hook_app.on_record_create("posts")
    def buggy(e: RecordRequestEvent) -> None:
        e.next()
        {}["missing"]  # noqa: B018 - a KeyError after the write: it is rolled back

    @app.hook_app.on_record_view_request
    async def buggy_view(e: RecordRequestEvent) -> None:
        raise ValueError("oops")

    r = posts.post("/api/collections/posts/records", json={"title": "x"})
    assert r.status_code == 400
    assert r.json() == {"status": 400, "message": "Something went wrong while processing your request.", "data": {}}
    assert posts.get("/api/collections/posts/records").json()["totalItems"] == 1
    assert posts.get(f"/api/collections/posts/records/{rid}").status_code == 400


def test_batch_items_go_through_the_record_request_hooks(app: App, posts: TestClient) -> None:
    seen: list[str] = []

    @app.hook_app.on_record_create_request("posts")
    async def stamp(e: RecordRequestEvent) -> None:  # a coroutine: runs on the writer thread's own loop
        seen.append(f"create {e.request.method} {e.request.body.get('title')}")
        e.record.set("author", "batch")
        await e.next()

    @app.hook_app.on_record_update_request("posts")
    def refuse(e: RecordRequestEvent) -> None:
        seen.append(f"update {e.record.get('title')}")
        if e.record.get("title") == "nope":
            raise BadRequestError("Not this one.")
        e.next()

    posts.patch("/api/settings", json={"batch": {"enabled": True}})
    url = "/api/collections/posts/records"
    r = posts.post("/api/batch", json={"requests": [
        {"method": "POST", "url": url, "body": {"title": "a"}},
        {"method": "PUT", "url": url, "body": {"id": "fixedid00000001", "title": "b"}},
    ]})  # fmt: skip
    assert r.status_code == 200, r.text
    ids = [item["body"]["id"] for item in r.json()]
    assert [app.hook_app.find_record_by_id("posts", i).get("author") for i in ids] == ["batch", "batch"]
    r = posts.post("/api/batch", json={"requests": [
        {"method": "PATCH", "url": f"{url}/{ids[0]}", "body": {"title": "ok"}},
        {"method": "PATCH", "url": f"{url}/{ids[1]}", "body": {"title": "nope"}},
    ]})  # fmt: skip
    assert r.status_code == 400
    assert r.json()["data"]["requests"]["1"]["response"]["message"] == "Not this one."
    assert app.hook_app.find_record_by_id("posts", ids[0]).get("title") == "a"  # all rolled back
    assert seen == ["create POST a", "create PUT b", "update ok", "update nope"]
