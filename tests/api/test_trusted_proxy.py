"""``settings.trustedProxy`` and the client IP (spec 12 §6).

The expected IPs were observed on PocketBase 0.40.6 (as ``userIP`` of its request
logs and ``realIP`` of ``GET /api/health``) with ``headers: ["X-Forwarded-For"]``.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import Headers
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.logs import normalize_ip, possible_proxy_header, real_ip
from satchel.core.settings.model import TrustedProxyConfig
from tests.conftest import SUPERUSER_EMAIL, SUPERUSER_PASSWORD

XFF = TrustedProxyConfig(headers=["X-Forwarded-For"])
LEFTMOST = TrustedProxyConfig(headers=["X-Forwarded-For"], use_leftmost_ip=True)


def headers(*pairs: tuple[str, str]) -> Headers:
    return Headers(raw=[(k.lower().encode(), v.encode()) for k, v in pairs])


# (X-Forwarded-For values in order, the IP PocketBase 0.40.6 logged as userIP)
OBSERVED = [
    (["1.2.3.4, 5.6.7.8"], "5.6.7.8"),
    (["::1"], "0000:0000:0000:0000:0000:0000:0000:0001"),
    (["1.2.3.4, junk"], "1.2.3.4"),
    (["1.2.3.4, 9.9.9.9", "7.7.7.7, junk"], "7.7.7.7"),  # the last header only
    (["junk"], "127.0.0.1"),
    (["1.2.3.4:80"], "127.0.0.1"),
    (["  10.0.0.1 ,  "], "10.0.0.1"),
    (["::ffff:1.2.3.4"], "0000:0000:0000:0000:0000:ffff:0102:0304"),
    (["fe80::1%eth0"], "fe80:0000:0000:0000:0000:0000:0000:0001%eth0"),
    (["[2001:db8::1]"], "127.0.0.1"),
]


@pytest.mark.parametrize(("values", "expected"), OBSERVED)
def test_real_ip_as_pocketbase(values: list[str], expected: str) -> None:
    assert real_ip("127.0.0.1", headers(*(("X-Forwarded-For", v) for v in values)), XFF) == expected


def test_leftmost_and_untrusted_headers() -> None:
    h = headers(("X-Forwarded-For", "1.2.3.4, 5.6.7.8"))
    assert real_ip("127.0.0.1", h, LEFTMOST) == "1.2.3.4"
    assert real_ip("127.0.0.1", h, TrustedProxyConfig()) == "127.0.0.1"  # not trusted: the peer


def test_headers_tried_in_order() -> None:
    proxy = TrustedProxyConfig(headers=["X-Real-IP", "X-Forwarded-For"], use_leftmost_ip=True)
    assert real_ip("127.0.0.1", headers(("X-Real-IP", "8.8.8.8, 9.9.9.9"), ("X-Forwarded-For", "1.1.1.1")),
                   proxy) == "8.8.8.8"
    # no valid IP in the first header: the next one
    assert real_ip("127.0.0.1", headers(("X-Real-IP", "junk"), ("X-Forwarded-For", "1.1.1.1, 2.2.2.2")),
                   proxy) == "1.1.1.1"


def test_peer_address_expanded() -> None:
    assert real_ip("::1", headers(), XFF) == "0000:0000:0000:0000:0000:0000:0000:0001"
    assert normalize_ip("fe80::1%") == ""
    assert normalize_ip("1.2.3.4%eth0") == ""


@pytest.mark.parametrize(("pairs", "proxy", "expected"), [
    ([], TrustedProxyConfig(), ""),
    ([("X-Forwarded-For", "3.3.3.3"), ("CF-Connecting-IP", "4.4.4.4")], XFF, "X-Forwarded-For"),
    ([("CF-Connecting-IP", "4.4.4.4"), ("Fly-Client-IP", "5.5.5.5")], XFF, "CF-Connecting-IP"),
    ([("X-Forwarded-For", ""), ("Fly-Client-IP", "junk")], XFF, "Fly-Client-IP"),  # empty = absent
    ([("X-Real-IP", "junk"), ("X-Forwarded-For", "1.1.1.1")],
     TrustedProxyConfig(headers=["x-real-ip", "X-Forwarded-For"]), "x-real-ip"),  # named as configured
])
def test_possible_proxy_header(pairs: list[tuple[str, str]], proxy: TrustedProxyConfig, expected: str) -> None:
    assert possible_proxy_header(headers(*pairs), proxy) == expected


# -- on the wire ------------------------------------------------------------------------


def trust(su: TestClient, **proxy: Any) -> None:
    r = su.patch("/api/settings", json={"trustedProxy": proxy})
    assert r.status_code == 200, r.text


def test_health_reports_real_ip_and_proxy_header(su: TestClient) -> None:
    data = su.get("/api/health", headers={"X-Forwarded-For": "3.3.3.3", "CF-Connecting-IP": "4.4.4.4"}).json()["data"]
    assert data == {"canBackup": True, "realIP": "127.0.0.1", "possibleProxyHeader": "CF-Connecting-IP"}
    trust(su, headers=["X-Forwarded-For"])
    data = su.get("/api/health", headers={"X-Forwarded-For": "3.3.3.3", "CF-Connecting-IP": "4.4.4.4"}).json()["data"]
    assert data == {"canBackup": True, "realIP": "3.3.3.3", "possibleProxyHeader": "X-Forwarded-For"}


def test_rate_limiter_counts_per_forwarded_ip(su: TestClient, app: App) -> None:
    trust(su, headers=["X-Forwarded-For"])
    rule = {"label": "GET /api/health", "maxRequests": 1, "duration": 60, "audience": ""}
    assert su.patch("/api/settings", json={"rateLimits": {"enabled": True, "rules": [rule]}}).status_code == 200
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.9.9.9", 1)) as proxy:
        got = [proxy.get("/api/health", headers={"X-Forwarded-For": ip}).status_code
               for ip in ("1.1.1.1", "2.2.2.2", "1.1.1.1", "2.2.2.2")]
    assert got == [200, 200, 429, 429]


def test_excluded_ip_matches_the_forwarded_address(su: TestClient, app: App) -> None:
    trust(su, headers=["X-Forwarded-For"])
    rule = {"label": "/api/health", "maxRequests": 1, "duration": 60, "audience": ""}
    limits = {"enabled": True, "rules": [rule], "excludedIPs": ["1.1.1.0/24"]}
    assert su.patch("/api/settings", json={"rateLimits": limits}).status_code == 200
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.9.9.9", 1)) as proxy:
        excluded = [proxy.get("/api/health", headers={"X-Forwarded-For": "1.1.1.7"}).status_code for _ in range(3)]
        counted = [proxy.get("/api/health", headers={"X-Forwarded-For": "2.2.2.2"}).status_code for _ in range(2)]
    assert excluded == [200, 200, 200]
    assert counted == [200, 429]


def test_superuser_ips_checked_against_the_forwarded_address(su: TestClient, app: App) -> None:
    trust(su, headers=["X-Forwarded-For"])
    assert su.patch("/api/settings", json={"superuserIPs": ["5.5.5.5"]}).status_code == 200
    login = {"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}
    url = "/api/collections/_superusers/auth-with-password"
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.9.9.9", 1)) as proxy:
        assert proxy.post(url, json=login, headers={"X-Forwarded-For": "6.6.6.6"}).status_code == 403
        assert proxy.post(url, json=login, headers={"X-Forwarded-For": "1.1.1.1, 5.5.5.5"}).status_code == 200


def test_auth_origins_fingerprint_the_forwarded_address(su: TestClient, app: App) -> None:
    trust(su, headers=["X-Forwarded-For"])
    users = app.registry.get("users")
    assert users is not None
    values = app.records.new_auth_values(users, "origin@example.com", "1234567890")
    app.db.write_sync(lambda tx: app.records.insert_sync(tx, users, values))
    login = {"identity": "origin@example.com", "password": "1234567890"}
    url = "/api/collections/users/auth-with-password"
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("10.9.9.9", 1)) as proxy:
        for ip in ("1.1.1.1", "1.1.1.1", "2.2.2.2"):
            assert proxy.post(url, json=login, headers={"X-Forwarded-For": ip}).status_code == 200
    rows = app.db.read_sync(lambda c: c.execute("SELECT fingerprint FROM _authOrigins WHERE recordRef = ?",
                                                  (values["id"],)).fetchall())
    assert len(rows) == 2  # one per forwarded address, not one for the proxy's
