"""Write-path behaviours not covered by the oracle replay: multipart bodies, uploads,
the realtime seam (one publish per committed change, nothing on rollback)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.records import events as record_events


def _events(app: App) -> list[record_events.RecordEvent]:
    seen: list[record_events.RecordEvent] = []
    record_events.subscribe(app, seen.append)
    return seen


def _setup(su: TestClient) -> None:
    r = su.post("/api/collections", json={
        "name": "tags", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
        "fields": [{"name": "name", "type": "text", "required": True}, {"name": "n", "type": "number"},
                   {"name": "doc", "type": "file", "maxSelect": 1}]})
    assert r.status_code == 200, r.text
    r = su.post("/api/collections", json={
        "name": "items", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
        "fields": [{"name": "tag", "type": "relation", "collectionId": r.json()["id"], "maxSelect": 1,
                    "cascadeDelete": True}]})
    assert r.status_code == 200, r.text


def test_multipart_body_values_are_inferred(app: App, su: TestClient) -> None:
    _setup(su)
    r = su.post("/api/collections/tags/records", data={"name": "multi", "n": "5", "n+": "2"})
    assert r.status_code == 200, r.text
    assert r.json()["n"] == 7 and r.json()["name"] == "multi"


def test_file_uploads_are_stored(app: App, su: TestClient) -> None:
    _setup(su)
    r = su.post("/api/collections/tags/records", data={"name": "f"}, files={"doc": ("a.txt", b"hi", "text/plain")})
    assert r.status_code == 200, r.text
    assert su.get(f"/api/files/tags/{r.json()['id']}/{r.json()['doc']}").content == b"hi"


def test_changes_are_published_after_commit_only(app: App, su: TestClient) -> None:
    _setup(su)
    seen = _events(app)
    tag = su.post("/api/collections/tags/records", json={"id": "tag000000000001", "name": "a"}).json()
    su.post("/api/collections/items/records", json={"id": "item00000000001", "tag": tag["id"]})
    assert [(e.action, e.collection_name) for e in seen] == [("create", "tags"), ("create", "items")]
    seen.clear()
    assert su.post("/api/collections/tags/records", json={}).status_code == 400
    assert seen == []
    assert su.delete(f"/api/collections/tags/records/{tag['id']}").status_code == 204
    assert [(e.action, e.record["id"]) for e in seen] == [("delete", "tag000000000001"), ("delete", "item00000000001")]


def test_batch_rollback_publishes_nothing_and_keeps_nothing(app: App, su: TestClient) -> None:
    _setup(su)
    assert su.patch("/api/settings", json={"batch": {"enabled": True}}).status_code == 200
    seen = _events(app)
    body: dict[str, Any] = {"requests": [
        {"method": "POST", "url": "/api/collections/tags/records", "body": {"id": "keepme000000001", "name": "x"}},
        {"method": "PATCH", "url": "/api/collections/tags/records/keepme000000001", "body": {"name": ""}},
    ]}
    r = su.post("/api/batch", json=body)
    assert r.status_code == 400
    assert r.json()["data"]["requests"]["1"]["response"]["message"] == "Failed to update record."
    assert su.get("/api/collections/tags/records/keepme000000001").status_code == 404
    assert seen == []
