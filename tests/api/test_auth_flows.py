"""Auth flows against a real SMTP server: OTP, MFA, verification, password reset,
email change, impersonate, alerts, auth-methods, test email."""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from satchel.app import App
from tests.auth_support import (
    Inbox,
    html_of,
    make_user,
    set_options,
    smtp_server,  # noqa: F401 - fixture
    text_of,
    token_in,
    use_smtp,
)

PASSWORD = "1234567890"


def login(client: TestClient, email: str, password: str = PASSWORD, collection: str = "users", **kw: Any) -> Any:
    return client.post(f"/api/collections/{collection}/auth-with-password",
                       json={"identity": email, "password": password}, **kw)


def claims(token: str) -> dict[str, Any]:
    out: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return out


@pytest.fixture
def mail(app: App, smtp_server: tuple[Inbox, int]) -> Inbox:  # noqa: F811
    inbox, port = smtp_server
    use_smtp(app, port)
    return inbox


# -- auth-methods ------------------------------------------------------------------------


def test_auth_methods_default_users(client: TestClient) -> None:
    r = client.get("/api/collections/users/auth-methods")
    assert r.status_code == 200
    assert r.text == (
        '{"password":{"identityFields":["email"],"enabled":true},"oauth2":{"providers":[],"enabled":false},'
        '"mfa":{"enabled":false,"duration":0},"otp":{"enabled":false,"duration":0},'
        '"authProviders":[],"usernamePassword":false,"emailPassword":true}'
    )


def test_auth_methods_with_otp_mfa_and_provider(app: App, client: TestClient) -> None:
    set_options(app, "users", otp={"enabled": True}, mfa={"enabled": True},
                oauth2={"enabled": True, "providers": [{"name": "google", "clientId": "gid", "clientSecret": "google-client-secret-value"}]})
    body = client.get("/api/collections/users/auth-methods").json()
    assert body["mfa"] == {"enabled": True, "duration": 600}
    assert body["otp"] == {"enabled": True, "duration": 180}
    (p,) = body["oauth2"]["providers"]
    assert list(p) == ["name", "displayName", "logo", "state", "authURL", "authUrl", "codeVerifier",
                       "codeChallenge", "codeChallengeMethod"]
    assert p["displayName"] == "Google" and p["logo"].startswith("<svg")
    assert p["authURL"] == p["authUrl"]
    assert p["authURL"].startswith(
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=gid&code_challenge=" + p["codeChallenge"]
        + "&code_challenge_method=S256&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2F"
        "userinfo.profile+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email&state=" + p["state"])
    assert p["authURL"].endswith("&redirect_uri=")
    assert len(p["state"]) == 30 and len(p["codeVerifier"]) == 43
    assert body["authProviders"][0] == {**p, "logo": ""}
    assert "google-client-secret-value" not in client.get("/api/collections/users/auth-methods").text


def test_superusers_cannot_turn_oauth2_on(su: TestClient) -> None:
    """As PocketBase 0.40.6 (checked against the binary): the PATCH answers 200 with OAuth2
    still off, so the login page never has OAuth2 buttons for superusers."""
    provider = {"name": "oidc", "clientId": "x", "clientSecret": "y", "authURL": "http://127.0.0.1:1/a",
                "tokenURL": "http://127.0.0.1:1/t", "userInfoURL": "http://127.0.0.1:1/u"}
    r = su.patch("/api/collections/_superusers", json={"oauth2": {"enabled": True, "providers": [provider]}})
    assert r.status_code == 200, r.text
    assert r.json()["oauth2"]["enabled"] is False and r.json()["oauth2"]["providers"] == []
    methods = su.get("/api/collections/_superusers/auth-methods").json()
    assert methods["oauth2"] == {"providers": [], "enabled": False}


