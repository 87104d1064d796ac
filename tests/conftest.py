"""Shared fixtures: a real App on a real SQLite file in a temporary pb_data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.superusers import upsert_superuser

SUPERUSER_EMAIL = "admin@example.com"
SUPERUSER_PASSWORD = "1234567890"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "pb_data"


@pytest.fixture
def app(data_dir: Path) -> Iterator[App]:
    application = App(Config(data_dir=data_dir))
    upsert_superuser(application.db, application.records, application.registry, SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    yield application
    application.close()


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(build_asgi(app), base_url="http://127.0.0.1:8090") as c:
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
