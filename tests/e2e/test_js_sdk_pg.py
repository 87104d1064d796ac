"""The JS SDK end-to-end tests of records on ``satchel serve --db=postgresql://...``.

Same tests as tests/e2e/test_records_sdk.py (imported: create, list with paging, sort and
filter, full list, expand and fields, update, rules, delete, batch), with the
module's live server on a fresh PostgreSQL database.  ``SATCHEL_TEST_DB=postgresql`` runs
every e2e module that way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import live_server_on
from tests.e2e.serve_support import LiveServer
from tests.e2e.test_records_sdk import *  # noqa: F403 - the same tests, on PostgreSQL
from tests.pg_support import drop_database, fresh_database


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    name, url = fresh_database()
    try:
        yield from live_server_on(tmp_path_factory, {"SATCHEL_DB": url})
    finally:
        drop_database(name)


def test_the_server_is_on_postgresql(live_server: LiveServer) -> None:
    assert not (live_server.data_dir / "data.db").exists()
