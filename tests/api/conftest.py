"""The API tests run on SQLite and on PostgreSQL: every test that uses the ``app`` fixture
(directly or through ``client``/``su``) runs once per database, grouped by module."""

from __future__ import annotations

import pytest

from tests.conftest import parametrize_db_kind

# modules whose PostgreSQL leg is still being made green (this set only shrinks)
PG_PENDING = frozenset(
    [
        "test_body_limits",
        "test_collections_atomic",
        "test_collections_oracle",
        "test_crons",
        "test_external_auths",
        "test_field_rules",
        "test_files",
        "test_files_oracle",
        "test_files_s3",
        "test_legacy_admin_replay",
        "test_legacy_collections",
        "test_logs",
        "test_mail_oracle",
        "test_oauth2_avatar",
        "test_oracle_replay",
        "test_pocketbase_pb_data",
        "test_rate_limit",
        "test_realtime_api",
        "test_realtime_load",
        "test_records_oracle",
        "test_records_pb_data",
        "test_records_security",
        "test_records_write",
        "test_route_order",
        "test_settings_collections_oracle",
        "test_sql",
        "test_trusted_proxy",
    ]
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_db_kind(metafunc, PG_PENDING)
