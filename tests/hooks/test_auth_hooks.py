"""Auth request hooks: on_record_auth_with_password_request around the check, on_record_auth_request
around every auth answer."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from satchel.app import App
from satchel.hooks import BadRequestError, RecordAuthRequestEvent

LOGIN = "/api/collections/users/auth-with-password"


def test_password_hook_sees_the_attempt_and_may_refuse(app: App, client: TestClient, user_token: str) -> None:
    seen: list[Any] = []

    @app.hook_app.on_record_auth_with_password_request("users")
    def check(e: RecordAuthRequestEvent) -> None:
        seen.append((e.identity, e.record.id if e.record else None))
        if e.identity.startswith("blocked"):
            raise BadRequestError("Blocked.")
        e.next()

    ok = client.post(LOGIN, json={"identity": "user@example.com", "password": "1234567890"})
    assert ok.status_code == 200 and ok.json()["record"]["id"] == "testuser0000001"
    bad = client.post(LOGIN, json={"identity": "user@example.com", "password": "wrong-password"})
    assert bad.status_code == 400 and bad.json()["message"] == "Failed to authenticate."
    unknown = client.post(LOGIN, json={"identity": "blocked@example.com", "password": "1234567890"})
    assert unknown.json() == {"status": 400, "message": "Blocked.", "data": {}}
    assert seen == [
        ("user@example.com", "testuser0000001"),
        ("user@example.com", "testuser0000001"),
        ("blocked@example.com", None),
    ]


def test_auth_request_hook_adds_meta_and_replaces_the_answer(app: App, client: TestClient, user_token: str) -> None:
    methods: list[str] = []

    @app.hook_app.on_record_auth_request("users")
    async def extra(e: RecordAuthRequestEvent) -> None:
        methods.append(e.auth_method)
        e.meta = {"hello": e.record.get("name")}
        await e.next()

    r = client.post(LOGIN, json={"identity": "user@example.com", "password": "1234567890"})
    assert r.status_code == 200
    assert r.json()["meta"] == {"hello": "Test User"} and r.json()["token"]
    refreshed = client.post("/api/collections/users/auth-refresh", headers={"Authorization": user_token})
    assert refreshed.json()["meta"] == {"hello": "Test User"}
    assert methods == ["password", ""]


def test_enrich_applies_to_the_record_of_an_auth_answer(app: App, client: TestClient, user_token: str) -> None:
    @app.hook_app.on_record_enrich("users")
    def badge(e: Any) -> None:
        e.record.set("badge", "gold")
        e.record.hide("name")
        e.next()

    r = client.post(LOGIN, json={"identity": "user@example.com", "password": "1234567890"}).json()
    assert r["record"]["badge"] == "gold" and "name" not in r["record"]
    assert r["record"]["email"] == "user@example.com"
