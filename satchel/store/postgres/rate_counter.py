"""Rate-limit counts shared by every node of one PostgreSQL database.

The fixed windows of :mod:`satchel.tools.rate_limit` (PocketBase's algorithm), one row
per limiter and client in the ``UNLOGGED`` table ``_rateLimits``, each request counted
by one atomic ``INSERT … ON CONFLICT DO UPDATE`` on the database's clock (the nodes'
clocks need not agree).  ``UNLOGGED``: counts are not worth a WAL record, and a crash of
PostgreSQL that empties the table only resets them.

One connection per node, used under a lock from a worker thread; a request that cannot
be counted (the database is unreachable) is let through, as a worker's count is while
the counting worker restarts.  Rows idle for half an hour past their window are
deleted at most once an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

import psycopg

__all__ = ["PgRateCounter"]

log = logging.getLogger("satchel.ratelimit")

_CREATE_LOCK = 0x5A7C4E1C  # pg_advisory_xact_lock key of the table's creation
_TABLE = (
    'CREATE UNLOGGED TABLE IF NOT EXISTS "_rateLimits" (key TEXT PRIMARY KEY, available INTEGER NOT NULL, '
    '"last" BIGINT NOT NULL, expires BIGINT NOT NULL, allowed BOOLEAN NOT NULL)'
)
_KEEP_IDLE = 1800  # seconds an idle row outlives its window (as tools/rate_limit.py)
_SWEEP_EVERY = 3600.0
_NOW = "floor(extract(epoch from clock_timestamp()))::bigint"
# the window's requests left once a window that has run out is refilled
_LEFT = f'(CASE WHEN {_NOW} - t."last" >= %(interval)s THEN %(max)s ELSE t.available END)'
_COUNT = f"""
INSERT INTO "_rateLimits" AS t (key, available, "last", expires, allowed)
VALUES (%(key)s, greatest(%(max)s - 1, 0), {_NOW}, {_NOW} + %(interval)s + {_KEEP_IDLE}, %(max)s > 0)
ON CONFLICT (key) DO UPDATE SET
    allowed = {_LEFT} > 0,
    available = CASE WHEN {_LEFT} > 0 THEN {_LEFT} - 1 ELSE {_LEFT} END,
    "last" = CASE WHEN {_LEFT} > 0 THEN {_NOW} ELSE t."last" END,
    expires = CASE WHEN {_LEFT} > 0 THEN {_NOW} + %(interval)s + {_KEEP_IDLE} ELSE t.expires END
RETURNING allowed
"""


class PgRateCounter:
    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None
        self._swept = time.monotonic()
        with psycopg.connect(url) as conn:  # nodes starting together: one creates the table
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
            conn.execute(_TABLE)

    async def allow(self, key: str, max_requests: int, duration: int) -> bool:
        """Count a request of ``key`` (limiter, configuration and client) in its window."""
        return await asyncio.to_thread(self.allow_now, key, max_requests, duration)

    def allow_now(self, key: str, max_requests: int, duration: int) -> bool:
        params = {"key": key, "max": max_requests, "interval": duration}
        with self._lock:
            for attempt in (1, 2):
                try:
                    conn = self._connection()
                    row = conn.execute(_COUNT, params).fetchone()
                    self._sweep(conn)
                    return bool(row and row[0])
                except psycopg.Error as exc:
                    self._drop()
                    if attempt == 2:
                        log.error("rate limit: could not count on PostgreSQL (%s); the request passes", exc)
        return True

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _sweep(self, conn: psycopg.Connection[Any]) -> None:
        if time.monotonic() - self._swept < _SWEEP_EVERY:
            return
        self._swept = time.monotonic()
        conn.execute(f'DELETE FROM "_rateLimits" WHERE expires < {_NOW}')
