"""The examples of docs/hooks.md's routes, jobs and library sections, run as they are written:
the ``# pb_hooks/<file>`` blocks in a live ``satchel serve``, the ``# main.py`` block as
``python main.py serve``."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    free_port,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)

DOCS = Path(__file__).parents[2] / "docs" / "hooks.md"
BLOCK = re.compile(r"^( *)```python\n\1# (pb_hooks/[\w.]+|main\.py)\n(.*?)^\1```", re.S | re.M)


def doc_files() -> dict[str, str]:
    return {name: textwrap.dedent(body) for _, name, body in BLOCK.findall(DOCS.read_text())}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("docs")
    (root / "pb_hooks").mkdir()
    files = {name: body for name, body in doc_files().items() if name.startswith("pb_hooks/")}
    assert set(files) == {"pb_hooks/routes.py", "pb_hooks/jobs.py", "pb_hooks/serve_routes.py"}
    for name, body in files.items():
        (root / name).write_text(body)
    assert satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={root / 'pb_data'}").returncode == 0
    live = start_serve(root / "pb_data")
    try:
        yield live
    finally:
        assert stop_serve(live) == 0, live.stderr


def test_routes_example(server: LiveServer) -> None:
    base = server.base
    assert httpx.get(f"{base}/api/hello/bob").json() == {"message": "Hello bob"}
    assert httpx.get(f"{base}/api/me").status_code == 401
    su = {"Authorization": superuser_token(base)}
    assert httpx.get(f"{base}/api/me", headers=su).status_code == 403  # require_auth("users")
    user = {"email": "u@example.com", "password": "1234567890", "passwordConfirm": "1234567890"}
    assert httpx.post(f"{base}/api/collections/users/records", json=user).status_code == 200
    token = httpx.post(f"{base}/api/collections/users/auth-with-password",
                       json={"identity": user["email"], "password": user["password"]}).json()["token"]
    me = httpx.get(f"{base}/api/me", headers={"Authorization": token}).json()
    assert me["id"] == me["record"]["id"] and "tokenKey" not in me["record"]
    assert httpx.post(f"{base}/api/echo", json={"text": "hi"}).text == "hi"
    assert httpx.post(f"{base}/api/echo", json={}).json()["message"] == "Missing text."
    assert httpx.post(f"{base}/api/echo", json={"text": "x" * 2000}).status_code == 413
    assert httpx.get(f"{base}/api/stats?a=1").status_code == 401
    assert httpx.get(f"{base}/api/stats?a=1", headers=su).json() == {"method": "GET", "query": {"a": "1"}}
    assert httpx.get(f"{base}/api/version").json() == {"version": 2}  # added in on_serve


def test_jobs_example(server: LiveServer) -> None:
    su = {"Authorization": superuser_token(server.base)}
    jobs = httpx.get(f"{server.base}/api/crons", headers=su).json()
    assert jobs[:2] == [{"id": "nightly-report", "expression": "0 3 * * *"}, {"id": "ping", "expression": "*/5 * * * *"}]
    assert httpx.post(f"{server.base}/api/crons/nightly-report", headers=su).status_code == 204
    deadline = time.monotonic() + 10
    while True:
        logs = httpx.get(f"{server.base}/api/logs", params={"filter": "message~'unverified users'"}, headers=su).json()
        if logs["items"]:
            break
        assert time.monotonic() < deadline, "the job did not log"
        time.sleep(0.2)
    assert re.fullmatch(r"unverified users: \d+", logs["items"][0]["message"])


def test_library_example(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(doc_files()["main.py"])
    port = free_port()
    with (tmp_path / "err.txt").open("wb") as err:
        proc = subprocess.Popen([sys.executable, "main.py", "serve", f"--http=127.0.0.1:{port}"], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, (tmp_path / "err.txt").read_text()
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/hello", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 401
        assert (tmp_path / "pb_data" / "data.db").exists()
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
