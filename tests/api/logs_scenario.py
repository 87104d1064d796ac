"""One scenario for the request logs, run against PocketBase 0.40.6 (captured by
tests/fixtures/capture_logs_api.py into pocketbase_040/logs_api.json) and
replayed against Satchel by tests/api/test_logs.py.

Requests that produce log entries are sent first, then ``/api/logs`` queries
are recorded; ``settle()`` waits until the entries are written (PocketBase
flushes every 3 s, Satchel is flushed directly).  Volatile values (ids,
timestamps, timings, Go's internal error texts in ``details``) are scrubbed
from the capture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

SU_EMAIL = "test@example.com"
SU_PASS = "1234567890"
USER_ID = "testuser0000001"
UA = "logs-scenario/1.0"
V = "<volatile>"
VOLATILE_KEYS = ("id", "created", "execTime", "date")

#: call(method, path, json=None, token="", headers=None) -> (status, body or None)
Call = Callable[..., tuple[int, Any]]


def scrub(value: Any) -> Any:
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if (key in VOLATILE_KEYS or (key == "details" and item is not None)
                    or (key == "authId" and item != USER_ID)):  # the superuser's id is random
                out[key] = V
            else:
                out[key] = scrub(item)
        return out
    return value


def drive(call: Call) -> dict[str, str]:
    """The requests whose entries the queries look at; the two tokens."""
    login = {"identity": SU_EMAIL, "password": SU_PASS}
    su = call("POST", "/api/collections/_superusers/auth-with-password", json=login)[1]["token"]
    user = {"id": USER_ID, "email": "user@example.com", "password": "1234567890", "passwordConfirm": "1234567890"}
    assert call("POST", "/api/collections/users/records", json=user, token=su)[0] == 200
    login = {"identity": "user@example.com", "password": "1234567890"}
    ut = call("POST", "/api/collections/users/auth-with-password", json=login)[1]["token"]
    call("GET", "/api/health", headers={"Referer": "http://ref.example/page"})
    call("GET", "/api/collections/_superusers/records")
    call("GET", "/api/collections/users/records", token=ut)
    call("GET", "/api/settings", token=ut)
    call("GET", "/api/collections/nope/records")
    call("POST", "/api/collections/users/records", json={})
    call("GET", "/api/health?q=a%20b%C3%A9")
    call("GET", "/api/logs")
    call("HEAD", "/api/health")
    call("OPTIONS", "/api/health", headers={"Origin": "http://x.example", "Access-Control-Request-Method": "GET"})
    call("GET", "/_/")
    call("PATCH", "/api/settings", json={"logs": {"logAuthId": True}}, token=su)
    call("GET", "/api/collections/users/records?perPage=1", token=ut)
    call("PATCH", "/api/settings", json={"logs": {"logAuthId": False, "logIP": False}}, token=su)
    call("GET", "/api/health?noip=1")
    call("PATCH", "/api/settings", json={"logs": {"logIP": True}, "trustedProxy": {"headers": ["X-Forwarded-For"]}},
         token=su)
    call("GET", "/api/health?proxied=1", headers={"X-Forwarded-For": "1.2.3.4, 5.6.7.8"})
    call("PATCH", "/api/settings", json={"trustedProxy": {"headers": []}}, token=su)
    return {"su": su, "user": ut}


# (name, method, path, who); "{first}" is the id of the first entry
QUERIES: list[tuple[str, str, str, str]] = [
    ("all in insertion order", "GET", "/api/logs?perPage=100", "su"),
    ("page 2", "GET", "/api/logs?page=2&perPage=3", "su"),
    ("failures by status", "GET", "/api/logs?filter=data.status>=400&sort=-data.status,message", "su"),
    ("user entries, picked fields", "GET", "/api/logs?filter=data.auth='users'&fields=message,data.authId,data.auth",
     "su"),
    ("errors skip total", "GET", "/api/logs?filter=level>0&skipTotal=1&perPage=2", "su"),
    ("message like", "GET", "/api/logs?filter=message~'health'&sort=message&fields=message", "su"),
    ("one entry", "GET", "/api/logs/{first}", "su"),
    ("missing entry", "GET", "/api/logs/missing000000000", "su"),
    ("stats", "GET", "/api/logs/stats", "su"),
    ("stats filtered", "GET", "/api/logs/stats?filter=level=8", "su"),
    ("unknown json path", "GET", "/api/logs?filter=data.nope.deep=1", "su"),
    ("unknown field", "GET", "/api/logs?filter=unknown=1", "su"),
    ("unknown sort", "GET", "/api/logs?sort=unknown", "su"),
    ("bad stats filter", "GET", "/api/logs/stats?filter=bad(", "su"),
    ("bad list filter", "GET", "/api/logs?filter=bad(", "su"),
    ("as a user", "GET", "/api/logs", "user"),
    ("as a guest", "GET", "/api/logs", ""),
    ("stats as a guest", "GET", "/api/logs/stats", ""),
    ("one as a user", "GET", "/api/logs/{first}", "user"),
]

# after the failed queries above were written
LATER: list[tuple[str, str, str, str]] = [
    ("failed log queries are logged", "GET",
     "/api/logs?filter=data.url~'/api/logs'&fields=message,data.status,data.error,data.auth", "su"),
]


def run_queries(call: Call, tokens: dict[str, str], queries: list[tuple[str, str, str, str]],
                first: str) -> list[dict[str, Any]]:
    out = []
    for name, method, path, who in queries:
        status, body = call(method, path.replace("{first}", first), token=tokens.get(who, ""))
        out.append({"name": name, "method": method, "path": path, "who": who, "status": status, "response": body})
    return out


def scenario(call: Call, settle: Callable[[], None]) -> tuple[list[dict[str, Any]], str]:
    """Every recorded exchange (unscrubbed) and the id of the first entry."""
    tokens = drive(call)
    settle()
    first = call("GET", "/api/logs?perPage=1", token=tokens["su"])[1]["items"][0]["id"]
    out = run_queries(call, tokens, QUERIES, first)
    settle()
    out += run_queries(call, tokens, LATER, first)
    # a raised minLevel: lower entries are no longer written, and the stored ones deleted
    call("PATCH", "/api/settings", json={"logs": {"minLevel": 4}}, token=tokens["su"])
    call("GET", "/api/health?minlevel=4")
    call("GET", "/api/collections/_superusers/records?minlevel=4")
    settle()
    out += run_queries(call, tokens, [("after minLevel 4", "GET", "/api/logs?fields=level,message", "su")], first)
    call("PATCH", "/api/settings", json={"logs": {"minLevel": 0, "maxDays": 0}}, token=tokens["su"])
    call("GET", "/api/collections/_superusers/records?maxdays=0")
    settle()
    out += run_queries(call, tokens, [("after maxDays 0", "GET", "/api/logs?fields=level,message", "su")], first)
    call("PATCH", "/api/settings", json={"logs": {"maxDays": 5}}, token=tokens["su"])
    call("GET", "/api/health?maxdays=5")
    settle()
    out += run_queries(call, tokens, [
        ("after maxDays 5", "GET", "/api/logs?fields=level,message", "su"),
        ("delete all", "DELETE", "/api/logs", "su"),
    ], first)
    settle()
    out += run_queries(call, tokens, [
        ("after delete", "GET", "/api/logs", "su"),
        ("stats after delete", "GET", "/api/logs/stats", "su"),
    ], first)
    return out, first


def scrub_all(exchanges: list[dict[str, Any]], first: str) -> list[dict[str, Any]]:
    """:func:`scrub`, and the first entry's id (in logged URLs) made volatile."""
    text = json.dumps(scrub(exchanges), ensure_ascii=False).replace(first, V)
    result: list[dict[str, Any]] = json.loads(text)
    return result
