"""SQLite errors as SQLite (and so PocketBase) words them: ``SQL logic error: ... (1)``."""

from __future__ import annotations

import apsw

__all__ = ["STORAGE_ERRORS", "WriteFailed", "sqlite_error_text"]

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


# the code of an error raised without one (e.g. by a VFS written in Python)
_CLASS_CODES: dict[type[apsw.Error], int] = {
    apsw.BusyError: 5,
    apsw.LockedError: 6,
    apsw.ReadOnlyError: 8,
    apsw.IOError: 10,
    apsw.CorruptError: 11,
    apsw.FullError: 13,
    apsw.CantOpenError: 14,
    apsw.ProtocolError: 15,
    apsw.NotADBError: 26,
}
_ERRSTR.update({8: "attempt to write a readonly database", 10: "disk I/O error", 14: "unable to open database file"})
_ERRSTR.update({15: "locking protocol", 26: "file is not a database"})

# errors of the storage rather than of the statement: the write could not be made durable
STORAGE_ERRORS: tuple[type[apsw.Error], ...] = tuple(_CLASS_CODES)


def _code(exc: apsw.Error) -> int | None:
    code = getattr(exc, "result", None)
    if isinstance(code, int) and code >= 0:
        return code
    return next((c for cls, c in _CLASS_CODES.items() if isinstance(exc, cls)), None)


def sqlite_error_text(exc: BaseException) -> str:
    """``SQL logic error: no such table: main.x (1)`` from an apsw exception.

    When SQLite's message is the bare text of its code (``database or disk is
    full``) it is said once, as SQLite itself does: ``database or disk is full (13)``.
    """
    text = str(exc)
    prefix, sep, rest = text.partition(": ")
    if sep and prefix.endswith("Error"):
        text = rest
    code = _code(exc) if isinstance(exc, apsw.Error) else None
    if code is not None and code in _ERRSTR:
        if text == _ERRSTR[code]:
            return f"{text} ({code})"
        return f"{_ERRSTR[code]}: {text} ({code})"
    return text


class WriteFailed(apsw.Error):
    """A write transaction the storage refused (disk full, I/O error, read-only,
    locked by another process…): it was rolled back, uploads included, and
    nothing of it was kept.  The API answers PocketBase's 400 for the action.

    An ``apsw.Error`` still, so callers that caught the raw error keep working;
    the store does not log it (the caller does: the log writer must not feed
    on its own failures)."""

    def __init__(self, cause: apsw.Error) -> None:
        super().__init__(sqlite_error_text(cause))
        self.cause = cause
