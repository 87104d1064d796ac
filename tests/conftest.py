"""Shared fixtures: a real App on a real SQLite file in a temporary pb_data, or on PostgreSQL."""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser
from tests.pg_support import SharedDatabase

SUPERUSER_EMAIL = "test@example.com"  # as in the PocketBase captures
SUPERUSER_PASSWORD = "1234567890"
FIXTURES = Path(__file__).parent / "fixtures"


_CRASH_LOG = os.environ.get("SATCHEL_CRASH_LOG")  # set by tests/run_pytest.sh
_crash_log: TextIO | None = None  # open until the process ends (faulthandler writes to it)


@pytest.hookimpl(trylast=True)  # after pytest's own faulthandler set-up, which this replaces
def pytest_configure(config: pytest.Config) -> None:
    """Under tests/run_pytest.sh, a fatal signal's traceback of every thread goes to the
    crash log after the name of the test that was running (see pytest_runtest_logstart)."""
    global _crash_log
    if _CRASH_LOG:
        _crash_log = open(_CRASH_LOG, "a", buffering=1)  # noqa: SIM115 (open until the process ends)
        faulthandler.enable(file=_crash_log, all_threads=True)


def pytest_runtest_logstart(nodeid: str) -> None:
    if _crash_log is not None:
        _crash_log.write(f"started {nodeid}\n")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "pb_data"


# Which database the ``app`` fixture (and the e2e live server) runs on.  The API and
# end-to-end tests run on both: tests/api/conftest.py and tests/e2e/conftest.py parametrize
# ``db_kind`` with "sqlite" and "postgresql" (a test or module marked
# ``sqlite_only("why")`` keeps SQLite alone).  Elsewhere it is SQLite, or PostgreSQL with
# SATCHEL_TEST_DB=postgresql.
TEST_DB = os.environ.get("SATCHEL_TEST_DB", "sqlite")
DB_KINDS = ("sqlite", "postgresql")


def parametrize_db_kind(metafunc: pytest.Metafunc, pending: frozenset[str] = frozenset()) -> None:
    """Run a test that uses ``db_kind`` on both databases, unless it is marked ``sqlite_only``
    (or its module is in ``pending``: not yet green on PostgreSQL; SATCHEL_TEST_PG_PENDING=1 runs them)."""
    if "db_kind" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("sqlite_only")
    if marker is not None:
        assert marker.args and str(marker.args[0]).strip(), "sqlite_only needs a one-line reason"
    pending_too = os.environ.get("SATCHEL_TEST_PG_PENDING") == "1"  # to work on them
    is_pending = not pending_too and metafunc.module.__name__.rpartition(".")[2] in pending
    alone = marker is not None or is_pending
    kinds = ["sqlite"] if alone else list(DB_KINDS)
    metafunc.parametrize("db_kind", kinds, indirect=True, scope="module")


@pytest.fixture(scope="module")
def db_kind(request: pytest.FixtureRequest) -> str:
    kind: str = getattr(request, "param", TEST_DB)
    return kind


@pytest.fixture(scope="session")
def shared_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDatabase]:
    """One PostgreSQL database for the session, bootstrapped with the superuser, reset per user."""

    def bootstrap(url: str) -> None:
        application = App(Config(data_dir=tmp_path_factory.mktemp("pg-seed") / "pb_data", db=url))
        try:
            upsert_superuser(
                application.db, application.records, application.registry, SUPERUSER_EMAIL, SUPERUSER_PASSWORD
            )
        finally:
            application.close()

    database = SharedDatabase(bootstrap)
    try:
        yield database
    finally:
        database.drop()


@pytest.fixture
def app(data_dir: Path, db_kind: str, request: pytest.FixtureRequest) -> Iterator[App]:
    if db_kind == "postgresql":
        shared: SharedDatabase = request.getfixturevalue("shared_pg")
        with shared.use() as url:  # reset to the bootstrap, which holds the superuser already
            application = App(Config(data_dir=data_dir, db=url))
            try:
                yield application
            finally:
                application.close()
        return
    application = App(Config(data_dir=data_dir))
    try:
        upsert_superuser(
            application.db, application.records, application.registry, SUPERUSER_EMAIL, SUPERUSER_PASSWORD
        )
        yield application
    finally:
        application.close()


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090", client=("127.0.0.1", 50000)) as c:
        yield c


@pytest.fixture
def su_token(client: TestClient) -> str:
    r = client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD},
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


@pytest.fixture
def su(client: TestClient, su_token: str) -> TestClient:
    """A client that sends the superuser token on every request."""
    client.headers["Authorization"] = su_token
    return client


@pytest.fixture
def user_token(app: App, client: TestClient) -> str:
    """A token of user@example.com / 1234567890 in the stock ``users`` collection."""
    users = app.registry.get("users")
    assert users is not None
    values = app.records.new_auth_values(users, "user@example.com", "1234567890")
    values.update(id="testuser0000001", name="Test User")  # as in the PocketBase captures
    app.db.write_sync(lambda tx: app.records.insert_sync(tx, users, values))
    r = client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "user@example.com", "password": "1234567890"},
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token
