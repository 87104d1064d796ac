"""The guide's admin scenario recorded from PocketBase 0.22.27, replayed against Satchel.

tests/fixtures/pocketbase_040/legacy_admin_022.json (made by
tests/fixtures/capture_legacy_admin_022.py): a 0.22 admin token from
``/api/admins/auth-with-password`` creates, reads, updates and deletes a collection in the
v0.22 ``schema`` shape and works on its records. Each exchange is checked as its
``compare`` says; the routes shared with v0.40 answer errors in v0.40's shape
(docs/compatibility.md), so only their ``data`` (or its codes) is compared.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.oracle import load, mismatches

SCENARIO = load("legacy_admin_022.json")
LEGACY_VIEW = ("name", "type", "system", "listRule", "viewRule", "createRule", "updateRule", "deleteRule", "indexes",
               "options")


def _legacy_view(body: dict[str, Any]) -> dict[str, Any]:
    """What SDK 0.21 reads of a collection (field ids are random in 0.22)."""
    schema = [{k: v for k, v in f.items() if k != "id"} for f in body.get("schema", [])]
    return {**{k: body.get(k) for k in LEGACY_VIEW}, "schema": schema}


def _codes(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.get("code") for k, v in data.items()}


def test_legacy_admin_scenario_matches_pocketbase_022(client: TestClient) -> None:
    token, record_id = "", ""
    failures: list[str] = []
    for entry in SCENARIO:
        headers = {"Authorization": {"admin": token, "garbage": "garbage"}[entry["auth"]]} if entry["auth"] else {}
        r = client.request(entry["method"], entry["path"].replace("<record id>", record_id), json=entry["body"],
                           headers=headers)
        body = r.json() if r.content else None
        if entry["name"] == "admin login":
            token = body["token"]
        if entry["name"] == "create record":
            record_id = body["id"]
        problems = [] if r.status_code == entry["status"] else [f"status {entry['status']} != {r.status_code}"]
        expected = entry["response"]
        if entry["compare"] == "body":
            problems += mismatches(expected, body)
            legacy_route = entry["path"].startswith("/api/admins")  # the others keep v0.40's key order
            if legacy_route and isinstance(expected, dict) and isinstance(body, dict) and list(expected) != list(body):
                problems.append(f"key order {list(expected)} != {list(body)}")
        elif entry["compare"] == "legacy":
            problems += mismatches(_legacy_view(expected), _legacy_view(body))
        elif entry["compare"] == "data":
            problems += mismatches(expected["data"], body["data"])
        elif entry["compare"] == "codes":
            problems += mismatches(_codes(expected["data"]), _codes(body["data"]))
        if problems:
            failures.append(f"{entry['name']}:\n    " + "\n    ".join(problems[:6]))
    assert not failures, f"{len(failures)} exchanges differ from 0.22.27:\n" + "\n".join(failures)
