"""The official JS SDK 0.28.1 against a live ``satchel serve``: the records API as clients use
it (list, full list, first item, view, create, update, delete, ``pb.filter()``, batches,
``expand``/``fields``, rule-denied calls as ``ClientResponseError``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.serve_support import LiveServer, run_node

NOT_FOUND = {"isClientResponseError": True, "status": 404, "message": "The requested resource wasn't found.", "data": {}}
QUOTED = "O'Reilly \"quoted\""


@pytest.fixture(scope="module")
def out(live_server: LiveServer) -> dict[str, Any]:
    return run_node("records_sdk.mjs", live_server.base)


def test_create(out: dict[str, Any]) -> None:
    assert out["create"] == {
        "idLength": 15,
        "collectionName": "sdk_posts",
        "title": "Alpha",
        "views": 10,
        "tags": ["js", "py"],
        "author": True,
        "hasAutodates": True,
    }
    # create with expand + fields: only the picked keys
    assert out["createExpandFields"] == {"title": "Delta", "expand": {"author": {"name": "Bob"}}}


def test_get_list_paging_sort_filter(out: dict[str, Any]) -> None:
    # a guest sees the published posts only (listRule)
    assert out["getList"] == {"page": 1, "perPage": 2, "totalItems": 3, "totalPages": 2, "titles": ["Alpha", "Beta"]}
    assert out["getList2"] == [QUOTED]
    assert out["getListFiltered"] == ["Beta"]
    assert out["skipTotal"] == {"totalItems": -1, "totalPages": -1, "count": 3}
    # an authenticated user sees every post
    assert out["userList"] == ["Alpha", "Beta", "Gamma", QUOTED, "Delta"]


def test_get_full_list(out: dict[str, Any]) -> None:
    assert out["getFullList"] == ["Alpha", "Beta", QUOTED]  # batched pages of 2
    assert out["getFullListUser"] == ["Alpha", "Gamma", QUOTED]


def test_filter_params_and_first_list_item(out: dict[str, Any]) -> None:
    assert out["filterText"] == 'title = "O\'Reilly \\"quoted\\"" && views > 0'
    assert out["getFirstListItem"] == {"id": True, "title": QUOTED}  # string, number, Date and bool params
    assert out["filterNull"] == ["Beta", QUOTED]  # {:b} = null matches the empty editor
    assert out["firstMissing"] == NOT_FOUND
    assert out["firstHidden"] == NOT_FOUND  # unpublished, guest


def test_get_one_expand_and_fields(out: dict[str, Any]) -> None:
    assert out["getOne"] == {"title": "Alpha", "expandedAuthor": "Ann", "authorId": True}
    assert out["getOneFields"] == {
        "id": True,
        "title": "Alpha",
        "body": "Hello worl...",  # :excerpt(10,true) strips the HTML
        "expand": {"author": {"name": "Ann"}},
    }
    assert out["listFields"] == [{"title": "Alpha", "views": 10}]
    assert out["listExpand"] == [
        {"title": "Alpha", "expand": {"author": {"name": "Ann"}}},
        {"title": "Beta", "expand": {"author": {"name": "Bob"}}},
        {"title": QUOTED, "expand": {"author": {"name": "Ann"}}},
    ]
    # back-relation expand applies the posts' viewRule: the unpublished Gamma stays out for a guest
    assert out["backRelation"] == ["Alpha", QUOTED]
    assert out["getOneHidden"] == NOT_FOUND
    assert out["getOneUser"] == "Gamma"


def test_update(out: dict[str, Any]) -> None:
    assert out["update"] == {"title": "Beta 2", "views": 8, "tags": ["go", "js"], "updatedChanged": True}
    assert out["updateExpand"] == {"expand": {"author": {"name": "Ann"}}}
    assert out["updateAuthor"] is True


def test_rule_denied_and_invalid_calls(out: dict[str, Any]) -> None:
    assert out["guestCreate"] == {
        "isClientResponseError": True, "status": 400, "message": "Failed to create record.", "data": {},
    }
    assert out["guestUpdate"] == NOT_FOUND
    assert out["userDelete"] == {
        "isClientResponseError": True, "status": 403, "message": "Only superusers can perform this action.",
        "data": {},
    }
    assert out["invalidCreate"] == {
        "isClientResponseError": True, "status": 400, "message": "Failed to create record.",
        "data": {"title": {"code": "validation_required", "message": "Cannot be blank."}},
    }
    assert out["badFilter"] == {
        "isClientResponseError": True, "status": 400,
        "message": "Something went wrong while processing your request.", "data": {},
    }


def test_delete(out: dict[str, Any]) -> None:
    assert out["delete"] is True
    assert out["deletedGone"] == NOT_FOUND


def test_create_batch(out: dict[str, Any]) -> None:
    assert out["batch"] == [
        {"status": 200, "title": "B1", "views": 0},
        {"status": 200, "title": QUOTED, "views": 42},
        {"status": 200, "title": "B2", "views": 0},
        {"status": 200, "title": "B1 upserted", "views": 0},  # upsert of an existing id updates it
    ]
    assert out["batchDenied"] == {
        "isClientResponseError": True, "status": 400, "message": "Batch transaction failed.",
        "data": {"requests": {"1": {
            "code": "batch_request_failed", "message": "Batch request failed.",
            "response": {"data": {}, "message": "Only superusers can perform this action.", "status": 403},
        }}},
    }
    assert out["batchRolledBack"] == NOT_FOUND  # the create before the denied delete is gone too
    assert out["suBatch"] == [204, 200]
    assert out["finalTitles"] == ["Alpha", "B1 upserted", "Beta 2", "Delta", QUOTED]


def test_the_server_is_on_the_database_of_its_leg(live_server: LiveServer, db_kind: str) -> None:
    assert (live_server.data_dir / "data.db").exists() == (db_kind == "sqlite")
