"""Replay exchanges captured from the real PocketBase binary against Satchel.

The captures (tests/fixtures/pocketbase_040/*.json, made by
tests/fixtures/make_pocketbase_fixtures.py with pocketbase 0.40.6) list
requests in order with PocketBase's status and body; volatile values are the
string ``"<volatile>"`` there, which matches anything here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

CAPTURES = Path(__file__).parent / "fixtures" / "pocketbase_040"
VOLATILE = "<volatile>"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$")


def load(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((CAPTURES / name).read_text())
    return data


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences between PocketBase's answer and ours, ``<volatile>`` matching anything."""
    if expected == VOLATILE:
        return []
    if isinstance(expected, str) and VOLATILE in expected and isinstance(actual, str):
        pattern = ".*".join(re.escape(part) for part in expected.split(VOLATILE))
        return [] if re.fullmatch(pattern, actual, re.S) else [f"{path}: {expected!r} != {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected object, got {actual!r}"]
        out = []
        missing = set(expected) - set(actual)
        extra = set(actual) - set(expected)
        if missing:
            out.append(f"{path}: missing keys {sorted(missing)}")
        if extra:
            out.append(f"{path}: extra keys {sorted(extra)}")
        for key in expected:
            if key in actual:
                out.extend(mismatches(expected[key], actual[key], f"{path}.{key}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {expected!r}, got {actual!r}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out.extend(mismatches(e, a, f"{path}[{i}]"))
        return out
    if expected != actual:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def send(client: TestClient, entry: dict[str, Any], tokens: dict[str, str]) -> Any:
    headers = dict(entry.get("headers") or {})
    auth = headers.get("Authorization")
    if auth in ("<superuser token>", "<user token>"):
        headers["Authorization"] = tokens[auth.strip("<>").split()[0]]
    kwargs: dict[str, Any] = {"headers": headers}
    raw = entry.get("raw_body")
    sized = re.fullmatch(r"<(\d+) bytes: '\{' followed by spaces>", raw or "")
    if sized:
        kwargs["content"] = b"{" + b" " * (int(sized.group(1)) - 1)
        headers.pop("Content-Length", None)
    elif raw is not None:
        kwargs["content"] = raw.encode()
    elif entry.get("body") is not None:
        kwargs["content"] = json.dumps(entry["body"]).encode()
        headers.setdefault("Content-Type", "application/json")
    return client.request(entry["method"], entry["path"], **kwargs)
