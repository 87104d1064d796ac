"""The Python SDK (PyPI ``pocketbase`` 0.17.x) against a live ``satchel serve``: superuser
auth, a collection created through the API, and records create / get_list / get_one /
update / delete, plus a guest refused by the rules.

(SDK 0.17's ``is_superuser`` reads snake-case claims of the token; spec 11 §A.2 — not asserted.)"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from pocketbase import PocketBase  # PyPI `pocketbase`, in the test extra
from pocketbase.errors import ClientResponseError

from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer


@pytest.fixture(scope="module")
def pb(live_server: LiveServer) -> Iterator[PocketBase]:
    client = PocketBase(live_server.base)
    auth = client.collection("_superusers").auth_with_password(EMAIL, PASSWORD)
    assert auth.token and auth.record.email == EMAIL
    assert client.auth_store.token == auth.token
    collection = client.collections.create({
        "name": "py_items",
        "type": "base",
        "listRule": "",
        "viewRule": "",
        "createRule": "@request.auth.id != ''",
        "updateRule": "@request.auth.id != ''",
        "deleteRule": None,
        "fields": [
            {"name": "title", "type": "text", "required": True},
            {"name": "qty", "type": "number"},
            {"name": "done", "type": "bool"},
            {"name": "created", "type": "autodate", "onCreate": True},
            {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
    })
    assert collection.name == "py_items" and collection.id.startswith("pbc_")
    yield client


def test_crud(pb: PocketBase) -> None:
    items = pb.collection("py_items")
    first = items.create({"title": "first", "qty": 2})
    assert (len(first.id), first.title, first.qty, first.done) == (15, "first", 2, False)
    assert first.collection_name == "py_items"
    assert isinstance(first.created, datetime.datetime)
    second = items.create({"title": "second", "qty": 5, "done": True})

    page = items.get_list(1, 1, {"sort": "-qty"})
    assert (page.page, page.per_page, page.total_items, page.total_pages) == (1, 1, 2, 2)
    assert [r.title for r in page.items] == ["second"]
    filtered = items.get_list(1, 10, {"filter": pb.filter("qty > {:n} && done = {:d}", {"n": 1, "d": False})})
    assert [r.id for r in filtered.items] == [first.id]
    assert [r.title for r in items.get_full_list(batch=1, query_params={"sort": "title"})] == ["first", "second"]
    assert items.get_first_list_item('title = "second"').id == second.id

    got = items.get_one(first.id)
    assert (got.id, got.title, got.qty) == (first.id, "first", 2)

    updated = items.update(first.id, {"title": "renamed", "qty+": 3})
    assert (updated.title, updated.qty) == ("renamed", 5)
    assert updated.updated >= first.updated
    assert items.get_one(first.id, {"fields": "id,title"}).title == "renamed"

    assert items.delete(second.id) is True
    with pytest.raises(ClientResponseError) as missing:
        items.get_one(second.id)
    assert missing.value.status == 404
    assert [r.id for r in items.get_full_list()] == [first.id]


def test_rules_refuse_a_guest(pb: PocketBase, live_server: LiveServer) -> None:
    guest = PocketBase(live_server.base)
    with pytest.raises(ClientResponseError) as refused:
        guest.collection("py_items").create({"title": "nope"})
    assert refused.value.status == 400
    assert refused.value.data == {"data": {}, "message": "Failed to create record.", "status": 400}
    with pytest.raises(ClientResponseError) as forbidden:
        guest.collection("py_items").delete(pb.collection("py_items").get_full_list()[0].id)
    assert forbidden.value.status == 403
    assert guest.collection("py_items").get_list().total_items >= 1  # listRule "" lets guests read
