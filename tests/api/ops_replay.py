"""Replay the exchanges of tests/fixtures/pocketbase_040/ops_api.json (captured from PocketBase
0.40.6 by tests/fixtures/capture_ops_api.py) against Satchel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from tests.oracle import load, mismatches

__all__ = ["entries", "replay", "tokens_for"]


def entries(select: Callable[[str], bool]) -> list[dict[str, Any]]:
    return [e for e in load("ops_api.json") if select(e["name"])]


def tokens_for(client: TestClient, su_token: str, user_token: str) -> dict[str, str]:
    def file_token(token: str) -> str:
        r = client.post("/api/files/token", headers={"Authorization": token})
        assert r.status_code == 200, r.text
        return str(r.json()["token"])

    return {"superuser": su_token, "user": user_token,
            "superuser file": file_token(su_token), "user file": file_token(user_token)}


def replay(client: TestClient, entry: dict[str, Any], tokens: dict[str, str]) -> list[str]:
    """Send one captured request; the differences between PocketBase's answer and ours."""
    path = entry["path"]
    for kind, token in tokens.items():
        path = path.replace(f"<{kind} token>", token)
    headers = {"Content-Type": entry["content_type"]}
    if entry["auth"]:
        headers["Authorization"] = tokens[entry["auth"]]
    if entry["raw_body"] is not None:
        content = entry["raw_body"].encode("latin-1")
    elif entry["body"] is not None:
        import json

        content = json.dumps(entry["body"]).encode()
    else:
        content = b""
    r = client.request(entry["method"], path, content=content, headers=headers)
    problems = [] if r.status_code == entry["status"] else [f"status {entry['status']} != {r.status_code}: {r.text[:300]}"]
    for name, value in entry["response_headers"].items():
        if r.headers.get(name) != value:
            problems.append(f"header {name}: {value!r} != {r.headers.get(name)!r}")
    if entry["response"] is not None:
        problems += mismatches(entry["response"], r.json())
    return [f"{entry['name']}: {p}" for p in problems]
