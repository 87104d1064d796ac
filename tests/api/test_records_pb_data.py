"""Records of a pb_data made by PocketBase 0.40.6 are served exactly as PocketBase served them.

Replays the record requests of ``pocketbase_040/pb_data_records.json`` (values NOT
scrubbed) against a copy of ``pb_data_040`` as superuser, guest and user.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from tests.conftest import FIXTURES
from tests.oracle import load, mismatches, send

ENTRIES = [e for e in load("pb_data_records.json") if "/records" in e["path"]]


@pytest.fixture
def pb_client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    data_dir = tmp_path / "pb_data"
    shutil.copytree(FIXTURES / "pb_data_040", data_dir)
    application = App(Config(data_dir=data_dir))
    with TestClient(build_asgi(application), client=("127.0.0.1", 50000)) as c:
        tokens = {}
        for key, coll, email in (("superuser", "_superusers", "test@example.com"), ("user", "users", "user@example.com")):
            r = c.post(f"/api/collections/{coll}/auth-with-password", json={"identity": email, "password": "1234567890"})
            assert r.status_code == 200, r.text
            tokens[key] = r.json()["token"]
        yield c, tokens
    application.close()


def _normalize(expected: Any) -> Any:
    return expected


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_pb_data_records_match_pocketbase(pb_client: tuple[TestClient, dict[str, str]], entry: dict[str, Any]) -> None:
    client, tokens = pb_client
    r = send(client, entry, tokens)
    assert r.status_code == entry["status"], r.text
    assert mismatches(entry["response"], r.json()) == []
