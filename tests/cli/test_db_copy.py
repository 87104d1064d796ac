"""``satchel db copy``: a PocketBase-made pb_data to PostgreSQL and back, served identically.

The pb_data of tests/fixtures/pb_data_040 was made by PocketBase 0.40.6; the responses it
gave are in tests/fixtures/pocketbase_040/pb_data_records.json.  After the copy to
PostgreSQL, and after the copy back to a new pb_data, Satchel serves every captured
path exactly as PocketBase did.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from tests.conftest import FIXTURES
from tests.oracle import load, mismatches
from tests.pg_support import pg_url

__all__ = ["pg_url"]

CAPTURED = {e["path"]: e for e in load("pb_data_records.json") if e["path"].count("/") == 3}


def satchel_db_copy(source: str, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satchel", "db", "copy", f"--from={source}", f"--to={target}"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def served_like_pocketbase(config: Config) -> list[str]:
    app = App(config)
    problems = []
    try:
        with TestClient(build_asgi(app), client=("127.0.0.1", 50000)) as c:
            r = c.post("/api/collections/_superusers/auth-with-password",
                       json={"identity": "test@example.com", "password": "1234567890"})  # fmt: skip
            assert r.status_code == 200, r.text
            c.headers["Authorization"] = r.json()["token"]
            for path, captured in sorted(CAPTURED.items()):
                r = c.get(path)
                if r.status_code != 200:
                    problems.append(f"{path}: {r.status_code} {r.text}")
                else:
                    problems += [f"{path}: {m}" for m in mismatches(captured["response"], r.json())]
    finally:
        app.close()
    return problems


@pytest.fixture
def pb_data(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "pb_data"
    shutil.copytree(FIXTURES / "pb_data_040", data_dir)
    yield data_dir


def test_pocketbase_pb_data_to_postgresql_and_back(pb_data: Path, pg_url: str, tmp_path: Path) -> None:
    assert CAPTURED
    done = satchel_db_copy(str(pb_data), pg_url)
    assert done.returncode == 0, done.stderr
    assert "ok:" in done.stdout and "MISMATCH" not in done.stdout
    assert "posts" in done.stdout and "copying posts" in done.stderr
    # files stay in the data dir: serve the PostgreSQL data with the same --dir
    assert served_like_pocketbase(Config(data_dir=pb_data, db=pg_url)) == []

    back = tmp_path / "back" / "pb_data"
    shutil.copytree(pb_data / "storage", back / "storage")
    done = satchel_db_copy(pg_url, str(back))
    assert done.returncode == 0, done.stderr
    assert served_like_pocketbase(Config(data_dir=back)) == []


def test_copy_refuses_a_target_that_is_not_empty(pb_data: Path, pg_url: str) -> None:
    assert satchel_db_copy(str(pb_data), pg_url).returncode == 0
    again = satchel_db_copy(str(pb_data), pg_url)
    assert again.returncode == 1 and "not empty" in again.stderr and "Traceback" not in again.stderr


def test_copy_from_a_missing_pb_data_fails_clearly(tmp_path: Path, pg_url: str) -> None:
    done = satchel_db_copy(str(tmp_path / "nope"), pg_url)
    assert done.returncode == 1 and "does not exist" in done.stderr
