"""The fields of PocketBase 0.40's request events that hooks read and change:
collections list/import, settings list, file token, the auth flows' records."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from satchel.app import App
from tests.oauth2_provider import Provider, oidc_provider  # noqa: F401 - fixture


def test_collections_list_event_has_the_page_and_its_answer(app: App, su: TestClient) -> None:
    seen: list[list[str]] = []

    @app.hook_app.on_collections_list_request
    def trim(e: Any) -> None:
        seen.append([c.name for c in e.collections])
        e.result["items"] = [item for item in e.result["items"] if not item["system"]]
        e.next()

    r = su.get("/api/collections", params={"sort": "name", "perPage": 50})
    assert r.status_code == 200
    assert [i["name"] for i in r.json()["items"]] == ["users"]
    assert r.json()["totalItems"] == len(seen[0]) and "_superusers" in seen[0] and "users" in seen[0]


def test_collections_import_event_may_change_the_data(app: App, su: TestClient) -> None:
    seen: list[tuple[list[str], bool]] = []

    @app.hook_app.on_collections_import_request
    def add_one(e: Any) -> None:
        seen.append(([c["name"] for c in e.collections_import_data], e.delete_missing))
        e.collections_import_data.append({"name": "added_by_hook", "type": "base"})
        e.next()

    assert su.put("/api/collections/import", json={"collections": []}).status_code == 400  # refused before
    r = su.put("/api/collections/import", json={"collections": [{"name": "notes", "type": "base"}]})
    assert r.status_code == 204, r.text
    assert seen == [(["notes"], False)]
    assert app.registry.get("notes") is not None and app.registry.get("added_by_hook") is not None


def test_settings_list_event_has_a_copy_the_answer_is_made_of(app: App, su: TestClient) -> None:
    @app.hook_app.on_settings_list_request
    def rename(e: Any) -> None:
        assert e.settings is not app.settings.current
        e.settings.meta.app_name = "Shown only"
        e.next()

    r = su.get("/api/settings")
    assert r.status_code == 200 and r.json()["meta"]["appName"] == "Shown only"
    assert app.settings.current.meta.app_name == "Acme"


def test_file_token_event_has_the_record_and_a_token_a_hook_may_change(
    app: App, client: TestClient, user_token: str
) -> None:
    seen: list[str] = []

    @app.hook_app.on_file_token_request("users")
    def swap(e: Any) -> None:
        seen.append(e.record.id)
        assert e.token.count(".") == 2
        e.token = "from-the-hook"
        e.next()

    assert client.post("/api/files/token").status_code == 401  # refused before the hook
    r = client.post("/api/files/token", headers={"Authorization": user_token})
    assert r.status_code == 200 and r.json() == {"token": "from-the-hook"}
    assert seen == ["testuser0000001"]


def _user(app: App) -> tuple[Any, dict[str, Any]]:
    users = app.registry.get("users")
    assert users is not None
    stored = app.db.read_here(lambda conn: app.records.find_by_field_sync(conn, users, "id", "testuser0000001"))
    assert stored is not None
    return users, stored


def test_confirm_flows_carry_the_record_of_the_token(app: App, client: TestClient, user_token: str) -> None:
    from satchel.core.auth.record_tokens import email_change_token, password_reset_token, verification_token

    seen: list[tuple[str, str, str]] = []
    h = app.hook_app

    @h.on_record_confirm_verification_request("users")
    @h.on_record_confirm_password_reset_request("users")
    def look(e: Any) -> None:
        seen.append((e.request.path.rsplit("/", 1)[1], e.collection.name, e.record.id))
        e.next()

    @h.on_record_confirm_email_change_request("users")
    def redirect_email(e: Any) -> None:
        seen.append(("confirm-email-change", e.record.get("email"), e.new_email))
        e.new_email = "chosen@example.com"
        e.next()

    base = "/api/collections/users"
    users, stored = _user(app)
    assert client.post(f"{base}/confirm-verification", json={"token": "bad"}).status_code == 400  # no hook
    r = client.post(f"{base}/confirm-verification", json={"token": verification_token(users, stored)})
    assert r.status_code == 204
    token = password_reset_token(users, stored)
    r = client.post(f"{base}/confirm-password-reset",
                    json={"token": token, "password": "abcdefghij", "passwordConfirm": "abcdefghij"})  # fmt: skip
    assert r.status_code == 204
    users, stored = _user(app)
    token = email_change_token(users, stored, "new@example.com")
    r = client.post(f"{base}/confirm-email-change", json={"token": token, "password": "abcdefghij"})
    assert r.status_code == 204, r.text
    assert seen == [
        ("confirm-verification", "users", "testuser0000001"),
        ("confirm-password-reset", "users", "testuser0000001"),
        ("confirm-email-change", "user@example.com", "new@example.com"),
    ]
    assert _user(app)[1]["email"] == "chosen@example.com"


def test_oauth2_event_has_the_provider_user_and_account(
    app: App, client: TestClient, oidc_provider: Provider  # noqa: F811
) -> None:
    from tests.api.test_auth_oauth2 import enable, sign_in

    seen: list[tuple[str, str, bool, str | None]] = []

    @app.hook_app.on_record_auth_with_oauth2_request("users")
    def look(e: Any) -> None:
        seen.append((e.provider_name, e.o_auth2_user.email, e.is_new_record, e.record.id if e.record else None))
        e.create_data["name"] = "Named by hook"
        e.next()

    enable(app, oidc_provider)
    claims = {"sub": "s1", "email": "carol@example.com", "email_verified": True}
    first = sign_in(client, oidc_provider, claims)
    assert first.status_code == 200, first.text
    record = first.json()["record"]
    assert record["name"] == "Named by hook" and first.json()["meta"]["isNew"] is True
    assert sign_in(client, oidc_provider, claims).json()["meta"]["isNew"] is False
    assert seen == [("oidc", "carol@example.com", True, None), ("oidc", "carol@example.com", False, record["id"])]


def test_otp_events_carry_the_record_the_code_and_the_otp(app: App, client: TestClient, user_token: str) -> None:
    from tests.auth_support import set_options

    set_options(app, "users", otp={"enabled": True, "duration": 180, "length": 6})
    seen: list[tuple[str, str | None, str]] = []
    h = app.hook_app

    @h.on_mailer_send
    def no_mail(e: Any) -> None:  # not sent: no mail server here
        return None

    @h.on_record_request_otp_request("users")
    def fixed_code(e: Any) -> None:
        seen.append(("request", e.record.id if e.record else None, e.password))
        e.password = "424242"
        e.next()

    @h.on_record_auth_with_otp_request("users")
    def look(e: Any) -> None:
        seen.append(("auth", e.record.id, e.otp.id))
        e.next()

    base = "/api/collections/users"
    assert client.post(f"{base}/request-otp", json={"email": "nobody@example.com"}).status_code == 200
    otp_id = client.post(f"{base}/request-otp", json={"email": "user@example.com"}).json()["otpId"]
    assert client.post(f"{base}/auth-with-otp", json={"otpId": otp_id, "password": "000000"}).status_code == 400
    r = client.post(f"{base}/auth-with-otp", json={"otpId": otp_id, "password": "424242"})
    assert r.status_code == 200 and r.json()["record"]["id"] == "testuser0000001"
    assert [s[:2] for s in seen] == [("request", None), ("request", "testuser0000001"), ("auth", "testuser0000001")]
    assert len(seen[1][2]) == 6 and seen[1][2].isdigit() and seen[2][2] == otp_id


def test_password_event_has_the_identity_field(app: App, client: TestClient, user_token: str) -> None:
    seen: list[tuple[str, str, str]] = []

    @app.hook_app.on_record_auth_with_password_request("users")
    def look(e: Any) -> None:
        seen.append((e.identity, e.identity_field, e.password))
        e.next()

    body = {"identity": "user@example.com", "password": "1234567890", "identityField": "email"}
    assert client.post("/api/collections/users/auth-with-password", json=body).status_code == 200
    assert seen == [("user@example.com", "email", "1234567890")]


def test_changes_to_the_new_collection_are_saved(app: App, su: TestClient) -> None:
    from satchel.core.fields import field_from_dict

    @app.hook_app.on_collection_create_request
    def public_and_stamped(e: Any) -> None:
        e.collection.listRule = ""
        e.collection.fields.append(field_from_dict({"name": "stamp", "type": "text"}))
        e.next()

    r = su.post("/api/collections", json={"name": "notes", "fields": [{"name": "title", "type": "text"}]})
    assert r.status_code == 200, r.text
    assert r.json()["listRule"] == "" and [f["name"] for f in r.json()["fields"]] == ["id", "title", "stamp"]
    notes = app.registry.get("notes")
    assert notes is not None and notes.listRule == "" and notes.field("stamp") is not None
    r = su.post("/api/collections", json={"name": "plain"})  # unchanged by the hook but for its rule
    assert r.status_code == 200 and r.json()["listRule"] == ""