def test_auth_methods_errors(client: TestClient) -> None:
    assert client.get("/api/collections/missing/auth-methods").json()["message"] == "Missing or invalid collection context."
    r = client.get("/api/collections/_mfas/auth-methods")
    assert r.status_code == 404 and r.json()["message"] == "Missing or invalid auth collection context."


# -- OTP and MFA ---------------------------------------------------------------------------


def test_otp_flow(app: App, su: TestClient, mail: Inbox) -> None:
    r = su.patch("/api/collections/users", json={"otp": {"enabled": True, "length": 6}})
    assert r.status_code == 200, r.text
    su.headers.pop("Authorization")
    user = make_user(app, "bob@example.com")
    r = su.post("/api/collections/users/request-otp", json={"email": "bob@example.com"})
    assert r.status_code == 200 and list(r.json()) == ["otpId"]
    otp_id = r.json()["otpId"]
    msg = mail.wait(1)[0]
    assert msg["Subject"] == "OTP for TestApp"
    assert msg["From"] == "Support <support@example.com>" and msg["To"] == "bob@example.com"
    code = re.search(r"one-time password is: (\d+)", text_of(msg))
    assert code and len(code.group(1)) == 6
    row = app.db.read_sync(lambda c: app.records.find_by_field_sync(c, app.registry.get("_otps"), "id", otp_id))  # type: ignore[arg-type]
    assert row is not None and row["password"].startswith("$2a$08$")

    bad = su.post("/api/collections/users/auth-with-otp", json={"otpId": otp_id, "password": "000000x"})
    assert bad.status_code == 400 and bad.json() == {"data": {}, "message": "Invalid or expired OTP.", "status": 400}
    ok = su.post("/api/collections/users/auth-with-otp", json={"otpId": otp_id, "password": code.group(1)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["record"]["id"] == user["id"] and ok.json()["record"]["verified"] is True
    # the OTP is gone, and (no MFA) the old password was replaced
    again = su.post("/api/collections/users/auth-with-otp", json={"otpId": otp_id, "password": code.group(1)})
    assert again.status_code == 400
    assert login(su, "bob@example.com").status_code == 400
    refreshed = su.post("/api/collections/users/auth-refresh", headers={"Authorization": ok.json()["token"]})
    assert refreshed.status_code == 200


def test_otp_unknown_email_and_disabled(app: App, client: TestClient) -> None:
    r = client.post("/api/collections/users/request-otp", json={"email": "nobody@example.com"})
    assert r.status_code == 403
    assert r.json()["message"] == "The collection is not configured to allow OTP authentication."
    set_options(app, "users", otp={"enabled": True})
    r = client.post("/api/collections/users/request-otp", json={"email": "nobody@example.com"})
    assert r.status_code == 200 and len(r.json()["otpId"]) == 15
    r = client.post("/api/collections/users/request-otp", json={"email": "not-an-email"})
    assert r.json()["data"] == {"email": {"code": "validation_is_email", "message": "Must be a valid email address."}}


def test_otp_attempt_limit(app: App, client: TestClient, mail: Inbox) -> None:
    set_options(app, "users", otp={"enabled": True})
    make_user(app, "lim@example.com")
    otp_id = client.post("/api/collections/users/request-otp", json={"email": "lim@example.com"}).json()["otpId"]
    codes = [client.post("/api/collections/users/auth-with-otp", json={"otpId": otp_id, "password": "x"}).status_code
             for _ in range(6)]
    assert codes == [400] * 5 + [429]


def test_mfa_password_then_otp(app: App, client: TestClient, mail: Inbox) -> None:
    set_options(app, "users", otp={"enabled": True}, mfa={"enabled": True})
    make_user(app, "mfa@example.com", verified=True)
    first = login(client, "mfa@example.com")
    assert first.status_code == 401 and list(first.json()) == ["mfaId"]
    mfa_id = first.json()["mfaId"]
    # the same method again is refused
    same = client.post(f"/api/collections/users/auth-with-password?mfaId={mfa_id}",
                       json={"identity": "mfa@example.com", "password": PASSWORD})
    assert same.json() == {"data": {}, "message": "A different authentication method is required.", "status": 400}
    unknown = client.post("/api/collections/users/auth-with-password",
                          json={"identity": "mfa@example.com", "password": PASSWORD, "mfaId": "nope"})
    assert unknown.json()["message"] == "Invalid or expired MFA session."
    otp_id = client.post("/api/collections/users/request-otp", json={"email": "mfa@example.com"}).json()["otpId"]
    code = re.search(r"one-time password is: (\d+)", text_of(mail.wait(1)[0]))
    assert code
    ok = client.post(f"/api/collections/users/auth-with-otp?mfaId={mfa_id}", json={"otpId": otp_id, "password": code.group(1)})
    assert ok.status_code == 200, ok.text
    mfas = app.registry.get("_mfas")
    assert mfas is not None
    assert app.db.read_sync(lambda conn: app.records.count_sync(conn, mfas)) == 0


def test_mfa_rule_limits_who_needs_it(app: App, client: TestClient) -> None:
    set_options(app, "users", otp={"enabled": True}, mfa={"enabled": True, "rule": "verified = true"})
    make_user(app, "unverified@example.com")
    make_user(app, "verified@example.com", verified=True)
    assert login(client, "unverified@example.com").status_code == 200
    assert login(client, "verified@example.com").status_code == 401


# -- common steps --------------------------------------------------------------------------------


def test_auth_rule_and_superuser_ips(app: App, client: TestClient, su_token: str) -> None:
    make_user(app, "rule@example.com")
    set_options(app, "users", authRule="verified = true")
    r = login(client, "rule@example.com")
    assert r.status_code == 403
    assert r.json()["message"] == "The request doesn't satisfy the collection requirements to authenticate."
    set_options(app, "users", authRule=None)
    assert login(client, "rule@example.com").status_code == 403
    app.settings.patch_sync({"superuserIPs": ["10.0.0.0/8"]})
    r = login(client, "test@example.com", collection="_superusers")
    assert r.status_code == 403 and r.json()["message"] == "You are not allowed to perform this request."
    app.settings.patch_sync({"superuserIPs": ["127.0.0.1"]})
    assert login(client, "test@example.com", collection="_superusers").status_code == 200


def test_impersonate(app: App, su: TestClient) -> None:
    user = make_user(app, "imp@example.com")
    r = su.post(f"/api/collections/users/impersonate/{user['id']}", json={"duration": 100})
    assert r.status_code == 200
    token = r.json()["token"]
    c = claims(token)
    assert list(c) == ["collectionId", "exp", "id", "refreshable", "type"]
    assert c["refreshable"] is False and c["type"] == "auth" and c["id"] == user["id"]
    assert r.json()["record"]["email"] == "imp@example.com"
    refreshed = su.post("/api/collections/users/auth-refresh", headers={"Authorization": "Bearer " + token})
    assert refreshed.status_code == 200 and refreshed.json()["token"] == token
    assert su.post("/api/collections/users/impersonate/missing").status_code == 404
    neg = su.post(f"/api/collections/users/impersonate/{user['id']}", json={"duration": -1})
    assert neg.json()["data"]["duration"]["code"] == "validation_min_greater_equal_than_required"
    su.headers["Authorization"] = token
    assert su.post(f"/api/collections/users/impersonate/{user['id']}").status_code == 403


def test_refresh_returns_new_token_and_fields(app: App, client: TestClient, user_token: str) -> None:
    r = client.post("/api/collections/users/auth-refresh?fields=token,record.id",
                    headers={"Authorization": user_token})
    assert r.status_code == 200
    assert list(r.json()) == ["record", "token"] and r.json()["record"] == {"id": "testuser0000001"}
    assert claims(r.json()["token"])["refreshable"] is True


def test_file_token(client: TestClient, user_token: str) -> None:
    r = client.post("/api/files/token", headers={"Authorization": user_token})
    c = claims(r.json()["token"])
    assert list(c) == ["collectionId", "exp", "id", "type"] and c["type"] == "file"
    assert client.post("/api/files/token").status_code == 401


# -- new-login alert --------------------------------------------------------------------------


def test_new_login_alert(app: App, client: TestClient, mail: Inbox) -> None:
    user = make_user(app, "alert@example.com")
    assert login(client, "alert@example.com", headers={"User-Agent": "FirstBrowser/1.0"}).status_code == 200
    assert login(client, "alert@example.com", headers={"User-Agent": "FirstBrowser/1.0"}).status_code == 200
    assert mail.messages == []
    assert login(client, "alert@example.com", headers={"User-Agent": "TestBrowser/1.0"}).status_code == 200
    msg = mail.wait(1)[0]
    assert msg["Subject"] == "Login from a new location"
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z - 127\.0\.0\.1 TestBrowser/1\.0", text_of(msg))
    origins = app.registry.get("_authOrigins")
    assert origins is not None
    import hashlib

    fp = hashlib.md5(b"127.0.0.1TestBrowser/1.0").hexdigest()
    row = app.db.read_sync(lambda conn: conn.execute(
        "SELECT recordRef FROM _authOrigins WHERE fingerprint = ?", (fp,)).fetchone())
    assert row == (user["id"],)
    for i in range(6):
        login(client, "alert@example.com", headers={"User-Agent": f"Other/{i}"})
    assert app.db.read_sync(lambda conn: app.records.count_sync(conn, origins)) == 5


# -- verification, password reset, email change ----------------------------------------------------


def test_verification(app: App, client: TestClient, mail: Inbox) -> None:
    user = make_user(app, "erin@example.com")
    assert client.post("/api/collections/users/request-verification", json={"email": "erin@example.com"}).status_code == 204
    msg = mail.wait(1)[0]
    assert msg["Subject"] == "Verify your TestApp email"
    token = token_in(msg)
    assert "http://localhost:8090/_/#/auth/confirm-verification/" + token in html_of(msg)
    c = claims(token)
    assert list(c) == ["collectionId", "email", "exp", "id", "type"]
    assert c["type"] == "verification" and c["email"] == "erin@example.com" and c["id"] == user["id"]
    # resend within 2 minutes: nothing sent; unknown email: 204 too
    client.post("/api/collections/users/request-verification", json={"email": "erin@example.com"})
    client.post("/api/collections/users/request-verification", json={"email": "nobody@example.com"})
    r = client.post("/api/collections/users/confirm-verification", json={"token": token})
    assert r.status_code == 204
    users = app.registry.get("users")
    assert users is not None
    assert app.db.read_sync(lambda c: app.records.find_by_field_sync(c, users, "id", user["id"]))["verified"]  # type: ignore[index]
    assert len(mail.messages) == 1
    bad = client.post("/api/collections/users/confirm-verification", json={"token": "x.y.z"})
    assert bad.json()["data"] == {"token": {"code": "validation_invalid_token_claims", "message": "Missing email token claim."}}
    r = client.post("/api/collections/_superusers/request-verification", json={"email": "test@example.com"})
    assert r.json()["message"] == "All superusers are verified by default."


def test_password_reset_logs_out_old_tokens(app: App, client: TestClient, mail: Inbox, user_token: str) -> None:
    r = client.post("/api/collections/users/request-password-reset", json={"email": "user@example.com"})
    assert r.status_code == 204
    msg = mail.wait(1)[0]
    assert msg["Subject"] == "Reset your TestApp password"
    token = token_in(msg)
    assert claims(token)["type"] == "passwordReset"
    short = client.post("/api/collections/users/confirm-password-reset",
                        json={"token": token, "password": "short", "passwordConfirm": "short"})
    assert short.json() == {"data": {"password": {"code": "validation_length_out_of_range",
                            "message": "The length must be between 8 and 255.", "params": {"max": 255, "min": 8}}},
                            "message": "An error occurred while validating the submitted data.", "status": 400}
    mismatch = client.post("/api/collections/users/confirm-password-reset",
                           json={"token": token, "password": "newpassword1", "passwordConfirm": "other"})
    assert mismatch.json()["data"]["passwordConfirm"]["code"] == "validation_values_mismatch"
    ok = client.post("/api/collections/users/confirm-password-reset",
                     json={"token": token, "password": "newpassword1", "passwordConfirm": "newpassword1"})
    assert ok.status_code == 204
    assert client.post("/api/collections/users/auth-refresh", headers={"Authorization": user_token}).status_code == 401
    assert login(client, "user@example.com").status_code == 400
    assert login(client, "user@example.com", "newpassword1").status_code == 200
    reused = client.post("/api/collections/users/confirm-password-reset",
                         json={"token": token, "password": "newpassword2", "passwordConfirm": "newpassword2"})
    assert reused.json()["data"]["token"]["code"] == "validation_invalid_token"


def test_email_change(app: App, client: TestClient, mail: Inbox, user_token: str) -> None:
    auth = {"Authorization": user_token}
    assert client.post("/api/collections/users/request-email-change", json={"newEmail": "x@example.com"}).status_code == 401
    same = client.post("/api/collections/users/request-email-change", json={"newEmail": "user@example.com"}, headers=auth)
    assert same.json()["data"]["newEmail"]["code"] == "validation_not_in_invalid"
    r = client.post("/api/collections/users/request-email-change", json={"newEmail": "new@example.com"}, headers=auth)
    assert r.status_code == 204
    msg = mail.wait(1)[0]
    assert msg["To"] == "new@example.com" and msg["Subject"] == "Confirm your TestApp new email address"
    token = token_in(msg)
    c = claims(token)
    assert list(c) == ["collectionId", "email", "exp", "id", "newEmail", "type"]
    assert c["email"] == "user@example.com" and c["newEmail"] == "new@example.com"
    wrong = client.post("/api/collections/users/confirm-email-change", json={"token": token, "password": "nope-nope"})
    assert wrong.json()["data"]["password"]["code"] == "validation_invalid_password"
    ok = client.post("/api/collections/users/confirm-email-change", json={"token": token, "password": PASSWORD})
    assert ok.status_code == 204
    assert client.post("/api/collections/users/auth-refresh", headers=auth).status_code == 401
    r = login(client, "new@example.com")
    assert r.status_code == 200 and r.json()["record"]["verified"] is True


def test_request_email_change_mail_failure(app: App, client: TestClient, user_token: str) -> None:
    from tests.auth_support import free_port

    use_smtp(app, free_port())  # nobody listens there
    r = client.post("/api/collections/users/request-email-change", json={"newEmail": "n2@example.com"},
                    headers={"Authorization": user_token})
    assert r.json() == {"data": {}, "message": "Failed to request email change.", "status": 400}


# -- mail: test endpoint, auth modes, placeholders ---------------------------------------------


def test_settings_test_email(app: App, su: TestClient, mail: Inbox) -> None:
    r = su.post("/api/settings/test/email", json={"email": "to@example.com", "template": "verification", "collection": "users"})
    assert r.status_code == 204, r.text
    msg = mail.wait(1)[0]
    assert msg["Subject"] == "Verify your TestApp email"
    # a real verification token of the stand-in record, as PocketBase sends
    assert re.search(r"/_/#/auth/confirm-verification/eyJ[\w-]+\.[\w-]+\.[\w-]+\"", html_of(msg))
    su.post("/api/settings/test/email", json={"email": "to@example.com", "template": "otp"})
    assert "123456" in text_of(mail.wait(2)[1])
    bad = su.post("/api/settings/test/email", json={})
    assert bad.json()["message"] == "Failed to send the test email."
    assert set(bad.json()["data"]) == {"email", "template"}
    bad = su.post("/api/settings/test/email", json={"email": "a@example.com", "template": "nope"})
    assert bad.json()["data"]["template"]["code"] == "validation_in_invalid"
    su.headers.pop("Authorization")
    assert su.post("/api/settings/test/email", json={}).status_code == 401


@pytest.mark.parametrize("method", ["PLAIN", "LOGIN"])
def test_smtp_auth_methods(app: App, su: TestClient, smtp_server: tuple[Inbox, int], method: str) -> None:  # noqa: F811
    inbox, port = smtp_server
    use_smtp(app, port, username="mailer", password="s3cret-pass", authMethod=method)
    r = su.post("/api/settings/test/email", json={"email": "to@example.com", "template": "login-alert"})
    assert r.status_code == 204, r.text
    assert inbox.logins == [(method, "mailer")]
    assert "TEST_IP TEST_USER_AGENT" in text_of(inbox.wait(1)[0])
    assert "s3cret-pass" not in su.get("/api/settings").text
    use_smtp(app, port, username="mailer", password="wrong", authMethod=method)
    r = su.post("/api/settings/test/email", json={"email": "to@example.com", "template": "login-alert"})
    assert r.status_code == 400 and r.json()["message"].startswith("Failed to send the test email. Raw error:")


def test_record_placeholders(app: App, client: TestClient, mail: Inbox) -> None:
    set_options(app, "users", otp={"enabled": True, "emailTemplate": {
        "subject": "Code {OTP} for {APP_NAME}", "body": "email={RECORD:email} name={RECORD:name} tk={RECORD:tokenKey}"}})
    make_user(app, "dave@example.com", name="Dave <D>")
    client.post("/api/collections/users/request-otp", json={"email": "dave@example.com"})
    msg = mail.wait(1)[0]
    assert re.fullmatch(r"Code \d{8} for TestApp", str(msg["Subject"]))
    assert "email=dave@example.com name=Dave &lt;D&gt; tk={RECORD:tokenKey}" in html_of(msg)


def test_auth_response_expand_and_fields(app: App, su: TestClient, client: TestClient) -> None:
    r = su.post("/api/collections", json={"name": "teams", "type": "base", "viewRule": "",
                                           "fields": [{"name": "title", "type": "text"}]})
    assert r.status_code == 200, r.text
    teams_id = r.json()["id"]
    secret = su.post("/api/collections", json={"name": "vaults", "type": "base",
                                                "fields": [{"name": "title", "type": "text"}]}).json()["id"]
    users = su.get("/api/collections/users").json()
    fields = [*users["fields"], {"name": "team", "type": "relation", "collectionId": teams_id, "maxSelect": 1},
              {"name": "vault", "type": "relation", "collectionId": secret, "maxSelect": 1}]
    assert su.patch("/api/collections/users", json={"fields": fields}).status_code == 200
    team = su.post("/api/collections/teams/records", json={"title": "Blue"}).json()
    vault = su.post("/api/collections/vaults/records", json={"title": "hidden"}).json()
    make_user(app, "exp@example.com", team=team["id"], vault=vault["id"])
    r = login(client, "exp@example.com", params={"expand": "team,vault"})
    assert r.status_code == 200, r.text
    record = r.json()["record"]
    # the expand is fetched as the authenticated record: the superuser-only vault is left out
    assert record["expand"]["team"]["title"] == "Blue" and "vault" not in record["expand"]
    assert record["email"] == "exp@example.com"
    r = login(client, "exp@example.com", params={"expand": "team", "fields": "token,record.id,record.expand.team.title"})
    assert list(r.json()) == ["record", "token"]
    assert r.json()["record"] == {"id": record["id"], "expand": {"team": {"title": "Blue"}}}
    # a failed expand is only dropped
    r = login(client, "exp@example.com", params={"expand": "nope"})
    assert r.status_code == 200 and "nope" not in r.json()["record"].get("expand", {})
