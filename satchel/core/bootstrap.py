"""Make a data dir usable: system tables, system collections, default settings.

A fresh pb_data gets exactly what a fresh PocketBase 0.40 creates (the system
collections come from ``system_collections.json``, captured from the binary);
an existing one, made by PocketBase or by Satchel, is opened as it is.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

from satchel.core.collections import auth_options
from satchel.core.collections.model import Collection
from satchel.core.collections.registry import write_collection_row
from satchel.core.settings.model import default_settings, encode_param_value, settings_to_storage_json
from satchel.store.bootstrap import create_aux_tables, create_data_tables, has_table
from satchel.store.database import Database, Tx
from satchel.store.dialect import SqliteDialect
from satchel.tools.timeutil import now_text

__all__ = ["bootstrap_data_dir", "system_collections"]


@cache
def _system_rows() -> list[dict[str, Any]]:
    # a file next to this module (importlib.resources would import zipfile at start-up)
    raw = Path(__file__).with_name("system_collections.json").read_bytes()
    rows: list[dict[str, Any]] = orjson.loads(raw)["collections"]
    return rows


def system_collections() -> list[Collection]:
    """Fresh copies of the six system collections, with new token secrets."""
    out = []
    now = now_text()
    for row in _system_rows():
        c = Collection.from_row(orjson.loads(orjson.dumps(row)))
        if c.is_auth:
            auth_options.ensure_secrets(c.options)
        c.created = c.updated = now
        out.append(c)
    return out


def _create_system(tx: Tx, dialect: SqliteDialect, encryption_key: str | None) -> None:
    # the DDL planner only for a new data dir: opening one made before needs none of it
    from satchel.core.collections.schema_sync import plan_create

    if not create_data_tables(tx.conn):
        return
    for c in system_collections():
        write_collection_row(tx.conn, c, insert=True)
        for stmt in plan_create(dialect, c):
            tx.execute(stmt)
    value = encode_param_value(settings_to_storage_json(default_settings()), encryption_key)
    now = now_text()
    tx.execute(
        "INSERT INTO `_params` (`id`, `value`, `created`, `updated`) VALUES ('settings', :value, :now, :now)",
        {"value": value, "now": now},
    )


def bootstrap_data_dir(db: Database, aux_db: Database, dialect: SqliteDialect, *, encryption_key: str | None) -> None:
    """Create what a fresh data dir lacks.  A complete one is only read: another process
    (a backup, a ``sqlite3`` shell) may hold the write lock, and PocketBase starts then."""
    if not aux_db.read_sync(lambda conn: has_table(conn, "_logs")):
        aux_db.write_sync(lambda tx: create_aux_tables(tx.conn))
    if not db.read_sync(lambda conn: has_table(conn, "_collections")):
        db.write_sync(lambda tx: _create_system(tx, dialect, encryption_key))
