"""The official PocketBase JS SDKs against a live ``satchel serve`` (one server for the module):
SDK 0.28.1 for superuser auth, collections, settings and errors; SDK 0.21.5 reading the
guide's ``articles`` collection in the v0.22 ``schema`` shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.serve_support import EMAIL, LiveServer, run_node

SUPERUSERS_ID = "pbc_3142635823"
USERS_ID = "_pb_users_auth_"


@pytest.fixture(scope="module")
def guide_articles(live_server: LiveServer) -> dict[str, Any]:
    """The guide's ``articles`` body created by SDK 0.28.1 (what the script saw)."""
    return run_node("guide_articles.mjs", live_server.base)


def test_superuser_auth_with_both_entry_points(live_server: LiveServer) -> None:
    out = run_node("sdk_auth.mjs", live_server.base)
    assert out["collectionKeys"] == ["record", "token"]
    assert out["collectionRecord"] == {
        "email": EMAIL,
        "collectionName": "_superusers",
        "collectionId": SUPERUSERS_ID,
        "verified": True,
        "hasPassword": False,
        "hasTokenKey": False,
    }
    assert out["isValid"] is True
    assert out["isSuperuser"] is True
    assert out["storeRecordEmail"] == EMAIL
    assert out["storeTokenIsResponseToken"] is True
    # auth-refresh keeps the same superuser and stores the new token
    assert out["refreshKeys"] == ["record", "token"]
    assert out["refreshSameRecord"] is True
    assert out["refreshIsSuperuser"] is True
    assert out["refreshStoredToken"] is True
    assert out["collectionsTotal"] >= 6  # the six system collections at least
    assert out["clearedValid"] is False
    assert out["clearedRecord"] is None
    # pb.admins is SDK 0.28's alias of pb.collection("_superusers")
    assert out["adminsKeys"] == ["record", "token"]
    assert out["adminsRecordEmail"] == EMAIL
    assert out["adminsIsSuperuser"] is True
    assert out["adminsIsAdminAlias"] is True
    assert out["adminsRefreshValid"] is True
    assert out["wrongPassword"] == {"isClientResponseError": True, "status": 400, "message": "Failed to authenticate."}
    assert out["guestValid"] is False
    assert out["guestCollections"] == {
        "status": 401,
        "message": "The request requires valid record authorization token.",
    }


def test_collections_crud_with_fields_format(live_server: LiveServer) -> None:
    out = run_node("sdk_collections.mjs", live_server.base)
    created = out["created"]
    assert created["idPrefix"] == "pbc_"
    assert created["name"] == "e2e_posts"
    assert (created["type"], created["system"], created["listRule"], created["createRule"]) == ("base", False, "", None)
    assert created["fields"] == ["id", "title", "body", "rating", "tags"]
    assert created["title"] == {"type": "text", "required": True, "max": 200, "system": False}
    assert created["tags"] == {"maxSelect": 3, "values": ["a", "b", "c"]}
    assert created["indexes"] == ["CREATE INDEX idx_e2e_posts_title ON e2e_posts (title)"]

    assert out["list"] == {"page": 1, "perPage": 2, "firstName": "e2e_posts", "totalPositive": True}
    assert out["fullList"] == {"hasPosts": True, "hasSystem": True, "sorted": True}
    assert out["getOne"] == {"sameId": True}
    assert out["firstListItem"] == {"id": True, "name": "e2e_posts"}
    assert out["firstMissing"] == 404

    assert out["addField"] == ["id", "title", "body", "rating", "tags", "views"]
    assert out["renameField"] == {
        "fields": ["id", "title", "content", "rating", "tags", "views"],
        "sameId": True,
        "type": "editor",
    }
    assert out["renamedPersisted"] == ["id", "title", "content", "rating", "tags", "views"]
    assert out["renameCollection"] == {"name": "e2e_entries", "sameId": True}

    assert out["importResult"] is True
    assert out["imported"] == {"fields": ["id", "label"], "entriesListRule": None}

    assert out["deleteResult"] is True
    assert out["deleteResult2"] is True
    assert out["afterDelete"] == 404


