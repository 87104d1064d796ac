"""Opening SQLite connections the way PocketBase configures them.

PocketBase runs every connection with WAL, ``synchronous=NORMAL``, a 10 s busy
timeout, foreign keys on and defensive mode; we do the same so a pb_data shared
between the two behaves identically.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import apsw

__all__ = ["BUSY_TIMEOUT_MS", "QueryTimeout", "open_connection", "set_deadline"]

BUSY_TIMEOUT_MS = 10000

# SQLite's process-wide configuration is left as apsw's import made it.  Changing it
# (memory statistics off, once) needs ``apsw.shutdown()`` first, and connections opened
# after that corrupted memory as soon as threads used them at once: segfaults and aborts
# (tests/store/test_sqlite_config.py, docs/performance.md "Request logs").

PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA journal_size_limit = 200000000",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -32000",
)


class QueryTimeout(Exception):
    """A statement ran past its deadline and was interrupted."""


def _sql_printer(out: Callable[[str], None]) -> Callable[[apsw.Cursor, str, Any], bool]:
    def trace(_cursor: apsw.Cursor, sql: str, _bindings: Any) -> bool:
        out(f"[sql] {sql.strip()}")
        return True

    return trace


def open_connection(path: str, *, dev: bool = False, readonly: bool = False) -> apsw.Connection:
    flags = apsw.SQLITE_OPEN_READONLY if readonly else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    conn = apsw.Connection(path, flags=flags)
    conn.config(apsw.SQLITE_DBCONFIG_DEFENSIVE, 1)
    for pragma in PRAGMAS:
        if readonly and "journal_mode" in pragma:
            continue
        conn.execute(pragma)
    if dev:
        conn.exec_trace = _sql_printer(lambda line: print(line, file=sys.stderr, flush=True))
    return conn


def set_deadline(conn: apsw.Connection, seconds: float | None) -> None:
    """Interrupt statements of ``conn`` that run past ``seconds`` from now.

    A progress handler is cheaper than a watchdog thread: SQLite calls it every
    N virtual machine steps and we compare the clock.
    """
    if not seconds or seconds <= 0:
        conn.set_progress_handler(None)
        return
    deadline = time.monotonic() + seconds

    def check() -> bool:
        return time.monotonic() > deadline

    conn.set_progress_handler(check, 10000)
