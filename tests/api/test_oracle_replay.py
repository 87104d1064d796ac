"""Health, CORS, settings and superuser auth answer what PocketBase 0.40.6 answers.

Each capture file (tests/fixtures/pocketbase_040, recorded from the real binary)
is replayed in order on one fresh App. Exchanges that exercise endpoints of
later issues are listed in LATER with the issue that brings them.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.oracle import load, mismatches, send

LATER = {
    "impersonate (superuser -> superuser) duration 3600": "the captured path holds PocketBase's superuser id",
    "list _superusers records": "records issue",
    "list _superusers records as user": "records issue",
    "delete the only superuser": "records issue",
    "test s3 empty body": "files issue",
}
# Documented differences (docs/compatibility.md).
DEVIATIONS = {
    "PATCH JSON null": "PocketBase answers 500; Satchel answers 400 'An error occurred while loading the submitted data.'",
}
# Response headers compared when PocketBase's capture lists them.
CHECKED_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "content-type",
    "cross-origin-opener-policy",
    "x-content-type-options",
    "x-frame-options",
    "x-xss-protection",
)


def _headers_mismatches(entry: dict[str, Any], headers: Any) -> list[str]:
    out = []
    expected = {k.lower(): v for k, v in (entry.get("response_headers") or {}).items()}
    for name in CHECKED_HEADERS:
        if name in expected and headers.get(name) != expected[name]:
            out.append(f"header {name}: {expected[name]!r} != {headers.get(name)!r}")
    if "vary" in expected:
        want = expected["vary"] if isinstance(expected["vary"], list) else [expected["vary"]]
        got = headers.get_list("vary")
        if got != want:
            out.append(f"header vary: {want!r} != {got!r}")
    return out


@pytest.mark.parametrize("capture", ["health_cors.json", "settings.json", "auth_superuser.json"])
def test_replay_matches_pocketbase(client: TestClient, su_token: str, user_token: str, capture: str) -> None:
    tokens = {"superuser": su_token, "user": user_token}
    failures = []
    for entry in load(capture):
        if entry["name"] in LATER or entry["name"] in DEVIATIONS:
            continue
        r = send(client, entry, tokens)
        is_json = r.headers.get("content-type", "").startswith("application/json")
        body = r.json() if r.content and is_json else None
        problems = []
        if r.status_code != entry["status"]:
            problems.append(f"status {entry['status']} != {r.status_code}")
        problems += mismatches(entry.get("response"), body)
        problems += _headers_mismatches(entry, r.headers)
        if entry["status"] == 413 and r.headers.get("connection") != "close":
            problems.append("413 must close the connection")
        if problems:
            failures.append(f"{entry['name']}:\n    " + "\n    ".join(problems[:8]))
    assert not failures, f"{len(failures)} exchanges differ:\n" + "\n".join(failures)
