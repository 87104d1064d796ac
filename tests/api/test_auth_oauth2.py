"""auth-with-oauth2 against a real local OIDC provider (token, userinfo, JWKS on loopback)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.auth.oauth2_redirect import set_redirect_sink
from tests.auth_support import make_user, set_options
from tests.oauth2_provider import Provider, oidc_provider, provider_entry  # noqa: F401 - fixture

REDIRECT = "http://127.0.0.1:8090/api/oauth2-redirect"


def enable(app: App, p: Provider, **kw: Any) -> None:
    set_options(app, "users", oauth2={"enabled": True, "providers": [provider_entry(p, **kw)]})
    users = app.registry.get("users")
    assert users is not None
    users.createRule = ""


def methods_item(client: TestClient) -> dict[str, Any]:
    item: dict[str, Any] = client.get("/api/collections/users/auth-methods").json()["oauth2"]["providers"][0]
    return item


def sign_in(client: TestClient, p: Provider, claims: dict[str, Any], **body: Any) -> Any:
    item = methods_item(client)
    code = p.issue_code(claims, item["codeChallenge"])
    payload = {"provider": "oidc", "code": code, "codeVerifier": item["codeVerifier"], "redirectURL": REDIRECT, **body}
    return client.post("/api/collections/users/auth-with-oauth2", json=payload)


def test_sign_up_with_create_data(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    item = methods_item(client)
    assert item["authURL"].startswith(f"{oidc_provider.base}/authorize?client_id=test-client&code_challenge=")
    assert item["displayName"] == "Test IdP"
    r = sign_in(client, oidc_provider, {"sub": "sub1", "name": "Name sub1", "preferred_username": "user_sub1",
                                        "email": "carol@example.com", "email_verified": True},
                createData={"name": "Carol Custom", "emailVisibility": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["meta", "record", "token"]
    meta = body["meta"]
    assert set(meta) == {"id", "name", "username", "email", "avatarURL", "accessToken", "refreshToken", "expiry",
                         "rawUser", "isNew", "avatarUrl"}
    assert meta["id"] == "sub1" and meta["isNew"] is True and meta["email"] == "carol@example.com"
    assert meta["refreshToken"].startswith("RT_") and meta["rawUser"]["preferred_username"] == "user_sub1"
    record = body["record"]
    assert record["name"] == "Carol Custom" and record["verified"] is True and record["emailVisibility"] is True
    # the token request carried the code, the PKCE verifier and HTTP Basic credentials
    sent = oidc_provider.token_requests[-1]
    assert sent["grant_type"] == "authorization_code" and sent["redirect_uri"] == REDIRECT
    assert sent["code_verifier"] and sent["authorization"].startswith("Basic ")
    row = app.db.read_sync(lambda conn: conn.execute(
        "SELECT collectionRef, recordRef, provider, providerId FROM _externalAuths").fetchall())
    assert row == [("_pb_users_auth_", record["id"], "oidc", "sub1")]
    # second sign-in: same record through the link, not new
    again = sign_in(client, oidc_provider, {"sub": "sub1", "email": "carol@example.com", "email_verified": True})
    assert again.json()["record"]["id"] == record["id"] and again.json()["meta"]["isNew"] is False


def test_unverified_email_is_not_trusted(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    victim = make_user(app, "victim@example.com", verified=True)
    r = sign_in(client, oidc_provider, {"sub": "attacker", "email": "victim@example.com", "email_verified": False})
    assert r.status_code == 200
    assert r.json()["record"]["id"] != victim["id"] and r.json()["meta"]["email"] == ""


def test_pre_hijacking_protection(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    # somebody registered the victim's email beforehand, with their own password
    planted = make_user(app, "owner@example.com", "attacker-pass")
    r = sign_in(client, oidc_provider, {"sub": "real-owner", "email": "owner@example.com", "email_verified": True})
    assert r.status_code == 200
    assert r.json()["record"]["id"] == planted["id"] and r.json()["record"]["verified"] is True
    old = client.post("/api/collections/users/auth-with-password",
                      json={"identity": "owner@example.com", "password": "attacker-pass"})
    assert old.status_code == 400


def test_id_token_against_jwks(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider, userinfo=False)
    r = sign_in(client, oidc_provider, {"sub": "jw1", "email": "jw@example.com", "email_verified": True})
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["rawUser"]["aud"] == "test-client"
    from cryptography.hazmat.primitives.asymmetric import rsa

    oidc_provider.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = sign_in(client, oidc_provider, {"sub": "jw2", "email": "jw2@example.com", "email_verified": True})
    assert forged.json() == {"data": {}, "message": "Failed to fetch OAuth2 user.", "status": 400}


def test_errors(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    r = client.post("/api/collections/users/auth-with-oauth2", json={"provider": "oidc", "code": "x"})
    assert r.status_code == 403
    assert r.json()["message"] == "The collection is not configured to allow OAuth2 authentication."
    enable(app, oidc_provider)
    r = client.post("/api/collections/users/auth-with-oauth2", json={})
    assert set(r.json()["data"]) == {"code", "provider"}
    r = client.post("/api/collections/users/auth-with-oauth2", json={"provider": "github", "code": "x"})
    assert r.json()["data"]["provider"] == {"code": "validation_invalid_provider",
                                            "message": "Provider with name github is missing or is not enabled.",
                                            "params": {"name": "github"}}
    r = client.post("/api/collections/users/auth-with-oauth2",
                    json={"provider": "oidc", "code": "bad", "codeVerifier": "v", "redirectUrl": REDIRECT})
    assert r.json() == {"data": {}, "message": "Failed to fetch OAuth2 token.", "status": 400}
    # a wrong PKCE verifier is refused by the provider
    item = methods_item(client)
    code = oidc_provider.issue_code({"sub": "z"}, item["codeChallenge"])
    r = client.post("/api/collections/users/auth-with-oauth2",
                    json={"provider": "oidc", "code": code, "codeVerifier": "wrong", "redirectURL": REDIRECT})
    assert r.json()["message"] == "Failed to fetch OAuth2 token."


def test_redirect_endpoint_hands_code_to_realtime(app: App, client: TestClient) -> None:
    delivered: list[tuple[str, dict[str, Any], str]] = []
    set_redirect_sink(app, lambda state, data, ip: bool(delivered.append((state, dict(data), ip))) or state == "client1")
    # as PocketBase: the dashboard's "close this window" pages (files_api.json has the failures)
    r = client.get("/api/oauth2-redirect?state=client1&code=thecode123", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "../_/#/auth/oauth2-redirect-success"
    assert delivered == [("client1", {"state": "client1", "code": "thecode123"}, "127.0.0.1")]
    r = client.post("/api/oauth2-redirect", data={"state": "unknown", "code": "c"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "../_/#/auth/oauth2-redirect-failure"
    r = client.get("/api/oauth2-redirect?state=client1", follow_redirects=False)
    assert r.headers["location"] == "../_/#/auth/oauth2-redirect-failure"


def test_providers_list(su: TestClient) -> None:
    body = su.get("/api/collections/meta/oauth2-providers").json()
    assert len(body) == 32 and body[0]["name"] == "apple" and list(body[0]) == ["name", "displayName", "logo"]
    assert [p["name"] for p in body][-3:] == ["oidc", "oidc2", "oidc3"]


def _accounts(app: App) -> tuple[int, int]:
    def run(conn: Any) -> tuple[int, int]:
        users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        links = conn.execute("SELECT count(*) FROM _externalAuths").fetchone()[0]
        return int(users), int(links)

    return app.db.read_sync(run)


def test_sign_up_goes_through_the_create_rule(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    users = app.registry.get("users")
    assert users is not None
    # the rule sees @request.context = "oauth2" and @request.body = createData + email + mapped fields
    users.createRule = '@request.context = "oauth2" && @request.body.name != "Blocked" && @request.body.email != ""'
    before = _accounts(app)
    r = sign_in(client, oidc_provider, {"sub": "s-blocked", "name": "Blocked", "email": "b@example.com",
                                        "email_verified": True})
    assert r.json() == {"data": {}, "message": "Failed to authenticate.", "status": 400}
    r = sign_in(client, oidc_provider, {"sub": "s-noemail", "name": "Fine"})  # no verified email
    assert r.status_code == 400
    assert _accounts(app) == before  # nothing created, nothing linked
    r = sign_in(client, oidc_provider, {"sub": "s-ok", "name": "Fine", "email": "ok@example.com",
                                        "email_verified": True})
    assert r.status_code == 200, r.text
    assert r.json()["record"]["name"] == "Fine" and r.json()["record"]["verified"] is True
    # a plain records create (default context) is refused by the same rule
    plain = client.post("/api/collections/users/records", json={
        "email": "plain@example.com", "password": "1234567890", "passwordConfirm": "1234567890", "name": "x"})
    assert plain.status_code == 400
    # createRule null: only superusers may create accounts
    users.createRule = None
    r = sign_in(client, oidc_provider, {"sub": "s-null", "email": "n@example.com", "email_verified": True})
    assert r.status_code == 400 and r.json()["message"] == "Failed to authenticate."


def test_sign_up_create_data_is_validated(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    before = _accounts(app)
    claims = {"sub": "s-bad", "email": "bad@example.com", "email_verified": True}
    r = sign_in(client, oidc_provider, claims, createData={"name": "x" * 300})
    assert r.status_code == 400
    body = r.json()
    assert body["message"] == "Failed to authenticate." and list(body["data"]) == ["name"]
    assert body["data"]["name"]["code"] == "validation_max_text_constraint"
    # the verified flag is not client-settable; a password needs its confirmation
    r = sign_in(client, oidc_provider, claims, createData={"verified": True, "password": "1234567890"})
    assert r.status_code == 400
    assert r.json()["data"]["verified"]["code"] == "validation_values_mismatch"
    assert r.json()["data"]["passwordConfirm"]["code"] == "validation_required"
    assert _accounts(app) == before
    # a valid createData password is usable afterwards
    r = sign_in(client, oidc_provider, claims,
                createData={"password": "secret-pass-1", "passwordConfirm": "secret-pass-1"})
    assert r.status_code == 200, r.text
    login = client.post("/api/collections/users/auth-with-password",
                        json={"identity": "bad@example.com", "password": "secret-pass-1"})
    assert login.status_code == 200
