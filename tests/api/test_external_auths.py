"""The v0.22 routes ``GET/DELETE /api/collections/{c}/records/{id}/external-auths[/{provider}]``
(SDK 0.21 ``listExternalAuths`` / ``unlinkExternalAuth``); expected bodies as the
PocketBase 0.22.27 binary answers them."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.api.admins import admin_token
from satchel.app import App
from satchel.core.auth.record_tokens import auth_token
from satchel.core.auth.rows import insert_row, system_collection
from tests.api.test_auth_oauth2 import enable, sign_in
from tests.auth_support import make_user
from tests.conftest import SUPERUSER_EMAIL
from tests.oauth2_provider import Provider, oidc_provider  # noqa: F401 - fixture

U1 = "testuser0000001"
U2 = "testuser0000002"
BASE = "/api/collections/users/records"
UNAUTHORIZED = {"code": 401, "message": "The request requires admin or record authorization token to be set.", "data": {}}
FORBIDDEN = {"code": 403, "message": "You are not allowed to perform this request.", "data": {}}
NOT_FOUND = {"code": 404, "message": "The requested resource wasn't found.", "data": {}}
NO_LINK = {"code": 404, "message": "Missing external auth provider relation.", "data": {}}


def link(app: App, record_id: str, provider: str, provider_id: str, created: str) -> dict[str, Any]:
    ext = system_collection(app, "_externalAuths")
    values = {"collectionRef": "_pb_users_auth_", "recordRef": record_id, "provider": provider,
              "providerId": provider_id, "created": created, "updated": created}
    return app.db.write_sync(lambda tx: insert_row(app, tx, ext, values))


def links_of(app: App) -> list[tuple[str, str]]:
    rows = app.db.read_sync(lambda conn: conn.execute(
        "SELECT recordRef, provider FROM _externalAuths ORDER BY recordRef, provider").fetchall())
    return [(str(a), str(b)) for a, b in rows]


@pytest.fixture
def tokens(app: App) -> dict[str, str]:
    """Tokens minted directly (the login endpoints are tested elsewhere; bcrypt is slow)."""
    users, superusers = app.registry.get("users"), app.registry.get("_superusers")
    assert users is not None and superusers is not None
    u1, u2 = make_user(app, "u1@example.com", id=U1), make_user(app, "u2@example.com", id=U2)
    su = app.db.read_sync(lambda conn: app.records.find_by_field_sync(conn, superusers, "email", SUPERUSER_EMAIL))
    assert su is not None
    link(app, U1, "google", "g123", "2024-01-01 10:00:00.000Z")
    link(app, U1, "github", "gh9", "2023-01-01 10:00:00.000Z")
    link(app, U2, "gitlab", "gl1", "2024-05-01 10:00:00.000Z")
    return {"u1": auth_token(users, u1), "u2": auth_token(users, u2), "su": auth_token(superusers, su),
            "admin": admin_token(superusers, su), "guest": "", "garbage": "not-a-token"}


def call(client: TestClient, tokens: dict[str, str], who: str, method: str, url: str) -> Any:
    headers = {"Authorization": tokens[who]} if tokens[who] else {}
    return client.request(method, url, headers=headers)


ERRORS: list[tuple[str, str, str, int, dict[str, Any]]] = [
    ("guest", "GET", f"{BASE}/{U1}/external-auths", 401, UNAUTHORIZED),
    ("garbage", "GET", f"{BASE}/{U1}/external-auths", 401, UNAUTHORIZED),
    ("u2", "GET", f"{BASE}/{U1}/external-auths", 403, FORBIDDEN),
    ("u1", "GET", f"/api/collections/_superusers/records/{U1}/external-auths", 403, FORBIDDEN),
    ("su", "GET", f"{BASE}/missing/external-auths", 404, NOT_FOUND),
    ("admin", "GET", f"{BASE}/missing/external-auths", 404, NOT_FOUND),
    ("su", "GET", f"/api/collections/missing/records/{U1}/external-auths", 404, NOT_FOUND),
    ("guest", "GET", f"/api/collections/missing/records/{U1}/external-auths", 404, NOT_FOUND),
    ("su", "GET", f"/api/collections/_externalAuths/records/{U1}/external-auths", 400,
     {"code": 400, "message": "Unsupported collection type.", "data": {}}),
    ("guest", "DELETE", f"{BASE}/{U1}/external-auths/github", 401, UNAUTHORIZED),
    ("u2", "DELETE", f"{BASE}/{U1}/external-auths/github", 403, FORBIDDEN),
    ("u1", "DELETE", f"{BASE}/{U1}/external-auths/unknown", 404, NO_LINK),
    ("u1", "DELETE", f"{BASE}/{U1}/external-auths/gitlab", 404, NO_LINK),  # U2's provider
    ("su", "DELETE", f"{BASE}/missing/external-auths/github", 404, NOT_FOUND),
]


def test_errors(app: App, client: TestClient, tokens: dict[str, str]) -> None:
    before = links_of(app)
    for who, method, url, status, body in ERRORS:
        r = call(client, tokens, who, method, url)
        assert (r.status_code, r.json()) == (status, body), (who, method, url)
        assert list(r.json()) == ["code", "message", "data"]
    assert links_of(app) == before


@pytest.mark.parametrize("who", ["u1", "su", "admin"])
def test_list(client: TestClient, tokens: dict[str, str], who: str) -> None:
    r = call(client, tokens, who, "GET", f"{BASE}/{U1}/external-auths")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert [list(item) for item in body] == [
        ["id", "created", "updated", "collectionId", "recordId", "provider", "providerId"]] * 2
    assert [(i["provider"], i["providerId"], i["created"]) for i in body] == [
        ("github", "gh9", "2023-01-01 10:00:00.000Z"), ("google", "g123", "2024-01-01 10:00:00.000Z")]  # oldest first
    assert {(i["collectionId"], i["recordId"]) for i in body} == {("_pb_users_auth_", U1)}
    assert len(body[0]["id"]) == 15


def test_list_empty_and_bearer(app: App, client: TestClient, tokens: dict[str, str]) -> None:
    su = client.get(f"/api/collections/_superusers/records/{_superuser_id(app)}/external-auths",
                    headers={"Authorization": "Bearer " + tokens["su"]})
    assert su.status_code == 200 and su.json() == []


def _superuser_id(app: App) -> str:
    row = app.db.read_sync(lambda conn: conn.execute("SELECT id FROM _superusers LIMIT 1").fetchone())
    assert row is not None
    return str(row[0])


@pytest.mark.parametrize("who", ["u1", "su", "admin"])
def test_unlink(app: App, client: TestClient, tokens: dict[str, str], who: str) -> None:
    r = call(client, tokens, who, "DELETE", f"{BASE}/{U1}/external-auths/github")
    assert r.status_code == 204 and r.content == b""
    assert links_of(app) == [(U1, "google"), (U2, "gitlab")]
    again = call(client, tokens, who, "DELETE", f"{BASE}/{U1}/external-auths/github")
    assert again.status_code == 404 and again.json() == NO_LINK
    listed = call(client, tokens, who, "GET", f"{BASE}/{U1}/external-auths").json()
    assert [i["provider"] for i in listed] == ["google"]


def test_oauth2_links_round_trip(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    """A link made by auth-with-oauth2 is listed and unlinked; the next OAuth2 sign-in
    (with no verified email to match) then makes a new account."""
    enable(app, oidc_provider)
    r = sign_in(client, oidc_provider, {"sub": "ext-1", "email": "linked@example.com", "email_verified": True})
    assert r.status_code == 200, r.text
    record, token = r.json()["record"], r.json()["token"]
    url = f"{BASE}/{record['id']}/external-auths"
    listed = client.get(url, headers={"Authorization": token}).json()
    assert [(i["provider"], i["providerId"], i["recordId"]) for i in listed] == [("oidc", "ext-1", record["id"])]
    assert client.delete(f"{url}/oidc", headers={"Authorization": token}).status_code == 204
    assert client.get(url, headers={"Authorization": token}).json() == []
    fresh = sign_in(client, oidc_provider, {"sub": "ext-1"})
    assert fresh.status_code == 200 and fresh.json()["meta"]["isNew"] is True
    assert fresh.json()["record"]["id"] != record["id"]
