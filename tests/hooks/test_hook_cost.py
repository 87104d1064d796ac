"""What a request hook costs: nothing left to the garbage collector, nothing made that
the handlers do not read (docs/performance.md, ``python -m bench.hooks_cost``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from dataclasses import MISSING, fields
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.records.model import Record
from satchel.hooks import RecordRequestEvent


@pytest.fixture
def notes(app: App, su: TestClient) -> TestClient:
    body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
            "fields": [{"name": "title", "type": "text"}]}  # fmt: skip
    assert su.post("/api/collections", json=body).status_code == 200
    return su


@pytest.fixture
def garbage() -> Iterator[list[Any]]:
    """What the cycle collector found unreachable while the test ran (kept, not freed)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_hooked_requests_leave_no_cycles(app: App, notes: TestClient, garbage: list[Any]) -> None:
    """A chain that kept a cycle left each request's event, record and Starlette request to
    the collector: +50 objects a request and most of a do-nothing hook's cost."""

    @app.hook_app.on_record_view_request
    async def coroutine(e: RecordRequestEvent) -> None:
        await e.next()

    @app.hook_app.on_record_create_request
    def plain(e: RecordRequestEvent) -> None:
        e.next()

    rid = notes.post("/api/collections/notes/records", json={"title": "a"}).json()["id"]
    assert notes.get(f"/api/collections/notes/records/{rid}").json()["title"] == "a"
    gc.collect()
    assert not [o for o in garbage if isinstance(o, RecordRequestEvent)]
    assert not [o for o in garbage if type(o).__name__ == "_AsyncChain"]


def test_a_view_hook_makes_the_record_only_when_read(
    app: App, notes: TestClient, user_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    from_stored = Record.from_stored.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Record], collection: Any, stored: Any) -> Record:
        made.append(collection.name)
        return from_stored(cls, collection, stored)  # type: ignore[no-any-return]

    rid = notes.post("/api/collections/notes/records", json={"title": "a"}).json()["id"]
    monkeypatch.setattr(Record, "from_stored", classmethod(counting))
    seen: dict[str, Any] = {}

    @app.hook_app.on_record_view_request(id="nothing")
    async def nothing(e: RecordRequestEvent) -> None:
        await e.next()

    r = notes.get(f"/api/collections/notes/records/{rid}")
    assert (r.status_code, r.json()["title"], made) == (200, "a", [])

    @app.hook_app.on_record_view_request(id="reader")
    async def reader(e: RecordRequestEvent) -> None:
        seen.update(auth=e.auth.id if e.auth else None, id=e.request.path_params["id"],
                    title=e.record.get("title") if e.record else None)  # fmt: skip
        if e.request.query_params.get("shout"):
            e.record.set("title", "A!")  # type: ignore[union-attr]
        await e.next()

    client = TestClient(notes.app)
    r = client.get(f"/api/collections/notes/records/{rid}", headers={"Authorization": user_token})
    assert (r.status_code, r.json()["title"]) == (200, "a")
    assert seen == {"auth": "testuser0000001", "id": rid, "title": "a"}
    assert "notes" in made and "users" in made  # e.record and e.auth, as they were read
    r = client.get(f"/api/collections/notes/records/{rid}?shout=1")
    assert (r.status_code, r.json()["title"], seen["auth"]) == (200, "A!", None)


def test_a_create_hook_that_reads_the_record_only_after_next_sees_what_was_saved(
    app: App, notes: TestClient
) -> None:
    seen: dict[str, Any] = {}

    @app.hook_app.on_record_create_request
    async def after(e: RecordRequestEvent) -> None:
        await e.next()  # nothing read before: the body's Record is not made for the write
        assert e.record is not None
        seen.update(id=e.record.id, title=e.record.get("title"), new=e.record.is_new(),
                    body=dict(e.request.body))  # fmt: skip

    r = notes.post("/api/collections/notes/records", json={"title": "b"})
    assert r.status_code == 200, r.text
    assert seen == {"id": r.json()["id"], "title": "b", "new": False, "body": {"title": "b"}}


def test_a_do_nothing_coroutine_request_hook_costs_under_5_percent() -> None:
    """Issue 16's figure, load-proof: the Python bytecodes of a view, create, update,
    delete and list (every thread, the request log's write included) with a coroutine
    request hook that only awaits ``e.next()``, against the same request with no hook;
    and no request, hooked or not (a plain-function hook too), leaves objects to the
    cycle collector.  (``python -m bench.hooks_cost --bytecodes`` prints the figures.)"""
    from bench.hooks_cost import CASES, count_bytecodes

    kinds = ["no hook", "async request hook", "sync request hook"]
    counted = asyncio.run(count_bytecodes(kinds, 40))
    assert set(counted) == set(CASES)
    for case, by_kind in counted.items():
        base, hooked = by_kind["no hook"][0], by_kind["async request hook"][0]
        assert hooked < base * 1.05, (case, base, hooked)
        assert all(garbage == 0 for _, garbage in by_kind.values()), (case, by_kind)


def test_lazy_events_make_every_field_their_dataclass_would() -> None:
    """The lazy request events set their fields themselves (no dataclass __init__): a
    field with a default factory they do not make would be shared by every event."""
    from satchel.api.hook_request import LazyRecordRequestEvent, LazyRecordsListRequestEvent
    from satchel.core.records.hook_events import RecordsListRequestEvent

    def made_by_factory(event_type: type[Any]) -> set[str]:
        return {f.name for f in fields(event_type) if f.default_factory is not MISSING}

    assert made_by_factory(RecordRequestEvent) <= {"request"}  # made lazily
    assert made_by_factory(RecordsListRequestEvent) <= {"request", "records", "result"}
    assert issubclass(LazyRecordRequestEvent, RecordRequestEvent)
    assert issubclass(LazyRecordsListRequestEvent, RecordsListRequestEvent)
