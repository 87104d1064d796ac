"""The v0.22 admin API (spec 11 Part B) served beside the v0.40 superusers API."""

from __future__ import annotations

import jwt
from starlette.testclient import TestClient

from tests.conftest import SUPERUSER_EMAIL, SUPERUSER_PASSWORD


def admin_login(client: TestClient) -> dict[str, object]:
    r = client.post("/api/admins/auth-with-password", json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_auth_with_password_legacy_shape(client: TestClient) -> None:
    r = client.post("/api/admins/auth-with-password", json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD})
    assert list(r.json()) == ["admin", "token"]  # 0.22.27's order
    admin = r.json()["admin"]
    assert list(admin) == ["id", "created", "updated", "avatar", "email"] and admin["avatar"] == 0
    claims = jwt.decode(r.json()["token"], options={"verify_signature": False})
    assert list(claims) == ["exp", "id", "type"] and claims["type"] == "admin"
    bad = client.post("/api/admins/auth-with-password", json={"identity": SUPERUSER_EMAIL, "password": "wrong"})
    assert bad.json() == {"code": 400, "message": "Failed to authenticate.", "data": {}}
    unknown = client.post("/api/admins/auth-with-password", json={"identity": "no@example.com", "password": "wrong"})
    assert unknown.json() == bad.json()


def test_admin_refresh_accepts_both_generations(client: TestClient, su_token: str, user_token: str) -> None:
    token = str(admin_login(client)["token"])
    # legacy refresh accepts the old token and a v0.40 superuser token, with or without Bearer
    for t in (token, "Bearer " + token, su_token):
        r = client.post("/api/admins/auth-refresh", headers={"Authorization": t})
        assert r.status_code == 200 and list(r.json()) == ["admin", "token"]  # 0.22.27's order
        assert jwt.decode(r.json()["token"], options={"verify_signature": False})["type"] == "admin"
    r = client.post("/api/admins/auth-refresh", headers={"Authorization": user_token})
    assert r.json() == {"code": 401, "message": "The request requires valid admin authorization token to be set.", "data": {}}


def test_crud(client: TestClient) -> None:
    auth = {"Authorization": str(admin_login(client)["token"])}
    r = client.post("/api/admins", json={"email": "a2@example.com", "password": "short", "passwordConfirm": "short"}, headers=auth)
    assert r.json()["data"]["password"]["code"] == "validation_length_out_of_range"
    r = client.post("/api/admins", json={"email": "a2@example.com", "password": "1234567890", "passwordConfirm": "1234567890"},
                    headers=auth)
    assert r.status_code == 200 and r.json()["email"] == "a2@example.com"
    new_id = r.json()["id"]
    dup = client.post("/api/admins", json={"email": "a2@example.com", "password": "1234567890", "passwordConfirm": "1234567890"},
                      headers=auth)
    assert dup.json()["data"]["email"]["code"] == "validation_admin_email_exists"
    listing = client.get("/api/admins?perPage=5", headers=auth).json()
    assert listing["totalItems"] == 2 and listing["perPage"] == 5 and len(listing["items"]) == 2
    assert client.get(f"/api/admins/{new_id}", headers=auth).json()["id"] == new_id
    assert client.get("/api/admins/missing", headers=auth).json() == {
        "code": 404, "message": "The requested resource wasn't found.", "data": {}}
    r = client.patch(f"/api/admins/{new_id}", json={"password": "0987654321", "passwordConfirm": "0987654321"}, headers=auth)
    assert r.status_code == 200
    ok = client.post("/api/admins/auth-with-password", json={"identity": "a2@example.com", "password": "0987654321"})
    assert ok.status_code == 200
    # the v0.40 route sees the same account
    assert client.post("/api/collections/_superusers/auth-with-password",
                       json={"identity": "a2@example.com", "password": "0987654321"}).status_code == 200
    assert client.delete(f"/api/admins/{new_id}", headers=auth).status_code == 204
    assert client.get("/api/admins").status_code == 401


def test_wrong_method_is_pocketbase_404(client: TestClient) -> None:
    # as 0.22.27 answers (tests/fixtures/pocketbase_040/reliability_inputs.json): its 404 in the
    # v0.22 body like every other error of these routes (was uvicorn's plain-text 500)
    for method in ("PUT", "DELETE"):
        r = client.request(method, "/api/admins")
        assert r.status_code == 404
        assert r.json() == {"code": 404, "message": "Not Found.", "data": {}}
