"""Shared fixtures: a real App on a real SQLite file in a temporary pb_data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser

SUPERUSER_EMAIL = "test@example.com"  # as in the PocketBase captures
SUPERUSER_PASSWORD = "1234567890"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "pb_data"


# SATCHEL_TEST_DB=postgresql runs the tests that use this fixture on PostgreSQL
# (a fresh database each), the way tests/api/test_pg_api.py always does
TEST_DB = os.environ.get("SATCHEL_TEST_DB", "sqlite")


@pytest.fixture
def app(data_dir: Path) -> Iterator[App]:
    if TEST_DB == "postgresql":
        from tests.pg_support import drop_database, fresh_database

        name, url = fresh_database()
        config = Config(data_dir=data_dir, db=url)
    else:
        name, config = "", Config(data_dir=data_dir)
    application = App(config)
    try:
        upsert_superuser(application.db, application.records, application.registry, SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
        yield application
    finally:
        application.close()
        if name:
            drop_database(name)


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
        "/api/collections/users/auth-with-password", json={"identity": "user@example.com", "password": "1234567890"}
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token
