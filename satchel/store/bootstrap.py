"""The system tables of a fresh pb_data, with PocketBase's exact DDL.

Only the tables that are not collections live here; the system collections
(``_superusers``, ``users``, ``_mfas`` ...) are created by ``core.bootstrap``
through the same code path as any collection.
"""

from __future__ import annotations

import sys
import time

import apsw

__all__ = ["AUX_TABLES", "DATA_TABLES", "PB_MIGRATIONS", "create_aux_tables", "create_data_tables", "has_table"]

DATA_TABLES = (
    "CREATE TABLE `_migrations` (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL)",
    """CREATE TABLE `_params` (
  `id`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
  `value`   JSON DEFAULT NULL,
  `created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
  `updated` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL)""",
    """CREATE TABLE `_collections` (
  `id`         TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
  `system`     BOOLEAN DEFAULT FALSE NOT NULL,
  `type`       TEXT DEFAULT "base" NOT NULL,
  `name`       TEXT UNIQUE NOT NULL,
  `fields`     JSON DEFAULT "[]" NOT NULL,
  `indexes`    JSON DEFAULT "[]" NOT NULL,
  `listRule`   TEXT DEFAULT NULL,
  `viewRule`   TEXT DEFAULT NULL,
  `createRule` TEXT DEFAULT NULL,
  `updateRule` TEXT DEFAULT NULL,
  `deleteRule` TEXT DEFAULT NULL,
  `options`    JSON DEFAULT "{}" NOT NULL,
  `created`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,
  `updated`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL)""",
    "CREATE INDEX idx__collections_type on `_collections` (`type`)",
)

AUX_TABLES = (
    """CREATE TABLE `_logs` (
  `id`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,
  `level`   INTEGER DEFAULT 0 NOT NULL,
  `message` TEXT DEFAULT "" NOT NULL,
  `data`    JSON DEFAULT "{}" NOT NULL,
  `created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL)""",
    "CREATE INDEX idx_logs_level on `_logs` (`level`)",
    "CREATE INDEX idx_logs_message on `_logs` (`message`)",
    "CREATE INDEX idx_logs_created_hour on `_logs` (strftime('%Y-%m-%d %H:00:00', `created`))",
)

# The migrations a PocketBase 0.40 data dir has applied; a Satchel-made pb_data
# records them too so PocketBase opening it runs nothing twice.
PB_MIGRATIONS = (
    "1640988000_init.go",
    "1717233556_v0.23_migrate.go",
    "1717233557_v0.23_migrate2.go",
    "1717233558_v0.23_migrate3.go",
    "1717233559_v0.23_migrate4.go",
    "1763020353_update_default_auth_alert_templates.go",
    "1778828400_normalize_indexes.go",
)
AUX_MIGRATIONS = ("1640988000_aux_init.go",)


def _is_postgres(conn: object) -> bool:
    """A PostgreSQL connection; psycopg is imported only when one is configured (its
    package alone is ~60 ms of start-up and several MB of an SQLite server's memory)."""
    pg = sys.modules.get("satchel.store.postgres.connection")
    return pg is not None and isinstance(conn, pg.PgConnection)


def has_table(conn: apsw.Connection, name: str) -> bool:
    if _is_postgres(conn):
        from satchel.store.postgres import bootstrap as pg_bootstrap

        return pg_bootstrap.has_table(conn, name)
    row = conn.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


def _mark_applied(conn: apsw.Connection, files: tuple[str, ...]) -> None:
    now_us = int(time.time() * 1_000_000)
    for name in files:
        conn.execute("INSERT OR IGNORE INTO `_migrations` (file, applied) VALUES (?, ?)", (name, now_us))


def create_data_tables(conn: apsw.Connection) -> bool:
    """Create the non-collection system tables; False if they already exist."""
    if _is_postgres(conn):
        from satchel.store.postgres import bootstrap as pg_bootstrap

        return pg_bootstrap.create_data_tables(conn, PB_MIGRATIONS + AUX_MIGRATIONS)
    if has_table(conn, "_collections"):
        return False
    for stmt in DATA_TABLES:
        conn.execute(stmt)
    _mark_applied(conn, PB_MIGRATIONS + AUX_MIGRATIONS)
    return True


def create_aux_tables(conn: apsw.Connection) -> bool:
    if has_table(conn, "_logs"):
        return False
    for stmt in AUX_TABLES:
        conn.execute(stmt)
    return True
