"""The legacy ``/api/admins/*`` routes are guarded like their v0.40 ``_superusers`` twins
(issue 19, defect 8): the same rate-limit tags and counters, the same resend guard."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.mail.sender import get_mailer
from tests.api.test_admins_legacy import admin_login
from tests.api.test_rate_limit import enable, rule, statuses
from tests.auth_support import Inbox, smtp_server, use_smtp  # noqa: F401 - fixture
from tests.conftest import SUPERUSER_EMAIL

LEGACY_429 = {"code": 429, "message": "Too Many Requests.", "data": {}}
WRONG = {"identity": SUPERUSER_EMAIL, "password": "wrong-password"}


@pytest.fixture
def guest(app: App, su: TestClient) -> Iterator[TestClient]:
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.0.0.8", 40000)) as c:
        yield c


def test_password_guessing_is_throttled_by_star_auth(su: TestClient, guest: TestClient) -> None:
    enable(su, [rule("*:auth", 3)])
    got = statuses(guest, 10, "POST", "/api/admins/auth-with-password", json=WRONG)
    assert got == [400] * 3 + [429] * 7
    r = guest.post("/api/admins/auth-with-password", json=WRONG)
    assert r.json() == LEGACY_429  # the v0.22 error body, like every /api/admins answer


def test_counters_are_shared_with_the_v040_route(su: TestClient, guest: TestClient) -> None:
    enable(su, [rule("_superusers:authWithPassword", 3)])
    assert statuses(guest, 2, "POST", "/api/collections/_superusers/auth-with-password", json=WRONG) == [400, 400]
    assert statuses(guest, 2, "POST", "/api/admins/auth-with-password", json=WRONG) == [400, 429]
    assert guest.post("/api/collections/_superusers/auth-with-password", json=WRONG).status_code == 429
    # users are another collection: not counted with the superusers
    assert guest.post("/api/collections/users/auth-with-password", json=WRONG).status_code == 400


@pytest.mark.parametrize(("method", "path", "tag"), [
    ("POST", "/api/admins/auth-refresh", "authRefresh"),
    ("POST", "/api/admins/request-password-reset", "requestPasswordReset"),
    ("POST", "/api/admins/confirm-password-reset", "confirmPasswordReset"),
    ("GET", "/api/admins", "list"),
    ("POST", "/api/admins", "create"),
    ("GET", "/api/admins/someid", "view"),
    ("PATCH", "/api/admins/someid", "update"),
    ("DELETE", "/api/admins/someid", "delete"),
])
def test_every_route_has_its_twins_tag(su: TestClient, guest: TestClient, method: str, path: str, tag: str) -> None:
    enable(su, [rule(f"_superusers:{tag}", 1)])
    body: dict[str, Any] = {"json": {}} if method in ("POST", "PATCH") else {}
    first, second = statuses(guest, 2, method, path, **body)
    assert first != 429 and second == 429


def test_legacy_admin_token_is_not_limited(su: TestClient, guest: TestClient) -> None:
    token = str(admin_login(su)["token"])
    enable(su, [rule("*:list", 1), rule("/api/collections", 1)])
    auth = {"Authorization": token}
    assert set(statuses(guest, 5, "GET", "/api/admins", headers=auth)) == {200}
    assert set(statuses(guest, 5, "GET", "/api/collections", headers=auth)) == {200}


def test_password_reset_resend_guard(app: App, guest: TestClient, smtp_server: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp_server
    use_smtp(app, port)
    body = {"email": SUPERUSER_EMAIL}
    assert set(statuses(guest, 10, "POST", "/api/admins/request-password-reset", json=body)) == {204}
    # the v0.40 route shares the guard: alternating sends nothing more
    assert guest.post("/api/collections/_superusers/request-password-reset", json=body).status_code == 204
    assert len(inbox.wait(1)) == 1
    deadline = time.monotonic() + 5
    while get_mailer(app).pending and time.monotonic() < deadline:  # no send still on its way
        time.sleep(0.02)
    assert get_mailer(app).pending == 0
    assert len(inbox.messages) == 1
