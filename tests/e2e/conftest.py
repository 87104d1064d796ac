"""A real ``satchel serve`` per test module: superuser created by the CLI first, stopped with
SIGTERM at the end, which must be a clean exit (status 0) within a few seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, start_serve, stop_serve


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("e2e") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f'Successfully saved superuser "{EMAIL}"!'
    server = start_serve(data)
    try:
        yield server
    finally:
        status = stop_serve(server)
        assert status == 0, f"satchel serve did not exit cleanly on SIGTERM ({status}):\n{server.stderr}"
