"""Request logs and ``/api/logs`` (spec 12 §3).

The scenario's exchanges were captured from PocketBase 0.40.6
(pocketbase_040/logs_api.json, see tests/api/logs_scenario.py) and are
replayed here against Satchel, entry for entry.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.logs import ERROR, INFO, WARN
from tests import oracle
from tests.api.logs_scenario import UA, scenario

CAPTURE = oracle.load("logs_api.json")


def caller(client: TestClient) -> Any:
    def call(method: str, path: str, json: Any = None, token: str = "",
             headers: dict[str, str] | None = None) -> tuple[int, Any]:
        h = {"User-Agent": UA, **(headers or {})}
        if token:
            h["Authorization"] = token
        r = client.request(method, path, json=json, headers=h)
        try:
            return r.status_code, r.json() if r.content else None
        except ValueError:
            return r.status_code, None

    return call


def test_scenario_matches_pocketbase(app: App, client: TestClient) -> None:
    """One run of the scenario (it takes ~0.8 s), every exchange compared."""
    exchanges, _ = scenario(caller(client), app.logs.flush)
    got = {e["name"]: e for e in exchanges}
    assert [e["name"] for e in CAPTURE] == list(got)
    problems = []
    for expected in CAPTURE:
        actual = got[expected["name"]]
        if actual["status"] != expected["status"]:
            problems.append(f"{expected['name']}: status {actual['status']} != {expected['status']}")
        problems += [f"{expected['name']}: {m}" for m in oracle.mismatches(expected["response"], actual["response"])]
    assert problems == []


def test_list_shapes_ordered_as_pocketbase(app: App, su: TestClient) -> None:
    su.get("/api/health")
    app.logs.flush()
    body = su.get("/api/logs").json()
    assert list(body) == ["items", "page", "perPage", "totalItems", "totalPages"]
    assert list(body["items"][0]) == ["id", "created", "data", "message", "level"]
    item = body["items"][-1]
    assert oracle.TIMESTAMP.match(item["created"])
    assert len(item["id"]) == 15
    assert su.get(f"/api/logs/{item['id']}").json() == item


def test_application_entries(app: App, su: TestClient) -> None:
    app.logs.warn("[recordAuthResponse] Failed to expand relations", error={"nothing": "no such field"})
    app.logs.error("Failed to send verification email", error="no sendmail")
    app.logs.debug("not kept at the default minLevel")
    logging.getLogger("satchel.mail").error("failed to send mail %r", "Hello")
    app.logs.flush()
    items = su.get("/api/logs?filter=data.type=null&sort=message").json()["items"]
    assert [(i["level"], i["message"]) for i in items] == [
        (ERROR, "Failed to send verification email"),
        (WARN, "[recordAuthResponse] Failed to expand relations"),
        (ERROR, "failed to send mail 'Hello'"),
    ]
    assert items[1]["data"] == {"error": {"nothing": "no such field"}}
    assert items[2]["data"] == {"logger": "satchel.mail"}


def test_oversized_application_data_is_cut(app: App, su: TestClient) -> None:
    assert su.patch("/api/settings", json={"logs": {"maxDataSize": 100}}).status_code == 200
    app.logs.info("big", blob="x" * 500)
    su.get("/api/health?" + "q=" + "y" * 400)  # request entries are never cut (as PocketBase)
    app.logs.flush()
    big = su.get("/api/logs?filter=message='big'").json()["items"][0]["data"]
    assert big["__pb_truncated__"] is True
    assert len(big["data"]) == 100
    request = su.get("/api/logs?filter=data.url~'/api/health'").json()["items"][0]["data"]
    assert len(request["url"]) > 400


def test_long_values_cut_as_pocketbase(app: App, su: TestClient) -> None:
    su.get("/api/health?q=" + "b" * 5000, headers={"User-Agent": "c" * 3000})
    app.logs.flush()
    item = su.get("/api/logs?filter=data.url~'/api/health'").json()["items"][0]
    assert len(item["data"]["url"]) == 3003 and item["data"]["url"].endswith("b...")
    assert len(item["data"]["userAgent"]) == 2003
    assert len(item["message"]) == 3007  # "GET " + the cut url


def test_which_successful_requests_are_logged(app: App, su: TestClient) -> None:
    """As PocketBase: every ``/api/`` success but ``/api/logs*`` and the OAuth2 redirect
    (the middleware tells them by the first 9 characters of the path, remembered)."""
    from satchel.api.request_log import _LOGGED_HEADS, _logged_head

    for _ in range(2):  # the second time from the remembered heads
        assert su.get("/api/health").status_code == 200
        assert su.get("/api/logs/stats").status_code == 200
        assert su.get("/api/logs").status_code == 200
        assert su.get("/_/").status_code == 200
    app.logs.flush()
    messages = [i["message"] for i in su.get("/api/logs?perPage=100").json()["items"]]
    assert messages.count("GET /api/health") == 2 and not [m for m in messages if "/api/logs" in m or "/_/" in m]
    assert "/api/heal" in _LOGGED_HEADS and "/api/logs" not in _LOGGED_HEADS
    decided = {path: _logged_head(path[:9]) for path in ("/api/", "/api/x", "/api/log", "/api/logsx", "/api/logs/1",
                                                         "/api", "/a", "", "/_/x", "/apix/y")}
    assert decided == {"/api/": True, "/api/x": True, "/api/log": True, "/api/logsx": False, "/api/logs/1": False,
                       "/api": False, "/a": False, "": False, "/_/x": False, "/apix/y": False}


def test_failure_details(app: App, su: TestClient) -> None:
    su.post("/api/collections/users/records", json={"email": "x@example.com"}, headers={"Authorization": ""})
    su.get("/api/collections/users/records?filter=(", headers={"Authorization": ""})
    app.logs.flush()
    items = su.get("/api/logs?filter=level=8").json()["items"]
    assert items[0]["data"]["details"] == {"password": "cannot be blank", "passwordConfirm": "cannot be blank"}
    assert isinstance(items[1]["data"]["details"], str) and items[1]["data"]["details"]


def test_unhandled_error_logged_as_500(app: App, su: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from satchel.api import health

    async def boom(*_: Any) -> Any:
        raise RuntimeError("kaput")

    monkeypatch.setattr(health, "get_auth", boom)
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090") as c:
        assert c.get("/api/health").status_code == 500
    app.logs.flush()
    items = su.get("/api/logs?filter=data.status=500").json()["items"]
    assert items[0]["data"]["error"] == "Something went wrong while processing your request."
    assert items[0]["data"]["details"] == "kaput"
    # the traceback's logger line became an application entry too
    assert su.get("/api/logs?filter=message~'unhandled error'").json()["totalItems"] == 1


def test_token_never_checked_by_the_handler_still_names_the_caller(app: App, su: TestClient) -> None:
    su.get("/api/collections/nope/records/x")  # 404 before any auth check
    app.logs.flush()
    item = su.get("/api/logs?filter=data.status=404").json()["items"][0]
    assert item["data"]["auth"] == "_superusers"


def test_stats_buckets_by_hour(app: App, su: TestClient) -> None:
    rows = [("a0000000000000a", INFO, "x", "{}", "2026-01-01 10:05:00.000Z"),
            ("a0000000000000b", INFO, "x", "{}", "2026-01-01 10:59:59.999Z"),
            ("a0000000000000c", ERROR, "y", "{}", "2026-01-01 12:00:00.000Z")]
    app.aux_db.write_sync(lambda tx: tx.conn.executemany("INSERT INTO _logs (id, level, message, data, created) "
                                                         "VALUES (?, ?, ?, ?, ?)", rows))
    assert su.get("/api/logs/stats").json() == [{"date": "2026-01-01 10:00:00.000Z", "total": 2},
                                                {"date": "2026-01-01 12:00:00.000Z", "total": 1}]
    assert su.get("/api/logs/stats?filter=level>0").json() == [{"date": "2026-01-01 12:00:00.000Z", "total": 1}]
