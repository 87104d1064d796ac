"""The API tests run on SQLite and on PostgreSQL: every test that uses the ``app`` fixture
(directly or through ``client``/``su``) runs once per database, grouped by module."""

from __future__ import annotations

import pytest

from tests.conftest import parametrize_db_kind

# modules whose PostgreSQL leg is still being made green (this set only shrinks)
PG_PENDING: frozenset[str] = frozenset()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_db_kind(metafunc, PG_PENDING)
