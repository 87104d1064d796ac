"""PostgreSQL for the tests: the server of the machine, one fresh database per test.

The server is the one on ``SATCHEL_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432``);
when none answers, ``tests/start_postgres.sh`` installs and starts one (Debian's package)
or the session fails with its message.  PostgreSQL tests are never skipped.
Each test gets ``CREATE DATABASE satchel_t_<random>`` and it is dropped afterwards, so tests
run in any order and in parallel sessions without seeing each other's tables.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

__all__ = ["SERVER_URL", "drop_database", "ensure_server", "fresh_database", "pg_url"]

SERVER_URL = os.environ.get("SATCHEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
_SCRIPT = Path(__file__).parent / "start_postgres.sh"
_started = False


def _admin_url() -> str:
    return SERVER_URL.rstrip("/") + "/postgres"


def ensure_server() -> None:
    """Start the server once per session if it does not answer; fail loudly if impossible."""
    global _started
    if _started:
        return
    try:
        psycopg.connect(_admin_url(), connect_timeout=3).close()
    except psycopg.OperationalError:
        info = psycopg.conninfo.conninfo_to_dict(SERVER_URL)
        env = {
            **os.environ,
            "SATCHEL_TEST_PG_HOST": str(info.get("host", "127.0.0.1")),
            "SATCHEL_TEST_PG_PORT": str(info.get("port", "5432")),
        }
        done = subprocess.run(["bash", str(_SCRIPT)], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.fail(f"PostgreSQL is needed and could not be started:\n{done.stderr}", pytrace=False)
        psycopg.connect(_admin_url(), connect_timeout=10).close()
    _started = True


def fresh_database() -> tuple[str, str]:
    """Create an empty database; returns (its name, its URL)."""
    ensure_server()
    name = "satchel_t_" + secrets.token_hex(6)
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, SERVER_URL.rstrip("/") + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a database of its own for one test (dropped afterwards)."""
    name, url = fresh_database()
    try:
        yield url
    finally:
        drop_database(name)
