"""A real ``satchel serve`` per test module: superuser created by the CLI first, stopped with
SIGTERM at the end, which must be a clean exit (status 0) within a few seconds.  Each module
that uses it runs twice: on SQLite and on PostgreSQL (see ``parametrize_db_kind``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import parametrize_db_kind
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, serving
from tests.pg_support import SharedDatabase

JS = Path(__file__).parent / "js"


@pytest.fixture(autouse=True, scope="session")
def node_sdks() -> None:
    """The SDK tests need node and the npm packages `make test` installs: a missing one
    fails the run instead of skipping the tests."""
    assert shutil.which("node"), "node is missing: install Node.js 20"
    for package in ("pocketbase", "pocketbase-legacy", "eventsource"):
        installed = (JS / "node_modules" / package).exists()
        assert installed, f"npm package {package} missing: run `make test` (or npm ci in {JS})"


def live_server_on(
    tmp_path_factory: pytest.TempPathFactory, env: dict[str, str] | None
) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("e2e") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}", env=env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f'Successfully saved superuser "{EMAIL}"!'
    with serving(data, env=env) as server:
        yield server


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, db_kind: str, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """On PostgreSQL: the session's shared database, reset, instead of data.db."""
    if db_kind != "postgresql":
        yield from live_server_on(tmp_path_factory, None)
        return
    shared: SharedDatabase = request.getfixturevalue("shared_pg")
    with shared.use() as url:
        yield from live_server_on(tmp_path_factory, {"SATCHEL_DB": url})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_db_kind(metafunc)
