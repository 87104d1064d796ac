"""A PocketBase 0.22 admin token (what SDK 0.21's ``pb.admins.authWithPassword`` stores)
is a superuser token on every superuser route, with the same checks as a v0.40 one.

0.22.27 (captured by hand on 127.0.0.1): the token claims are ``{exp, id, type:"admin"}``;
``POST /api/files/token`` with it answers ``{"token"}`` whose claims have the same shape
(signed with the file-token secret); ``auth-refresh`` gives the same body shape again.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.auth.legacy_admin import admin_key
from satchel.core.auth.tokens import encode_hs256
from tests.api.test_admins_legacy import admin_login

SU_ROUTES = [
    ("GET", "/api/collections"),
    ("GET", "/api/collections/users"),
    ("GET", "/api/collections/meta/scaffolds"),
    ("GET", "/api/settings"),
    ("GET", "/api/logs"),
    ("GET", "/api/logs/stats"),
    ("GET", "/api/collections/_superusers/records"),
]


def _token(client: TestClient) -> str:
    return str(admin_login(client)["token"])


def _superuser(app: App) -> dict[str, Any]:
    c = app.registry.get("_superusers")
    assert c is not None
    record = app.db.read_sync(lambda conn: app.records.find_by_field_sync(conn, c, "email", "test@example.com"))
    assert record is not None
    return record


def test_admin_token_opens_every_superuser_route(client: TestClient) -> None:
    token = _token(client)
    for method, path in SU_ROUTES:
        assert client.request(method, path).status_code in (401, 403), path
        for header in (token, "Bearer " + token):
            r = client.request(method, path, headers={"Authorization": header})
            assert r.status_code == 200, (path, r.text)
    # writes too: a collection, a record of a superuser-only collection, settings
    auth = {"Authorization": token}
    r = client.post("/api/collections", json={"name": "notes", "type": "base", "fields": [{"name": "t", "type": "text"}]},
                    headers=auth)
    assert r.status_code == 200, r.text
    r = client.post("/api/collections/notes/records", json={"t": "x"}, headers=auth)
    assert r.status_code == 200, r.text
    assert client.get(f"/api/collections/notes/records/{r.json()['id']}", headers=auth).status_code == 200
    r = client.patch("/api/settings", json={"meta": {"appName": "legacy"}}, headers=auth)
    assert r.status_code == 200 and r.json()["meta"]["appName"] == "legacy"
    assert client.delete("/api/collections/notes", headers=auth).status_code == 204


def test_admin_token_checks_signature_expiry_and_token_key(app: App, client: TestClient) -> None:
    token = _token(client)
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    c = app.registry.get("_superusers")
    assert c is not None
    record = _superuser(app)
    expired = encode_hs256({"exp": int(time.time()) - 5, "id": record["id"], "type": "admin"}, admin_key(c, record))
    wrong_id = encode_hs256({"exp": int(time.time()) + 60, "id": "missing0000000", "type": "admin"}, admin_key(c, record))
    # an admin-type token signed with the file secret is not an auth token
    file_signed = encode_hs256({"exp": int(time.time()) + 60, "id": record["id"], "type": "admin"},
                               admin_key(c, record, "file"))
    for bad in (forged, expired, wrong_id, file_signed):
        r = client.get("/api/collections", headers={"Authorization": bad})
        assert r.status_code == 401, bad
        assert r.json() == {"data": {}, "message": "The request requires valid record authorization token.", "status": 401}
    assert client.get("/api/collections", headers={"Authorization": token}).status_code == 200
    # a new password renews the tokenKey: the old token dies like a v0.40 one
    r = client.patch(f"/api/admins/{record['id']}", json={"password": "0987654321", "passwordConfirm": "0987654321"},
                     headers={"Authorization": token})
    assert r.status_code == 200, r.text
    assert client.get("/api/collections", headers={"Authorization": token}).status_code == 401


def test_admin_token_is_not_a_record_token(client: TestClient) -> None:
    token = _token(client)
    # the v0.40 superusers refresh trades it for a v0.40 token of the same account
    r = client.post("/api/collections/_superusers/auth-refresh", headers={"Authorization": token})
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["token"], options={"verify_signature": False})
    assert claims["type"] == "auth" and claims["refreshable"] is True and claims["id"] == r.json()["record"]["id"]
    assert client.get("/api/settings", headers={"Authorization": r.json()["token"]}).status_code == 200
    # a users route still wants a users record
    r = client.post("/api/collections/users/auth-refresh", headers={"Authorization": token})
    assert r.status_code == 403


def test_admin_file_token_opens_protected_files(client: TestClient) -> None:
    token = _token(client)
    auth = {"Authorization": token}
    body = {"name": "vault", "type": "base", "fields": [
        {"name": "doc", "type": "file", "maxSelect": 1, "protected": True}]}
    assert client.post("/api/collections", json=body, headers=auth).status_code == 200
    r = client.post("/api/collections/vault/records", files={"doc": ("a.txt", b"secret", "text/plain")}, headers=auth)
    assert r.status_code == 200, r.text
    url = f"/api/files/vault/{r.json()['id']}/{r.json()['doc']}"
    r = client.post("/api/files/token", headers=auth)
    assert r.status_code == 200 and list(r.json()) == ["token"]
    file_token = r.json()["token"]
    claims = jwt.decode(file_token, options={"verify_signature": False})
    assert sorted(claims) == ["exp", "id", "type"] and claims["type"] == "admin"  # 0.22's shape
    assert client.get(url).status_code == 404
    assert client.get(url, params={"token": token}).status_code == 404  # the auth token is no file token
    r = client.get(url, params={"token": file_token})
    assert r.status_code == 200 and r.content == b"secret"
