"""``satchel db copy``: move an app's data between SQLite (a pb_data) and PostgreSQL, both ways.

The target must be empty.  Its system tables are made as a fresh start makes
them, then every collection of the source is written as a ``_collections`` row
and its table created in the target's dialect; the rows are copied table by
table in batches (indexes are created after the rows, which is faster), then
``_params`` and ``_migrations``.  Everything runs in one write transaction of
the target: a failure leaves it empty.  The copy is verified by counting the
rows of every collection on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from satchel.core.collections.registry import load_collections, write_collection_row
from satchel.core.collections.schema_sync import plan_create
from satchel.errors import BadRequestError
from satchel.store.bootstrap import create_data_tables, has_table
from satchel.store.database import Database, Tx
from satchel.store.dialect import SqliteDialect

__all__ = ["CopyCount", "copy_database"]

BATCH = 500
# kinds whose column holds a number / a 0-1 flag: the values are normalized on the way
_NUMBER_TYPES = frozenset({"number"})
_BOOL_TYPES = frozenset({"bool"})


@dataclass(frozen=True)
class CopyCount:
    """Rows of one collection in the source and, after the copy, in the target."""

    collection: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


Progress = Callable[[str, int, int], None]  # (collection, rows copied so far, rows in all)


def _count(conn: Any, d: SqliteDialect, table: str) -> int:
    row = conn.execute(f"SELECT COUNT(*) FROM {d.q(table)}").fetchone()
    return int(row[0]) if row else 0


def _number(value: Any) -> Any:
    if value is None or isinstance(value, int | float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0


def _flag(value: Any) -> int:
    if isinstance(value, str):
        return 1 if value.lower() in ("1", "true", "t") else 0
    return 1 if value else 0


def _plain(value: Any) -> Any:
    """A BLOB of text (PocketBase stores the settings JSON so) as text: PostgreSQL's
    columns are TEXT, and a bytea sent there would be stored as its hex form."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _rows(conn: Any, d: SqliteDialect, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    sql = d.select_columns(table, columns) + f" ORDER BY {d.rowid(None)}"
    yield from conn.execute(sql)


def copy_database(
    source: Database, source_dialect: SqliteDialect, target: Database, target_dialect: SqliteDialect,
    progress: Progress | None = None,
) -> list[CopyCount]:  # fmt: skip
    """Copy everything; the per-collection counts (a mismatch is reported, not raised)."""
    if target.read_sync(lambda conn: has_table(conn, "_collections")):
        raise BadRequestError("The target database is not empty (it has a _collections table).")

    def read_all(conn: Any) -> tuple[list[Any], list[tuple[Any, ...]], list[tuple[Any, ...]], dict[str, int]]:
        collections = load_collections(conn)
        params = list(conn.execute("SELECT id, value, created, updated FROM `_params`"))
        migrations = list(conn.execute("SELECT file, applied FROM `_migrations`"))
        counts = {c.name: _count(conn, source_dialect, c.name) for c in collections if not c.is_view}
        return collections, params, migrations, counts

    collections, params, migrations, counts = source.read_sync(read_all, timeout=0)

    def write(tx: Tx) -> None:
        create_data_tables(tx.conn)
        tx.execute("DELETE FROM `_migrations`")
        tx.conn.executemany("INSERT INTO `_migrations` (file, applied) VALUES (?, ?)", migrations)
        tx.conn.executemany(
            "INSERT INTO `_params` (id, value, created, updated) VALUES (?, ?, ?, ?)",
            [tuple(_plain(v) for v in row) for row in params],
        )
        indexes: list[str] = []
        for c in collections:
            write_collection_row(tx.conn, c, insert=True)
            if c.is_view:
                continue
            create, *idx = plan_create(target_dialect, c)
            tx.execute(create)
            indexes.extend(idx)
            _copy_rows(tx, c, counts[c.name], progress)
        for c in collections:  # views last: they may read any table
            if c.is_view:
                for stmt in plan_create(target_dialect, c):
                    tx.execute(stmt)
        for stmt in indexes:
            tx.execute(stmt)

    def _copy_rows(tx: Tx, c: Any, total: int, progress: Progress | None) -> None:
        columns = [f.name for f in c.fields]
        fix = [
            _number if f.type in _NUMBER_TYPES else _flag if f.type in _BOOL_TYPES else _plain for f in c.fields
        ]
        marks = ", ".join("?" for _ in columns)
        insert = f"INSERT INTO {target_dialect.q(c.name)} ({', '.join(target_dialect.q(n) for n in columns)}) VALUES ({marks})"
        done = 0

        def batches(conn: Any) -> None:
            nonlocal done
            batch: list[tuple[Any, ...]] = []
            for row in _rows(conn, source_dialect, c.name, columns):
                batch.append(tuple(f(v) for v, f in zip(row, fix, strict=True)))
                if len(batch) >= BATCH:
                    tx.conn.executemany(insert, batch)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(c.name, done, total)
            if batch:
                tx.conn.executemany(insert, batch)
                done += len(batch)
            if progress:
                progress(c.name, done, total)

        source.read_sync(batches, timeout=0)

    target.write_sync(write)

    def verify(conn: Any) -> list[CopyCount]:
        return [CopyCount(name, n, _count(conn, target_dialect, name)) for name, n in counts.items()]

    return target.read_sync(verify, timeout=0)
