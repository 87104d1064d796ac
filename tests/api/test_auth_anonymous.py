"""Anonymous auth, Satchel's extension (spec 14 §7): the collection option, the
sign-up, the upgrade to email + password, the rate limit, and that nothing
changes for collections that don't use it."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.auth.anonymous import (
    NOT_ANONYMOUS,
    NOT_ENABLED,
    SIGNUPS_PER_WINDOW,
    SlidingWindowLimiter,
    anonymous_enabled,
)
from satchel.core.records import events as record_events
from tests.auth_support import make_user, set_options

SIGNUP = "/api/collections/users/auth-anonymously"
UPGRADE = "/api/collections/users/anonymous-upgrade"


def claims(token: str) -> dict[str, Any]:
    out: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return out


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": token}


@pytest.fixture
def enabled(app: App, su: TestClient) -> TestClient:
    """``users`` with anonymous auth switched on through the collections API; the
    returned client carries no token."""
    r = su.patch("/api/collections/users", json={"anonymousAuth": {"enabled": True}})
    assert r.status_code == 200, r.text
    su.headers.pop("Authorization")
    return su


@pytest.fixture
def events(app: App) -> list[record_events.RecordEvent]:
    seen: list[record_events.RecordEvent] = []
    record_events.subscribe(app, seen.append)
    return seen


def signup(client: TestClient) -> dict[str, Any]:
    r = client.post(SIGNUP)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# -- the option ------------------------------------------------------------------------------


def test_disabled_by_default(app: App, client: TestClient) -> None:
    r = client.post(SIGNUP)
    assert r.status_code == 403
    assert r.json() == {"data": {}, "message": NOT_ENABLED, "status": 403}
    users = app.registry.get("users")
    assert users is not None and not anonymous_enabled(users)
    assert users.options["anonymousAuth"] == {"enabled": False}  # bootstrap wrote the default


def test_missing_key_means_disabled(app: App, client: TestClient) -> None:
    """A pb_data made by PocketBase has no ``anonymousAuth`` key at all."""
    users = app.registry.get("users")
    assert users is not None
    users.options.pop("anonymousAuth")
    assert not anonymous_enabled(users)
    assert client.post(SIGNUP).status_code == 403
    assert "anonymousAuth" not in users.to_api_dict()


def test_default_is_not_shown_anywhere(su: TestClient) -> None:
    assert "anonymousAuth" not in su.get("/api/collections/users").json()
    assert "anonymousAuth" not in su.get("/api/collections/_superusers").json()
    assert "anonymousAuth" not in su.get("/api/collections/meta/scaffolds").json()["auth"]
    r = su.post("/api/collections", json={"name": "members", "type": "auth"})
    assert r.status_code == 200, r.text
    assert "anonymousAuth" not in r.json()
    r = su.get("/api/collections/members/auth-methods")
    assert "anonymous" not in r.json()


def test_enable_through_the_collections_api(su: TestClient) -> None:
    r = su.patch("/api/collections/users", json={"anonymousAuth": {"enabled": True}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["anonymousAuth"] == {"enabled": True}
    assert list(body)[list(body).index("confirmEmailChangeTemplate") + 1] == "anonymousAuth"
    assert su.get("/api/collections/users").json()["anonymousAuth"] == {"enabled": True}
    methods = su.get("/api/collections/users/auth-methods").json()
    assert methods["anonymous"] == {"enabled": True}
    assert list(methods) == ["password", "oauth2", "mfa", "otp", "anonymous", "authProviders",
                             "usernamePassword", "emailPassword"]
    # switching it off again gives PocketBase's shape back
    r = su.patch("/api/collections/users", json={"anonymousAuth": {"enabled": False}})
    assert r.status_code == 200
    assert "anonymousAuth" not in r.json()
    assert "anonymous" not in su.get("/api/collections/users/auth-methods").json()


def test_create_auth_collection_with_the_option(su: TestClient) -> None:
    r = su.post("/api/collections", json={"name": "guests", "type": "auth", "anonymousAuth": {"enabled": True}})
    assert r.status_code == 200, r.text
    assert r.json()["anonymousAuth"] == {"enabled": True}
    su.headers.pop("Authorization")
    r = su.post("/api/collections/guests/auth-anonymously")
    assert r.status_code == 200, r.text
    assert r.json()["record"]["collectionName"] == "guests"


def test_superusers_can_never_enable_it(su: TestClient) -> None:
    r = su.patch("/api/collections/_superusers", json={"anonymousAuth": {"enabled": True}})
    assert r.status_code == 400
    assert r.json()["data"] == {"anonymousAuth": {"enabled": {
        "code": "validation_anonymous_auth_superusers",
        "message": "Anonymous auth can't be enabled for the superusers collection.",
    }}}
    su.headers.pop("Authorization")
    r = su.post("/api/collections/_superusers/auth-anonymously")
    assert r.status_code == 403
    assert r.json()["message"] == NOT_ENABLED


@pytest.mark.parametrize("value", [True, "yes", {"enabled": "true"}, {"enabled": 1}])
def test_invalid_option_values(su: TestClient, value: Any) -> None:
    r = su.patch("/api/collections/users", json={"anonymousAuth": value})
    assert r.status_code == 400, r.text
    assert "anonymousAuth" in r.json()["data"]


def test_unknown_and_non_auth_collections(client: TestClient) -> None:
    r = client.post("/api/collections/missing/auth-anonymously")
    assert r.status_code == 404
    assert r.json() == {"data": {}, "message": "Missing or invalid collection context.", "status": 404}
    r = client.post("/api/collections/_mfas/auth-anonymously")
    assert r.status_code == 404
    assert r.json()["message"] == "Missing or invalid auth collection context."
    r = client.post("/api/collections/_mfas/anonymous-upgrade")
    assert r.status_code == 404


# -- sign-up ----------------------------------------------------------------------------------


def test_signup_returns_a_standard_auth_response(app: App, enabled: TestClient) -> None:
    body = signup(enabled)
    assert list(body) == ["record", "token"]
    record = body["record"]
    assert len(record["id"]) == 15 and record["id"].isalnum()
    assert record["email"] == "" and record["emailVisibility"] is False and record["verified"] is False
    assert record["collectionName"] == "users" and record["name"] == ""
    assert "password" not in record and "tokenKey" not in record
    c = claims(body["token"])
    assert c["type"] == "auth" and c["refreshable"] is True
    assert c["id"] == record["id"] and c["collectionId"] == "_pb_users_auth_"
    # a normal token: refresh and rules with @request.auth.id work
    r = enabled.post("/api/collections/users/auth-refresh", headers=bearer(body["token"]))
    assert r.status_code == 200, r.text
    assert r.json()["record"]["id"] == record["id"]
    r = enabled.get(f"/api/collections/users/records/{record['id']}", headers=bearer(body["token"]))
    assert r.status_code == 200, r.text
    # stored with a real bcrypt hash and a tokenKey, no email
    users = app.registry.get("users")
    assert users is not None
    row = app.db.read_sync(lambda conn: app.records.find_by_field_sync(conn, users, "id", record["id"]))
    assert row is not None
    assert row["email"] == "" and str(row["password"]).startswith("$2") and len(row["tokenKey"]) == 50


def test_many_anonymous_records_with_empty_email(enabled: TestClient) -> None:
    ids = {signup(enabled)["record"]["id"] for _ in range(3)}
    assert len(ids) == 3


def test_body_is_optional(enabled: TestClient) -> None:
    assert enabled.post(SIGNUP, json={}).status_code == 200
    assert enabled.post(SIGNUP, content=b"").status_code == 200


def test_signup_is_published_after_commit(enabled: TestClient, events: list[record_events.RecordEvent]) -> None:
    record = signup(enabled)["record"]
    creates = [e for e in events if e.collection_name == "users" and e.action == "create"]
    assert [e.record["id"] for e in creates] == [record["id"]]


def test_mfa_does_not_apply_to_the_signup(app: App, enabled: TestClient) -> None:
    set_options(app, "users", otp={"enabled": True}, mfa={"enabled": True})
    body = signup(enabled)
    assert "token" in body and "mfaId" not in body


def test_auth_rule_failure_leaves_no_record(app: App, enabled: TestClient) -> None:
    set_options(app, "users", authRule="verified = true")
    users = app.registry.get("users")
    assert users is not None
    before = app.db.read_sync(lambda conn: app.records.count_sync(conn, users))
    r = enabled.post(SIGNUP)
    assert r.status_code == 403
    assert r.json()["message"] == "The request doesn't satisfy the collection requirements to authenticate."
    assert app.db.read_sync(lambda conn: app.records.count_sync(conn, users)) == before


def test_required_custom_field_refuses_the_signup(su: TestClient) -> None:
    r = su.post("/api/collections", json={
        "name": "players", "type": "auth", "anonymousAuth": {"enabled": True},
        "fields": [{"name": "nickname", "type": "text", "required": True},
                   {"name": "code", "type": "text", "required": True, "autogeneratePattern": "[a-z]{6}"}],
    })
    assert r.status_code == 200, r.text
    su.headers.pop("Authorization")
    r = su.post("/api/collections/players/auth-anonymously")
    assert r.status_code == 400
    assert r.json()["data"] == {"nickname": {"code": "validation_required", "message": "Cannot be blank."}}


def test_autogenerated_text_fields_are_filled(su: TestClient) -> None:
    r = su.post("/api/collections", json={
        "name": "players", "type": "auth", "anonymousAuth": {"enabled": True},
        "fields": [{"name": "code", "type": "text", "required": True, "autogeneratePattern": "[a-z]{6}"}],
    })
    assert r.status_code == 200, r.text
    su.headers.pop("Authorization")
    body = signup_in(su, "players")
    assert len(body["record"]["code"]) == 6


def signup_in(client: TestClient, collection: str) -> dict[str, Any]:
    r = client.post(f"/api/collections/{collection}/auth-anonymously")
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


# -- rate limit ---------------------------------------------------------------------------------


def test_rate_limit_per_ip(app: App, enabled: TestClient) -> None:
    for _ in range(SIGNUPS_PER_WINDOW):
        assert enabled.post(SIGNUP).status_code == 200
    r = enabled.post(SIGNUP)
    assert r.status_code == 429
    assert r.text == '{"data":{},"message":"Too Many Requests.","status":429}'
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.0.0.7", 1)) as other:
        assert other.post(SIGNUP).status_code == 200


def test_disabled_collection_does_not_consume_the_limit(app: App, enabled: TestClient) -> None:
    for _ in range(SIGNUPS_PER_WINDOW + 2):
        assert enabled.post("/api/collections/_superusers/auth-anonymously").status_code == 403
    assert enabled.post(SIGNUP).status_code == 200


def test_sliding_window_limiter() -> None:
    now = [100.0]
    limiter = SlidingWindowLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] += 30
    assert not limiter.allow("a")
    now[0] += 30.5  # the first three hits left the window
    assert limiter.allow("a")
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")


# -- upgrade ------------------------------------------------------------------------------------


UPGRADE_BODY = {"email": "new@example.com", "password": "secret-password", "passwordConfirm": "secret-password"}


def test_upgrade_keeps_the_id(app: App, enabled: TestClient, events: list[record_events.RecordEvent]) -> None:
    first = signup(enabled)
    rid = first["record"]["id"]
    r = enabled.post(UPGRADE, json=UPGRADE_BODY, headers=bearer(first["token"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["record", "token"]
    assert body["record"]["id"] == rid
    assert body["record"]["email"] == "new@example.com" and body["record"]["verified"] is False
    assert claims(body["token"])["id"] == rid and claims(body["token"])["refreshable"] is True
    # the anonymous token died with the old tokenKey; the new one works
    assert enabled.post("/api/collections/users/auth-refresh", headers=bearer(first["token"])).status_code == 401
    assert enabled.post("/api/collections/users/auth-refresh", headers=bearer(body["token"])).status_code == 200
    r = enabled.post("/api/collections/users/auth-with-password",
                     json={"identity": "new@example.com", "password": "secret-password"})
    assert r.status_code == 200 and r.json()["record"]["id"] == rid
    assert [e.action for e in events if e.collection_name == "users" and e.record.get("id") == rid] == ["create", "update"]
    # once upgraded, never again
    r = enabled.post(UPGRADE, json={**UPGRADE_BODY, "email": "other@example.com"}, headers=bearer(body["token"]))
    assert r.status_code == 403
    assert r.json()["message"] == NOT_ANONYMOUS


def test_upgrade_validation(app: App, enabled: TestClient) -> None:
    token = signup(enabled)["token"]
    r = enabled.post(UPGRADE, json={}, headers=bearer(token))
    assert r.status_code == 400
    assert r.json() == {"data": {
        "email": {"code": "validation_required", "message": "Cannot be blank."},
        "password": {"code": "validation_required", "message": "Cannot be blank."},
        "passwordConfirm": {"code": "validation_required", "message": "Cannot be blank."},
    }, "message": "An error occurred while validating the submitted data.", "status": 400}
    r = enabled.post(UPGRADE, json={"email": "nope", "password": "short", "passwordConfirm": "other"},
                     headers=bearer(token))
    data = r.json()["data"]
    assert data["email"]["code"] == "validation_is_email"
    assert data["password"] == {"code": "validation_min_text_constraint", "message": "Must be at least 8 character(s)."}
    assert data["passwordConfirm"]["code"] == "validation_values_mismatch"
    make_user(app, "taken@example.com")
    r = enabled.post(UPGRADE, json={**UPGRADE_BODY, "email": "taken@example.com"}, headers=bearer(token))
    assert r.status_code == 400
    assert r.json()["data"] == {"email": {"code": "validation_not_unique", "message": "Value must be unique."}}
    # nothing changed: the anonymous token still works
    assert enabled.post("/api/collections/users/auth-refresh", headers=bearer(token)).status_code == 200


def test_upgrade_needs_an_anonymous_record_of_the_collection(
    enabled: TestClient, user_token: str, su_token: str
) -> None:
    r = enabled.post(UPGRADE, json=UPGRADE_BODY)
    assert r.status_code == 401
    r = enabled.post(UPGRADE, json=UPGRADE_BODY, headers=bearer(user_token))
    assert r.status_code == 403 and r.json()["message"] == NOT_ANONYMOUS
    r = enabled.post(UPGRADE, json=UPGRADE_BODY, headers=bearer(su_token))
    assert r.status_code == 403
    assert r.json()["message"] == "The request requires auth record from users collection."


def test_upgrade_refused_once_the_option_is_off(app: App, enabled: TestClient) -> None:
    token = signup(enabled)["token"]
    set_options(app, "users", anonymousAuth={"enabled": False})
    r = enabled.post(UPGRADE, json=UPGRADE_BODY, headers=bearer(token))
    assert r.status_code == 403 and r.json()["message"] == NOT_ENABLED


def test_oauth2_record_without_email_is_not_anonymous(app: App, enabled: TestClient) -> None:
    body = signup(enabled)
    ext = app.registry.get("_externalAuths")
    assert ext is not None
    from satchel.core.auth.rows import insert_row

    app.db.write_sync(lambda tx: insert_row(app, tx, ext, {
        "collectionRef": "_pb_users_auth_", "recordRef": body["record"]["id"], "provider": "google", "providerId": "g1",
    }))
    r = enabled.post(UPGRADE, json=UPGRADE_BODY, headers=bearer(body["token"]))
    assert r.status_code == 403 and r.json()["message"] == NOT_ANONYMOUS


def test_fields_query_param_is_honoured(enabled: TestClient) -> None:
    r = enabled.post(SIGNUP + "?fields=token")
    assert r.status_code == 200
    assert list(r.json()) == ["token"]


def test_anonymous_record_updates_its_own_fields(app: App, enabled: TestClient, su_token: str) -> None:
    """PocketBase's rule for records without email: the required check of the email is
    skipped while the stored email is empty and the body sets none."""
    body = signup(enabled)
    record_id, token = body["record"]["id"], body["token"]
    url = f"/api/collections/users/records/{record_id}"
    r = enabled.patch(url, json={"name": "Anon Name"}, headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Anon Name" and r.json()["email"] == ""
    # an explicitly empty email is still no email
    r = enabled.patch(url, json={"name": "Again", "email": ""}, headers=bearer(token))
    assert r.status_code == 200, r.text
    # a record that has an email cannot drop it (a superuser may change emails, not blank them)
    user = make_user(app, "keep@example.com")
    r = enabled.patch(f"/api/collections/users/records/{user['id']}", json={"email": ""}, headers=bearer(su_token))
    assert r.status_code == 400
    assert r.json()["data"]["email"]["code"] == "validation_required"