def test_guide_articles_in_legacy_schema_format(guide_articles: dict[str, Any]) -> None:
    out = guide_articles
    assert (out["name"], out["type"], out["system"]) == ("articles", "base", False)
    assert out["usersId"] == USERS_ID
    fields = {f["name"]: f for f in out["fields"]}
    assert list(fields) == ["id", "title", "content", "slug", "published", "author", "created", "updated"]
    assert out["persisted"] == list(fields)
    # the guide's `"system": "id"` on title does not make it a system field
    assert fields["title"] == {"name": "title", "type": "text", "required": True, "system": False, "pattern": ""}
    assert fields["content"]["required"] is True
    assert fields["slug"]["pattern"] == "^[a-z0-9-]+$"
    assert fields["published"] == {"name": "published", "type": "bool", "required": False, "system": False}
    # "_users" is the guide's alias of the users collection
    assert fields["author"] == {
        "name": "author",
        "type": "relation",
        "required": True,
        "system": False,
        "collectionId": USERS_ID,
        "cascadeDelete": False,
        "maxSelect": 1,
    }
    assert (fields["created"]["type"], fields["created"]["onCreate"], fields["created"]["onUpdate"]) == (
        "autodate",
        True,
        False,
    )
    assert (fields["updated"]["onCreate"], fields["updated"]["onUpdate"]) == (True, True)
    assert out["schemaNames"] == ["title", "content", "slug", "published", "author"]
    assert out["rules"] == {
        "listRule": "published = true",
        "viewRule": "published = true",
        "createRule": "@request.auth.id != ''",
        "updateRule": "@request.auth.id = author.id",
        "deleteRule": "@request.auth.id = author.id",
    }


def test_legacy_sdk_reads_schema(live_server: LiveServer, guide_articles: dict[str, Any]) -> None:
    assert guide_articles["name"] == "articles"
    out = run_node("legacy_collections.mjs", live_server.base)
    assert out["authKeys"] == ["admin", "token"]
    assert out["isAdmin"] is True and out["storeValid"] is True
    assert out["name"] == "articles"
    assert out["hasFields"] is True
    assert out["options"] == {}
    text_options = {"min": None, "max": None, "pattern": ""}
    assert out["schema"] == [
        {"name": "title", "type": "text", "required": True, "options": text_options},
        {"name": "content", "type": "text", "required": True, "options": text_options},
        {"name": "slug", "type": "text", "required": True, "options": {**text_options, "pattern": "^[a-z0-9-]+$"}},
        {"name": "published", "type": "bool", "required": False, "options": {}},
        {
            "name": "author",
            "type": "relation",
            "required": True,
            "options": {
                "collectionId": USERS_ID,
                "cascadeDelete": False,
                "minSelect": None,
                "maxSelect": 1,
                "displayFields": None,
            },
        },
    ]
    assert out["listedSchema"] == ["title", "content", "slug", "published", "author"]
    assert out["listRule"] == "published = true"
    # the same server to a v0.40 client: PocketBase 0.40's keys, no schema/options
    assert "fields" in out["v040Keys"] and not {"schema", "options"} & set(out["v040Keys"])


def test_settings_and_client_response_errors(live_server: LiveServer) -> None:
    out = run_node("sdk_settings_errors.mjs", live_server.base)
    assert out["settingsKeys"] == [
        "backups", "batch", "logs", "meta", "rateLimits", "s3", "smtp", "superuserIPs", "trustedProxy",
    ]  # fmt: skip
    assert out["appNameBefore"] == "Acme"
    assert out["appNameUpdated"] == "Satchel E2E"
    assert out["appURLKept"] is True
    assert out["appNameReread"] == "Satchel E2E"
    assert out["emptyAppName"] == {"status": 400, "code": "validation_required"}

    common = {"isClientResponseError": True, "status": 400, "isAbort": False, "responseStatus": 400}
    assert out["missingName"] == {
        **common,
        "message": "Failed to create collection.",
        "data": {"name": {"code": "validation_required", "message": "Cannot be blank."}},
        "dataAlias": True,
        "urlPath": "/api/collections",
    }
    assert out["duplicateName"] == {
        **common,
        "message": "Failed to create collection.",
        "data": {
            "name": {
                "code": "validation_collection_name_exists",
                "message": "Collection name must be unique (case insensitive).",
            }
        },
        "dataAlias": True,
        "urlPath": "/api/collections",
    }
    assert out["badFieldType"] == {
        "status": 400,
        "message": "Failed to load the submitted data due to invalid formatting.",
        "data": {},
    }
    assert out["missing"] == {"status": 404, "message": "The requested resource wasn't found."}
