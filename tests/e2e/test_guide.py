"""The user's guide (``shared/seed``) against a live ``satchel serve`` with the JS SDK 0.28.1:
its ``articles`` collection (the v0.22 ``schema`` curl body, ``_users`` relation) and rules,
then its create / list / filter / search / expand / fields / update / delete snippets for a
guest, the author (John) and another user (Jane).

What the guide's rules imply, and PocketBase does, is asserted as such: drafts
(``published = false``) are hidden from everybody but superusers, their author included;
the stock ``users`` rules (``id = @request.auth.id``) hide other users from ``expand`` and
from ``author.name`` filters until the guide's "Everyone can view" rules are set on them.
``pb.admins.authWithToken`` exists in no SDK: README's two-line equivalent is used."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.serve_support import EMAIL, LiveServer, run_node, superuser_token

NOT_FOUND = {"isClientResponseError": True, "status": 404, "message": "The requested resource wasn't found.", "data": {}}
PUBLISHED_NEWEST_FIRST = ["Advanced javascript patterns", "Learning Go", "JavaScript Tips", "My First Article"]


@pytest.fixture(scope="module")
def out(live_server: LiveServer) -> dict[str, Any]:
    token = superuser_token(live_server.base)
    return run_node("guide.mjs", live_server.base, env={"PB_ADMIN_TOKEN": token})


def test_admin_auth_and_collection_from_the_guide(out: dict[str, Any]) -> None:
    assert out["authWithTokenExists"] is False  # the guide's call can't work in any SDK
    assert out["adminByToken"] == {"isSuperuser": True, "email": EMAIL}
    assert out["adminByPassword"] is True
    assert out["collection"] == {
        "status": 200,
        "name": "articles",
        "fields": ["id", "title", "content", "slug", "published", "author", "created", "updated"],
    }


def test_registration_login_and_create(out: dict[str, Any]) -> None:
    assert out["registered"] == {"name": "John Doe", "hasEmail": False, "verified": False}  # emailVisibility off
    assert out["login"] == {"isValid": True, "tokenIsStored": True, "modelIsRecord": True}
    assert out["created"] == {
        "title": "My First Article", "slug": "my-first-article", "published": True, "authorIsJohn": True,
        "hasCreated": True,
    }
    assert out["badSlug"] == {
        "isClientResponseError": True, "status": 400, "message": "Failed to create record.",
        "data": {"slug": {"code": "validation_invalid_format", "message": "Invalid value format."}},
    }
    assert out["noAuthor"]["data"] == {"author": {"code": "validation_required", "message": "Cannot be blank."}}
    assert out["guestCreate"] == {  # createRule "@request.auth.id != ''"
        "isClientResponseError": True, "status": 400, "message": "Failed to create record.", "data": {},
    }


@pytest.mark.parametrize("who", ["guest", "john", "jane"])
def test_list_filter_search_the_same_for_everyone(out: dict[str, Any], who: str) -> None:
    r = out[who]
    assert r["getList"] == PUBLISHED_NEWEST_FIRST  # sort: '-created', filter: 'published = true'
    assert r["getListNoFilter"] == PUBLISHED_NEWEST_FIRST  # the listRule hides the draft anyway
    assert r["getOne"] == "My First Article"
    assert r["getOneDraft"] == NOT_FOUND  # viewRule "published = true": even for its author
    assert r["bySlug"] is True
    assert r["filter"] == {
        "titles": PUBLISHED_NEWEST_FIRST, "page": 1, "perPage": 10, "totalItems": 4, "totalPages": 1,
    }
    assert r["search"] == ["Advanced javascript patterns", "JavaScript Tips"]  # ?~ is case-insensitive
    # fields: 'id,title,slug,author.id,author.name' — author is an id string, kept whole
    assert r["fields"] == [{"keys": ["author", "id", "slug", "title"], "authorIsId": True}] * 4


def test_relations_expand_as_the_users_rules_allow(out: dict[str, Any]) -> None:
    # expand: 'author', filter: 'author.name ?~ "John"'
    assert out["guest"]["relations"] == []
    assert out["john"]["relations"] == [
        {"title": "JavaScript Tips", "author": "John Doe"},
        {"title": "My First Article", "author": "John Doe"},
    ]
    assert out["jane"]["relations"] == []
    assert out["guest"]["expandAll"] == [[t, None] for t in sorted(PUBLISHED_NEWEST_FIRST)]
    assert dict(map(tuple, out["john"]["expandAll"])) == {
        "Advanced javascript patterns": None, "JavaScript Tips": "John Doe", "Learning Go": None,
        "My First Article": "John Doe",
    }
    assert dict(map(tuple, out["jane"]["expandAll"])) == {
        "Advanced javascript patterns": "Jane Roe", "JavaScript Tips": None, "Learning Go": "Jane Roe",
        "My First Article": None,
    }
    assert out["guest"]["fieldsExpand"] == [{"title": "My First Article", "expand": {}}]
    assert out["john"]["fieldsExpand"] == [{"title": "My First Article", "expand": {"author": {"name": "John Doe"}}}]


def test_update_and_delete_by_the_author_only(out: dict[str, Any]) -> None:
    assert out["updateOwn"] == "Updated Title"
    assert out["updateOther"] == NOT_FOUND
    assert out["updateGuest"] == NOT_FOUND
    assert out["updateHandOver"] is True  # the rule checks the stored author, as PocketBase
    assert out["updateHandedOver"] == NOT_FOUND
    assert out["publishOwnDraft"] is True  # updateRule doesn't need view access
    assert out["deleteOther"] == NOT_FOUND
    assert out["deleteGuest"] == NOT_FOUND
    assert out["deleteOwn"] is True
    assert out["deletedGone"] == NOT_FOUND


def test_everyone_can_view_users_opens_the_relation_queries(out: dict[str, Any]) -> None:
    # after `listRule: ""` / `viewRule: ""` on users, a guest gets the guide's "Relations" answer
    assert out["guestRelationsOpenUsers"] == [
        ["Draft Notes", "John Doe"], ["Learning Go", "John Doe"], ["Updated Title", "John Doe"],
    ]
    assert out["guestFieldsExpandOpenUsers"] == [
        {"title": "Advanced javascript patterns", "expand": {"author": {"name": "Jane Roe"}}},
    ]
    assert out["admin"] == ["Advanced javascript patterns", "Draft Notes", "Learning Go", "Updated Title"]
