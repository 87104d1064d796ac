"""A real ``satchel serve --workers=2`` per test module (superuser made by the CLI first),
with ``x-satchel-worker`` on every response so a test knows which worker answered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, start_serve, stop_serve

WORKERS = 2


@pytest.fixture(scope="module")
def workers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("workers") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    server = start_serve(data, f"--workers={WORKERS}", env={"SATCHEL_WORKER_HEADER": "1"})
    try:
        yield server
    finally:
        status = stop_serve(server, timeout=15)
        assert status == 0, f"satchel serve --workers did not exit cleanly ({status}):\n{server.stderr}"
