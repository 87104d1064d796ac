"""SQLite errors as SQLite (and so PocketBase) words them: ``SQL logic error: ... (1)``."""

from __future__ import annotations

import apsw

__all__ = ["sqlite_error_text"]

# sqlite3_errstr() of the primary result codes we can meet
_ERRSTR = {
    1: "SQL logic error",
    5: "database is locked",
    6: "database table is locked",
    9: "interrupted",
    11: "database disk image is malformed",
    13: "database or disk is full",
    19: "constraint failed",
    20: "datatype mismatch",
    25: "column index out of range",
}


def sqlite_error_text(exc: BaseException) -> str:
    """``SQL logic error: no such table: main.x (1)`` from an apsw exception."""
    text = str(exc)
    prefix, sep, rest = text.partition(": ")
    if sep and prefix.endswith("Error"):
        text = rest
    code = getattr(exc, "result", None)
    if isinstance(exc, apsw.Error) and isinstance(code, int) and code in _ERRSTR:
        return f"{_ERRSTR[code]}: {text} ({code})"
    return text
