"""PostgreSQL as Satchel's database: the store's interface over psycopg 3 (see docs/scaling.md)."""

from satchel.store.postgres.connection import PgConnection, PgCursor, as_apsw_error
from satchel.store.postgres.database import WRITE_LOCK_KEY, PgDatabase
from satchel.store.postgres.dialect import PG_COLUMN_DDL, PgDialect
from satchel.store.postgres.translate import translate

__all__ = [
    "PG_COLUMN_DDL",
    "WRITE_LOCK_KEY",
    "PgConnection",
    "PgCursor",
    "PgDatabase",
    "PgDialect",
    "as_apsw_error",
    "is_postgres_url",
    "translate",
]


def is_postgres_url(value: str) -> bool:
    return value.startswith(("postgresql://", "postgres://"))
