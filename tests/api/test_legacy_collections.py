"""The user's guide creates collections in the v0.22 shape; Satchel serves both generations.

Expected values come from the binaries (tests/fixtures/pocketbase_040/legacy_022.json):
the guide's ``articles`` body, posted verbatim, must create exactly what PocketBase
0.40.6 creates from the equivalent v0.40 body, and the response must also carry the
``schema``/``options`` keys that SDK 0.21 reads, shaped as PocketBase 0.22.27 shapes them.
Those keys go to legacy clients only (a 0.22 admin token, or a body in the v0.22 shape);
a v0.40 client gets exactly PocketBase 0.40.6's body.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.api.test_admins_legacy import admin_login
from tests.oracle import load, mismatches

LEGACY = {e["name"]: e for e in load("legacy_022.json")}
GUIDE_BODY: dict[str, Any] = LEGACY["0.40 guide body verbatim (collectionId \"_users\")"]["body"]
AS_040 = LEGACY["0.40 the same collection in 0.40 shape (what a compat layer should produce)"]["response"]
AS_022 = LEGACY["0.22 guide articles body, \"system\":\"id\" removed, collectionId _pb_users_auth_"]["response"]


def _without_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k != "id"} for item in items]


def test_guide_articles_body_creates_what_it_means(su: TestClient) -> None:
    assert GUIDE_BODY["schema"][0]["system"] == "id"  # the guide's quirk, kept verbatim
    r = su.post("/api/collections", json=GUIDE_BODY)
    assert r.status_code == 200, r.text
    body = r.json()
    v040 = {k: v for k, v in body.items() if k not in ("schema", "options")}
    assert mismatches(AS_040, v040) == []
    # the relation alias "_users" is stored as the canonical id
    author = next(f for f in body["fields"] if f["name"] == "author")
    assert author["collectionId"] == "_pb_users_auth_"


LEGACY_KEYS = {"schema", "options"}


def test_legacy_keys_are_what_sdk_021_reads(su: TestClient) -> None:
    assert su.post("/api/collections", json=GUIDE_BODY).status_code == 200
    admin = {"Authorization": str(admin_login(su)["token"])}
    body = su.get("/api/collections/articles", headers=admin).json()
    assert body["options"] == AS_022["options"]
    # field ids differ by design (0.22 used random ones); everything else matches 0.22
    assert _without_ids(body["schema"]) == _without_ids(AS_022["schema"])


def test_legacy_update_replaces_user_fields_and_keeps_data(su: TestClient) -> None:
    assert su.post("/api/collections", json=GUIDE_BODY).status_code == 200
    schema = [{"name": "title", "type": "text", "required": True}, {"name": "views", "type": "number"}]
    rules = dict.fromkeys(("listRule", "viewRule", "updateRule", "deleteRule"), "")
    r = su.patch("/api/collections/articles", json={"schema": schema, **rules})
    assert r.status_code == 200, r.text
    names = [f["name"] for f in r.json()["fields"]]
    assert names == ["id", "title", "views", "created", "updated"]
    assert [f["name"] for f in r.json()["schema"]] == ["title", "views"]


def test_legacy_auth_options_are_converted(su: TestClient) -> None:
    r = su.post(
        "/api/collections",
        json={
            "name": "members",
            "type": "auth",
            "schema": [{"name": "nick", "type": "text"}],
            "options": {"allowEmailAuth": True, "minPasswordLength": 10, "onlyVerified": True, "requireEmail": True},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["authRule"] == "verified=true"
    assert next(f for f in body["fields"] if f["name"] == "password")["min"] == 10
    assert body["options"]["onlyVerified"] is True
    assert body["options"]["minPasswordLength"] == 10
    assert body["passwordAuth"] == {"enabled": True, "identityFields": ["email"]}


def test_legacy_rules_are_checked_after_conversion(su: TestClient) -> None:
    body = {**GUIDE_BODY, "name": "drafts", "listRule": "missing = true"}
    r = su.post("/api/collections", json=body)
    assert r.status_code == 400
    assert r.json()["data"]["listRule"]["code"] == "validation_invalid_rule"


def test_legacy_keys_only_for_legacy_clients(su: TestClient) -> None:
    admin = {"Authorization": str(admin_login(su)["token"])}
    v040 = {"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}]}
    # a v0.40 client: PocketBase 0.40's keys only, on create, read, list and update
    r = su.post("/api/collections", json=v040)
    assert r.status_code == 200 and not LEGACY_KEYS & set(r.json())
    assert not LEGACY_KEYS & set(su.get("/api/collections/notes").json())
    assert all(not LEGACY_KEYS & set(c) for c in su.get("/api/collections?perPage=100").json()["items"])
    r = su.patch("/api/collections/notes", json={"listRule": ""})
    assert r.status_code == 200 and not LEGACY_KEYS & set(r.json())
    # the same client posting the guide's v0.22 body gets the keys it reads back
    r = su.patch("/api/collections/notes", json={"schema": [{"name": "t", "type": "text"}]})
    assert r.status_code == 200 and set(r.json()) >= LEGACY_KEYS
    # a 0.22 admin token: the keys everywhere, whatever the body's shape
    assert set(su.get("/api/collections/notes", headers=admin).json()) >= LEGACY_KEYS
    items = su.get("/api/collections?perPage=100", headers=admin).json()["items"]
    assert items and all(set(c) >= LEGACY_KEYS for c in items)
    r = su.patch("/api/collections/notes", json={"viewRule": ""}, headers=admin)
    assert r.status_code == 200 and set(r.json()) >= LEGACY_KEYS
    r = su.post("/api/collections", json={**v040, "name": "more"}, headers=admin)
    assert r.status_code == 200 and set(r.json()) >= LEGACY_KEYS
    # scaffolds are a v0.40 thing: never the legacy keys
    scaffolds = su.get("/api/collections/meta/scaffolds", headers=admin).json()
    assert all(not LEGACY_KEYS & set(c) for c in scaffolds.values())
