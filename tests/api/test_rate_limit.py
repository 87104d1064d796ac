"""``settings.rateLimits`` on live routes: labels, audiences, exclusions, reset.

The 429 body is PocketBase's (captured from 0.40.6 with the default rules
enabled: the third ``auth-with-password`` within 3 s).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from tests.api.test_realtime_api import LiveServer
from tests.conftest import SUPERUSER_EMAIL, SUPERUSER_PASSWORD

TOO_MANY = {"data": {}, "message": "Too Many Requests.", "status": 429}


def enable(su: TestClient, rules: list[dict[str, Any]], **extra: Any) -> None:
    r = su.patch("/api/settings", json={"rateLimits": {"enabled": True, "rules": rules, **extra}})
    assert r.status_code == 200, r.text


def rule(label: str, max_requests: int, duration: int = 60, audience: str = "") -> dict[str, Any]:
    return {"label": label, "maxRequests": max_requests, "duration": duration, "audience": audience}


@pytest.fixture
def guest(app: App, su: TestClient) -> TestClient:
    """A second client without a token, from another address than the superuser's."""
    c = TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.0.0.7", 40000))
    with c:
        yield c


def statuses(c: TestClient, n: int, method: str, url: str, **kwargs: Any) -> list[int]:
    return [c.request(method, url, **kwargs).status_code for _ in range(n)]


def test_disabled_by_default(guest: TestClient) -> None:
    assert set(statuses(guest, 30, "GET", "/api/health")) == {200}


def test_path_rule_returns_pocketbase_429(su: TestClient, guest: TestClient) -> None:
    enable(su, [rule("/api/health", 2)])
    assert statuses(guest, 2, "GET", "/api/health") == [200, 200]
    r = guest.get("/api/health")
    assert r.status_code == 429
    assert r.json() == TOO_MANY
    assert "retry-after" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"  # the middleware's headers still added


def test_default_rules_limit_auth_with_password(su: TestClient, guest: TestClient) -> None:
    r = su.patch("/api/settings", json={"rateLimits": {"enabled": True}})  # PocketBase's default rules
    assert r.status_code == 200, r.text
    body = {"identity": "nobody@example.com", "password": "wrong-password"}
    got = statuses(guest, 3, "POST", "/api/collections/users/auth-with-password", json=body)
    assert got == [400, 400, 429]


def test_collection_tag_before_wildcard_and_path(su: TestClient, guest: TestClient) -> None:
    su.post("/api/collections", json={"name": "posts", "type": "base", "listRule": "", "viewRule": "",
                                      "fields": [{"name": "title", "type": "text"}]})
    su.post("/api/collections", json={"name": "notes", "type": "base", "listRule": "",
                                      "fields": [{"name": "title", "type": "text"}]})
    enable(su, [rule("posts:list", 1), rule("*:list", 3), rule("/api/", 100)])
    assert statuses(guest, 2, "GET", "/api/collections/posts/records") == [200, 429]
    assert statuses(guest, 4, "GET", "/api/collections/notes/records") == [200, 200, 200, 429]
    # another tag of the same collection falls through to the prefix rule
    assert guest.get("/api/collections/posts/records/nope").status_code == 404


def test_method_path_label_and_counters_per_ip(su: TestClient, guest: TestClient, app: App) -> None:
    enable(su, [rule("GET /api/health", 1)])
    assert statuses(guest, 2, "GET", "/api/health") == [200, 429]
    assert guest.head("/api/health").status_code != 429  # HEAD is another label
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.0.0.8", 40000)) as other:
        assert other.get("/api/health").status_code == 200


def test_audiences(su: TestClient, guest: TestClient, user_token: str) -> None:
    enable(su, [rule("/api/health", 1, audience="@guest")])
    assert statuses(guest, 2, "GET", "/api/health") == [200, 429]
    authed = statuses(guest, 3, "GET", "/api/health", headers={"Authorization": user_token})
    assert authed == [200, 200, 200]
    enable(su, [rule("/api/health", 1, audience="@auth")])
    assert statuses(guest, 3, "GET", "/api/health") == [200, 200, 200]
    assert statuses(guest, 2, "GET", "/api/health", headers={"Authorization": user_token}) == [200, 429]


def test_superusers_and_excluded_ips_skip(su: TestClient, guest: TestClient) -> None:
    enable(su, [rule("/api/", 1)], excludedIPs=["10.0.0.0/24"])
    assert set(statuses(su, 5, "GET", "/api/health")) == {200}
    assert set(statuses(guest, 5, "GET", "/api/health")) == {200}
    enable(su, [rule("/api/", 1)], excludedIPs=[])
    assert statuses(guest, 2, "GET", "/api/health") == [200, 429]


def test_settings_change_resets_counters(su: TestClient, guest: TestClient) -> None:
    enable(su, [rule("/api/health", 1)])
    assert statuses(guest, 2, "GET", "/api/health") == [200, 429]
    enable(su, [rule("/api/health", 1)])
    assert guest.get("/api/health").status_code == 200


def test_realtime_stream_is_limited(app: App, su: TestClient) -> None:
    """``GET /api/realtime`` is served ahead of the router; it is still counted."""
    enable(su, [rule("GET /api/realtime", 1)])
    with (LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=5) as http,
          http.stream("GET", "/api/realtime") as first):
        assert first.status_code == 200
        assert "PB_CONNECT" in next(first.iter_text())
        second = http.get("/api/realtime")
        assert second.status_code == 429
        assert second.json() == TOO_MANY
        assert second.headers["x-frame-options"] == "SAMEORIGIN"
    # as PocketBase 0.40.6: a stream is logged only when it fails (the open one never)
    app.logs.flush()
    items = su.get("/api/logs?filter=data.url='/api/realtime'").json()["items"]
    assert [(i["level"], i["message"], i["data"]["status"], i["data"]["error"]) for i in items] == [
        (8, "GET /api/realtime", 429, "Too Many Requests.")]
    assert items[0]["data"]["details"] == (
        'triggered rate limit rule: {"label":"GET /api/realtime","audience":"","duration":60,"maxRequests":1}')


def test_refusal_logged_with_the_rule_as_pocketbase(app: App, su: TestClient, guest: TestClient) -> None:
    enable(su, [rule("/api/health", 1, audience="@guest")])
    assert statuses(guest, 2, "GET", "/api/health") == [200, 429]
    app.logs.flush()
    item = su.get("/api/logs?filter=data.status=429").json()["items"][0]
    assert item["data"]["details"] == (
        'triggered rate limit rule: {"label":"/api/health","audience":"@guest","duration":60,"maxRequests":1}')


def test_superuser_login_still_counts_before_auth(su: TestClient, guest: TestClient) -> None:
    """A login request carries no token yet: it is a guest request and is counted."""
    enable(su, [rule("_superusers:auth", 1)])
    body = {"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}
    assert statuses(guest, 2, "POST", "/api/collections/_superusers/auth-with-password", json=body) == [200, 429]
