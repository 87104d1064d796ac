"""``POST /api/sql``: the superusers' SQL console of PocketBase 0.40 (spec 12 §8).

Queries that change data run in a write transaction and report ``affectedRows``; the others
return at most 1000 rows with every value as text, as PocketBase answers (booleans ``"1"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import apsw

if TYPE_CHECKING:
    from satchel.store.database import Tx

__all__ = [
    "MAX_QUERY_LENGTH",
    "TIMEOUT",
    "SqlResult",
    "is_write_query",
    "select_rows",
    "sqlite_error_text",
    "write_changes",
]

MAX_QUERY_LENGTH = 5000
MAX_ROWS = 1000
TIMEOUT = 180.0
_WRITE_WORDS = frozenset({"INSERT", "CREATE", "UPDATE", "DELETE", "DROP", "DETACH", "ALTER", "REPLACE"})

# sqlite3_errstr() of the primary result codes (the driver PocketBase uses prints them first)
_ERRSTR = {
    1: "SQL logic error", 2: "internal malfunction", 3: "access permission denied", 4: "query aborted",
    5: "database is locked", 6: "database table is locked", 7: "out of memory",
    8: "attempt to write a readonly database", 9: "interrupted", 10: "disk I/O error",
    11: "database disk image is malformed", 13: "database or disk is full", 14: "unable to open database file",
    17: "database schema has changed", 18: "string or blob too big", 19: "constraint failed",
    20: "datatype mismatch", 21: "bad parameter or other API misuse", 25: "column index out of range",
    26: "file is not a database",
}


@dataclass
class SqlResult:
    exec_time_ms: int = 0
    affected_rows: int = 0
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {"execTime": self.exec_time_ms, "affectedRows": self.affected_rows,
                "columns": self.columns, "rows": self.rows}


def is_write_query(query: str) -> bool:
    words = query.strip().split(None, 1)
    return bool(words) and words[0].upper() in _WRITE_WORDS


def sqlite_error_text(exc: apsw.Error) -> str:
    """``SQL logic error: near "SELEC": syntax error (1)``, as PocketBase's driver words it."""
    code = int(getattr(exc, "result", 1) or 1)
    extended = int(getattr(exc, "extendedresult", code) or code)
    return f"{_ERRSTR.get(code & 0xFF, 'unknown error')}: {exc} ({extended})"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def select_rows(conn: apsw.Connection, query: str) -> SqlResult:
    result = SqlResult()
    cursor = conn.execute(query)
    description: Any = None
    for row in cursor:
        current = cursor.get_description()
        if current != description:  # a later statement of the query: its rows replace the earlier ones
            description = current
            result.columns = [{"name": name, "type": decl or "", "nullable": True} for name, decl in current]
            result.rows = []
        if len(result.rows) < MAX_ROWS:
            result.rows.append([_text(v) for v in row])
    return result


def write_changes(tx: Tx, query: str) -> SqlResult:
    tx.execute(query).fetchall()
    return SqlResult(affected_rows=int(tx.conn.changes()))
