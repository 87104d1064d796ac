"""The records API scenario of records_scenario.py answers as PocketBase 0.40.6 did.

Expected values: ``pocketbase_040/records_api.json``, captured from the real binary
by ``tests/fixtures/capture_records_api.py``.  Steps run in order on one App
(later steps see earlier changes); every exchange is checked and all mismatches
are reported together.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

from satchel.app import App
from tests.api.records_scenario import scenario_steps, scrub
from tests.oracle import load, mismatches

CAPTURED = load("records_api.json")


def _run(client: TestClient, su_token: str, su_id: str) -> list[tuple[dict[str, Any], int, Any]]:
    tokens = {"su": su_token}
    results = []
    for step in scenario_steps():
        if "login" in step:
            who, coll, email, password = step["login"]
            r = client.post(f"/api/collections/{coll}/auth-with-password", json={"identity": email, "password": password})
            assert r.status_code == 200, r.text
            tokens[who] = r.json()["token"]
            continue
        headers = {"Content-Type": "application/json"}
        if step["as"] in tokens:
            headers["Authorization"] = tokens[step["as"]]
        raw = step.get("raw")
        content = raw if raw is not None else (json.dumps(step["body"]).encode() if step["body"] is not None else None)
        r = client.request(step["method"], step["path"].replace("SUPERUSER_ID", su_id), content=content, headers=headers)
        body = r.json() if r.content else None
        results.append((step, r.status_code, body))
    return results


def test_records_scenario_matches_pocketbase(app: App, client: TestClient, su_token: str) -> None:
    su_id = client.post(
        "/api/collections/_superusers/auth-with-password", json={"identity": "test@example.com", "password": "1234567890"}
    ).json()["record"]["id"]
    results = _run(client, su_token, su_id)
    assert len(results) == len(CAPTURED)
    problems: list[str] = []
    for (step, status, body), expected in zip(results, CAPTURED, strict=True):
        label = f"{step['as']} {step['method']} {step['path']}"
        if status != expected["status"]:
            problems.append(f"{label}: status {status} != {expected['status']} ({body})")
            continue
        if expected["response"] is None:
            continue
        diff = mismatches(expected["response"], scrub(body, tuple(step.get("volatile", ()))))
        if diff:
            problems.append(f"{label}: {diff}")
    assert problems == [], "\n".join(problems)
