"""The write gate of nodes sharing one PostgreSQL database.

Each write transaction already takes a transaction-scoped advisory lock, released
by COMMIT; the record events of that commit are published on the bus just after.
Two nodes could then publish in the opposite order of their commits.  This gate
holds a session-level advisory lock (its own connection) from before BEGIN until
the in-commit-order callbacks have run, so the bus's ``NOTIFY`` calls commit in the
order of the writes they tell of, on every node.
"""

from __future__ import annotations

import contextlib
import logging
from types import TracebackType
from typing import Any

import psycopg

__all__ = ["NODE_GATE_KEY", "PgNodeGate"]

log = logging.getLogger("satchel.store")

# any constant, apart from the write transactions' own lock ("satchel" + 1)
NODE_GATE_KEY = 0x73617463686D


class PgNodeGate:
    def __init__(self, url: str) -> None:
        self.url = url
        self.seq = 0
        self._depth = 0
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True)
        return self._conn

    def __enter__(self) -> PgNodeGate:
        """Only under the database's write lock: one thread of this process at a time."""
        if self._depth == 0:
            try:
                self._connection().execute("SELECT pg_advisory_lock(%s)", (NODE_GATE_KEY,))
            except psycopg.Error:
                # a connection lost between writes: once more on a new one
                self._drop()
                self._connection().execute("SELECT pg_advisory_lock(%s)", (NODE_GATE_KEY,))
        self._depth += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0 and self._conn is not None:
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (NODE_GATE_KEY,))
            except psycopg.Error as error:  # the session is gone, and its lock with it
                log.warning("node write gate: %s", error)
                self._drop()

    def try_enter(self) -> bool:
        return False  # a network round trip: never on the event loop

    def advance(self) -> int:
        self.seq += 1
        return self.seq

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        self._drop()
