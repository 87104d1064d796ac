"""A real ``satchel serve --workers=2`` per test module (superuser made by the CLI first),
with ``x-satchel-worker`` on every response so a test knows which worker answered."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, start_serve, stop_serve

WORKERS = 2


def wait_all_workers(server: LiveServer, timeout: float = 20) -> None:
    """Worker 0 serves first; the others start once it has: wait until each answered."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while seen != set(range(WORKERS)):
        assert time.monotonic() < deadline, f"workers answering: {seen}"
        with httpx.Client(base_url=server.base, timeout=5) as client:
            seen.add(int(client.get("/api/health").headers["x-satchel-worker"]))


@pytest.fixture(scope="module")
def workers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("workers") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    server = start_serve(data, f"--workers={WORKERS}", env={"SATCHEL_WORKER_HEADER": "1"})
    wait_all_workers(server)
    try:
        yield server
    finally:
        status = stop_serve(server, timeout=15)
        assert status == 0, f"satchel serve --workers did not exit cleanly ({status}):\n{server.stderr}"
