"""One PostgreSQL database with the SQLite store's interface and guarantees.

Same shape as :class:`satchel.store.database.Database`: writes run one at a
time on one writer thread and connection (so the domain's check-then-write
code sees no interleaving, as under SQLite's single writer), reads run on a
small thread pool with connections from a psycopg pool, and ``after_commit`` /
``after_rollback`` callbacks behave identically.

Across *nodes* the writes are serialized too: every write transaction first
takes one transaction-scoped advisory lock.  That keeps SQLite's "one writer"
semantics that the record and collection code rely on (unique checks, the
schema cache), at the price of write throughput that does not grow with nodes;
reads, the bulk of PocketBase traffic, scale out.
"""

from __future__ import annotations

import asyncio
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
from satchel.store.errors import STORAGE_ERRORS, WriteFailed
from satchel.store.postgres.connection import PgConnection, configure_adapters
from satchel.store.postgres.functions import install_functions

__all__ = ["WRITE_LOCK_KEY", "PgDatabase"]

log = logging.getLogger("satchel.store")

T = TypeVar("T")

# the advisory lock every write transaction holds (any constant; "satchel" in ASCII)
WRITE_LOCK_KEY = 0x73617463686C


class PgDatabase(Database):
    """A :class:`Database` (same methods, same contract) on PostgreSQL.

    A subclass only so the domain's annotations accept it: nothing of the SQLite
    implementation is used (``__init__`` does not call the base's).
    """

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
        self._write_lock = threading.RLock()
        self._write_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="satchel-writer")
        self._read_pool = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="satchel-reader")
        # readers + the event loop's read_here + the CLI / writer-side reads
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

    def write_sync(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in one write transaction (see the SQLite store for the contract)."""
        with self._write_lock:
            # PgConnection has apsw.Connection's surface: the domain code takes it as one
            tx = Tx(cast(apsw.Connection, self._pg_writer))
            try:
                self._pg_writer.execute("BEGIN")
                self._pg_writer.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
                result = fn(tx)
                self._pg_writer.execute("COMMIT")
            except BaseException as exc:
                self._roll_back(tx)
                if isinstance(exc, STORAGE_ERRORS):
                    raise WriteFailed(exc) from exc
                raise
        for callback in tx._after_commit:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the write is durable; its answer must say so
                log.exception("after-commit callback failed")
        return result

    def _roll_back(self, tx: Tx) -> None:
        try:
            if not self._pg_writer.broken and not self._pg_writer.getautocommit():
                self._pg_writer.raw.execute("ROLLBACK")
        except psycopg.Error as exc:
            log.error("ROLLBACK failed: %s", exc)
        for undo in tx._after_rollback:
            try:
                undo()
            except Exception:  # noqa: BLE001 - every undo gets its turn
                log.exception("after-rollback callback failed")
        if self._pg_writer.broken or not self._pg_writer.getautocommit():
            log.error("the writer connection is lost or stuck in a transaction; reconnecting")
            with suppress(psycopg.Error):
                self._pg_writer.close()
            self._pg_writer = self._connect()

    @contextmanager
    def writer(self) -> Iterator[Any]:
        """The writer connection outside a transaction (DDL that can't run in one)."""
        with self._write_lock:
            yield self._pg_writer

    # -- async API -----------------------------------------------------------

    async def read(self, fn: Callable[[Any], T], *, timeout: float | None = None) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_pool, lambda: self.read_sync(fn, timeout=timeout))

    async def write(self, fn: Callable[[Tx], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_pool, lambda: self.write_sync(fn))

    async def try_write(self, fn: Callable[[Tx], T], what: str) -> T | None:
        try:
            return await self.write(fn)
        except WriteFailed as exc:
            log.warning("%s not saved: %s", what, exc)
            return None

    async def on_writer(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_pool, lambda: fn(*args))

    def snapshot_to(self, dest: str) -> None:
        raise NotImplementedError("backups of a PostgreSQL database are made with pg_dump")

    def optimize(self) -> None:
        """Refresh the planner statistics (the daily cron); PostgreSQL's autovacuum does the rest."""
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
