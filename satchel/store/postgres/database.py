"""One PostgreSQL database with the SQLite store's interface and guarantees.

A :class:`satchel.store.database.Database` whose connections are PostgreSQL's:
the write path (one writer thread and connection, nested writes as SAVEPOINTs,
``after_commit`` / ``in_commit_order`` / ``after_rollback`` callbacks, the
``serve --workers`` write gate) is the base class's own code, running on a
:class:`PgConnection`; reads run on a small thread pool with connections from
a psycopg pool.

Across *nodes* the writes are serialized too: the base's ``BEGIN IMMEDIATE``
becomes ``BEGIN`` plus one transaction-scoped advisory lock (see
:mod:`.connection`).  That keeps SQLite's "one writer" semantics the record and
collection code rely on (unique checks, the schema cache), at the price of write
throughput that does not grow with nodes; reads, the bulk of PocketBase traffic,
scale out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, TypeVar, cast

import apsw
import psycopg
from psycopg_pool import ConnectionPool

from satchel.store.connection import QueryTimeout
from satchel.store.database import Database, Tx
from satchel.store.postgres.connection import WRITE_LOCK_KEY, PgConnection, configure_adapters
from satchel.store.postgres.functions import install_functions

__all__ = ["WRITE_LOCK_KEY", "PgDatabase"]

log = logging.getLogger("satchel.store")

T = TypeVar("T")


class PgDatabase(Database):
    """A :class:`Database` (same methods, same contract) on PostgreSQL.

    ``__init__`` does not call the base's: it opens PostgreSQL connections, and
    the methods that touch SQLite itself (reads, rollback, snapshots) are overridden.
    """

    snapshots = False  # backups are pg_dump's job (the backups API says so)
    writes_here = False  # every statement is a network round trip: never on the event loop

    def __init__(
        self,
        url: str,
        *,
        dev: bool = False,
        query_timeout: float = 30.0,
        readers: int = 4,
    ) -> None:
        self.path = url
        self.url = url
        self.dev = dev
        self.query_timeout = query_timeout
        self._pg_writer = self._connect()
        install_functions(self._pg_writer)
        # the base's write path runs on it: PgConnection has apsw.Connection's surface
        self._writer = cast(apsw.Connection, self._pg_writer)
        self._write_lock = threading.RLock()
        self._write_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="satchel-writer")
        self._read_pool = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="satchel-reader")
        # readers + read_here (CLI, tests) + the CLI / writer-side reads
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=readers + 4,
            kwargs={"autocommit": True},
            configure=self._configure,
            check=ConnectionPool.check_connection,
            open=True,
            name="satchel-readers",
        )
        self._local = threading.local()
        self._closed = False
        self.gate = None

    # -- connections -------------------------------------------------------

    def _configure(self, raw: psycopg.Connection[Any]) -> None:
        configure_adapters(raw)
        self._default_timeout(raw)

    def _default_timeout(self, raw: psycopg.Connection[Any]) -> None:
        if self.query_timeout and self.query_timeout > 0:
            raw.execute(f"SET statement_timeout = {int(self.query_timeout * 1000)}")

    def _connect(self) -> PgConnection:
        raw = psycopg.connect(self.url, autocommit=True)
        configure_adapters(raw)
        return PgConnection(raw)

    @contextmanager
    def _pg_reader(self) -> Iterator[PgConnection]:
        """A pooled connection for this thread; a nested read reuses the outer one."""
        held: PgConnection | None = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._pool.connection() as raw:
            conn = PgConnection(raw)
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    # -- sync API ------------------------------------------------------------

    def read_sync(self, fn: Callable[[Any], T], *, timeout: float | None = None) -> T:
        with self._pg_reader() as conn:
            custom = timeout is not None and timeout != self.query_timeout
            if custom:
                conn.raw.execute(f"SET statement_timeout = {int((timeout or 0) * 1000)}")
            try:
                return fn(conn)
            except apsw.InterruptError as exc:
                raise QueryTimeout("query timed out") from exc
            finally:
                if custom and not conn.broken:
                    with suppress(psycopg.Error):
                        self._default_timeout(conn.raw)

    def read_here(self, fn: Callable[[Any], T]) -> T:
        return self.read_sync(fn)

    async def read_small(self, fn: Callable[[Any], T]) -> T:
        # a network round trip: never on the event loop, however small the read
        return await self.read(fn)

    async def read_key(self, fn: Callable[[Any], T]) -> T:
        return await self.read(fn)

    def _roll_back(self, tx: Tx) -> None:
        writer = self._pg_writer
        try:
            if not writer.broken and not writer.getautocommit():
                writer.raw.execute("ROLLBACK")
        except psycopg.Error as exc:
            log.error("ROLLBACK failed: %s", exc)
        for undo in tx._after_rollback:
            try:
                undo()
            except Exception:  # noqa: BLE001 - every undo gets its turn
                log.exception("after-rollback callback failed")
        if writer.broken or not writer.getautocommit():
            log.error("the writer connection is lost or stuck in a transaction; reconnecting")
            with suppress(psycopg.Error):
                writer.close()
            try:
                self._pg_writer = self._connect()
            except psycopg.Error as exc:  # the server is away: the next write tries again
                log.error("reconnecting the writer failed: %s", exc)
                self._pg_writer = writer
            self._writer = cast(apsw.Connection, self._pg_writer)

    def snapshot_to(self, dest: str) -> None:
        raise NotImplementedError("backups of a PostgreSQL database are made with pg_dump")

    def optimize(self) -> None:
        """Refresh the planner statistics (the daily cron); autovacuum does the rest."""
        with self._write_lock:
            self._pg_writer.execute("ANALYZE")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._read_pool.shutdown(wait=True)
        self._write_pool.shutdown(wait=True)
        self._pool.close()
        with self._write_lock, suppress(psycopg.Error):
            self._pg_writer.close()
