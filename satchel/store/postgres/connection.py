"""A psycopg connection with the face the domain code already uses (apsw's).

The domain runs ``conn.execute(sql, params)``, iterates or fetches the cursor,
asks ``cursor.getdescription()``, ``conn.changes()`` and catches apsw's
exception classes.  :class:`PgConnection` gives exactly that over psycopg 3,
so core needs no second code path: statement text is translated once
(:func:`translate`) and PostgreSQL errors are raised as the apsw class that
means the same thing (a unique violation is ``apsw.ConstraintError`` worded
like SQLite's, so the API's per-field "Value must be unique." still works).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import apsw
import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus

from satchel.store.postgres.ddl import is_create_index, rewrite_index
from satchel.store.postgres.translate import translate
from satchel.tools.dbutils import parse_index

__all__ = ["WRITE_LOCK_KEY", "PgConnection", "PgCursor", "as_apsw_error", "configure_adapters"]

# the advisory lock every write transaction holds, on every node (any constant: "satchel")
WRITE_LOCK_KEY = 0x73617463686C


class _BoolAsInt2(Dumper):
    """A Python bool is sent as smallint 0/1: what SQLite stores for it, so a bool
    field's column and every comparison see the same values on both databases."""

    oid = psycopg.adapters.types["int2"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


def configure_adapters(raw: psycopg.Connection[Any]) -> None:
    raw.adapters.register_dumper(bool, _BoolAsInt2)


def as_apsw_error(exc: psycopg.Error) -> apsw.Error:
    """The apsw exception the SQLite store would have raised for the same failure."""
    diag = exc.diag
    text = (diag.message_primary or str(exc)).strip()
    if isinstance(exc, pg_errors.UniqueViolation):
        name = diag.constraint_name or ""
        table = diag.table_name or ""
        if name.endswith("_pkey"):
            return apsw.ConstraintError(f"UNIQUE constraint failed: {table}.id")
        return apsw.ConstraintError(f"UNIQUE constraint failed: index '{name}'")
    if isinstance(exc, pg_errors.IntegrityError):
        return apsw.ConstraintError(f"constraint failed: {text}")
    if isinstance(exc, pg_errors.QueryCanceled):
        return apsw.InterruptError("interrupted")
    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
        return apsw.ReadOnlyError(text)
    if isinstance(exc, pg_errors.DiskFull):
        return apsw.FullError(text)
    if isinstance(exc, psycopg.OperationalError):
        return apsw.IOError(text)
    return apsw.SQLError(text)


def _params(params: Any) -> Any:
    # never None: psycopg then skips placeholder processing and a translated '%%' stays doubled
    return params if params else ()


def _type_name(info: Any) -> str:
    return str(info.name).upper() if info is not None else ""


class PgCursor:
    """apsw.Cursor's reading surface over a psycopg cursor."""

    __slots__ = ("_conn", "_cur")

    def __init__(self, conn: PgConnection, cur: psycopg.Cursor[Any]) -> None:
        self._conn = conn
        self._cur = cur

    def execute(self, sql: str, params: Any = None) -> PgCursor:
        self._conn._run(self._cur, sql, params)
        return self

    def executemany(self, sql: str, seq: Sequence[Any]) -> PgCursor:
        try:
            self._cur.executemany(translate(sql), seq)
        except psycopg.Error as exc:
            raise as_apsw_error(exc) from exc
        self._conn._changes = max(self._cur.rowcount, 0)
        return self

    def getdescription(self) -> tuple[tuple[str, str], ...]:
        """(column name, type name) pairs, as apsw's (name, declared type)."""
        desc = self._cur.description
        if desc is None:
            raise apsw.ExecutionCompleteError("no result")
        types = self._cur.adapters.types
        return tuple((d.name, _type_name(types.get(d.type_code))) for d in desc)

    get_description = getdescription  # apsw's newer name (the SQL console uses it)

    @property
    def description(self) -> tuple[tuple[str, ...], ...] | None:
        desc = self._cur.description
        return None if desc is None else tuple((d.name,) for d in desc)

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._cur.description is None:
            return None
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._cur.description is None:
            return []
        return self._cur.fetchall()

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self._cur.description is None:
            return iter(())
        return iter(self._cur)


class PgConnection:
    """apsw.Connection's surface (execute, cursor, changes, getautocommit) over psycopg.

    The wrapped connection is in autocommit mode: transactions are opened with
    explicit ``BEGIN`` by the store, as on SQLite.
    """

    __slots__ = ("_changes", "_implicit", "_release_commits", "raw")

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._changes = 0
        self._implicit = ""  # the savepoint that opened the transaction (SQLite's rule)
        self._release_commits = False

    def _run(self, cur: psycopg.Cursor[Any], sql: str, params: Any) -> None:
        head = sql.lstrip()[:9].upper()
        if head.startswith("BEGIN") and sql.split()[-1].upper() == "IMMEDIATE":
            # SQLite's write transaction: here one writer among all nodes
            try:
                cur.execute("BEGIN")
                cur.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            except psycopg.Error as exc:
                raise as_apsw_error(exc) from exc
            return
        if head.startswith("CREATE"):
            sql = self._index_statement(sql)
        elif head.startswith(("SAVEPOINT", "RELEASE")):
            self._savepoint(sql, head)
        try:
            cur.execute(translate(sql), _params(params))
        except psycopg.Error as exc:
            raise as_apsw_error(exc) from exc
        self._changes = max(cur.rowcount, 0) if cur.description is None else self._changes
        if self._release_commits:
            self._release_commits = False
            self.raw.execute("COMMIT")

    def _index_statement(self, sql: str) -> str:
        """PocketBase's index text made PostgreSQL's (see :mod:`.ddl`)."""
        if not is_create_index(sql):
            return sql
        table = parse_index(sql).table_name
        rows = self.raw.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        ).fetchall()
        return rewrite_index(sql, [str(r[0]) for r in rows])

    def _savepoint(self, sql: str, head: str) -> None:
        """SQLite opens a transaction for a SAVEPOINT made outside one, and the
        RELEASE of that savepoint commits it; PostgreSQL refuses both: do as SQLite."""
        if head.startswith("SAVEPOINT") and self.getautocommit():
            self.raw.execute("BEGIN")
            self._implicit = sql.split()[1]
        elif head.startswith("RELEASE") and self._implicit and sql.split()[-1] == self._implicit:
            self._implicit = ""
            self._release_commits = True

    def execute(self, sql: str, params: Any = None) -> PgCursor:
        cur = PgCursor(self, self.raw.cursor())
        return cur.execute(sql, params)

    def executemany(self, sql: str, seq: Sequence[Any]) -> PgCursor:
        return PgCursor(self, self.raw.cursor()).executemany(sql, seq)

    def cursor(self) -> PgCursor:
        return PgCursor(self, self.raw.cursor())

    def changes(self) -> int:
        """Rows changed by the last INSERT/UPDATE/DELETE (``sqlite3_changes``)."""
        return self._changes

    def getautocommit(self) -> bool:
        """True when no transaction is open (what apsw's method answers)."""
        return self.raw.info.transaction_status == TransactionStatus.IDLE

    @property
    def broken(self) -> bool:
        return self.raw.closed or self.raw.info.transaction_status == TransactionStatus.UNKNOWN

    def close(self) -> None:
        self.raw.close()
