"""One SQLite database file: a single writer, concurrent readers under WAL.

Database work is plain synchronous code of a connection (Datasette's habit);
this module decides where it runs.  Writes go through one connection guarded
by a lock and run on one dedicated thread, so they are serialized without
``SQLITE_BUSY`` retries.  Reads run on a small pool of threads, each with its
own connection, so a slow query never blocks the event loop nor the writer;
``query_timeout`` interrupts runaway SELECTs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from typing import Any, TypeVar

import apsw

from satchel.store.connection import BUSY_TIMEOUT_MS, QueryTimeout, open_connection, set_deadline
from satchel.store.errors import STORAGE_ERRORS, WriteFailed
from satchel.store.write_gate import Gate

__all__ = ["Database", "Tx", "WriteFailed"]

log = logging.getLogger("satchel.store")

T = TypeVar("T")


class _WriterBusy(Exception):
    """BEGIN found SQLite's write lock taken by another connection (no waiting asked)."""


class Tx:
    """A write transaction: the connection plus callbacks to run after COMMIT."""

    __slots__ = ("_after_commit", "_after_rollback", "_in_order", "conn")

    def __init__(self, conn: apsw.Connection) -> None:
        self.conn = conn
        self._after_commit: list[Callable[[], None]] = []
        self._after_rollback: list[Callable[[], None]] = []
        self._in_order: list[Callable[[], None]] = []

    def in_commit_order(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` right after COMMIT, before the next write of any process may
        commit (announcing record events in commit order); keep it short."""
        self._in_order.append(callback)

    def execute(self, sql: str, params: Any = None) -> apsw.Cursor:
        return self.conn.execute(sql, params)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never on rollback)."""
        self._after_commit.append(callback)

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has rolled back (e.g. to remove uploads)."""
        self._after_rollback.append(callback)


class Database:
    # snapshot_to() works: the backups API may zip this database
    snapshots = True
    # a small write may run on the calling thread (``write(here_if_idle=True)``): a local
    # file, whose BEGIN can be told not to wait
    writes_here = True

    def __init__(
        self,
        path: str,
        *,
        dev: bool = False,
        query_timeout: float = 30.0,
        readers: int = 4,
    ) -> None:
        self.path = path
        self.dev = dev
        self.query_timeout = query_timeout
        self._writer = open_connection(path, dev=dev)
        self._write_lock = threading.RLock()
        self._write_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="satchel-writer")
        self._read_pool = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="satchel-reader")
        self._local = threading.local()
        self._readers: list[apsw.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False
        #: the cross-process write gate of ``serve --workers`` (None: this process is alone)
        self.gate: Gate | None = None

    # -- connections -------------------------------------------------------

    def _reader(self) -> apsw.Connection:
        conn: apsw.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_connection(self.path, dev=self.dev)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    # -- sync API (CLI, migrations, inside worker threads) -------------------

    def read_sync(self, fn: Callable[[apsw.Connection], T], *, timeout: float | None = None) -> T:
        conn = self._reader()
        set_deadline(conn, self.query_timeout if timeout is None else timeout)
        try:
            return fn(conn)
        except apsw.InterruptError as exc:
            raise QueryTimeout("query timed out") from exc
        finally:
            set_deadline(conn, None)

    def read_here(self, fn: Callable[[apsw.Connection], T]) -> T:
        """Run a tiny indexed read on the calling thread (e.g. the event loop).

        For primary-key lookups the hop to a reader thread costs more than the
        query; anything that may scan belongs in :meth:`read`.
        """
        return self.read_sync(fn)

    async def read_small(self, fn: Callable[[apsw.Connection], T]) -> T:
        """A tiny indexed read from a coroutine: here on the loop thread (SQLite is local;
        a hop costs more than the query), on the reader pool for a database across a network."""
        return self.read_sync(fn)

    async def read_key(self, fn: Callable[[apsw.Connection], T]) -> T:
        """One row by primary key (no rule, no join): as :meth:`read_small`, without
        setting a deadline (two calls and a closure each time) on a read that can't run long."""
        return fn(self._reader())

    def write_sync(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in one write transaction.

        Everything from BEGIN to COMMIT is inside the ``try``: a COMMIT the disk
        refuses rolls back like any other failure, so the ``after_rollback``
        callbacks (which remove the uploads) always run.  A storage error
        (disk full, I/O, read-only, locked) is raised as :class:`WriteFailed`.
        """
        outer: Tx | None = getattr(self._local, "tx", None)
        if outer is not None:
            return self._write_nested(outer, fn)
        with self._write_lock, self.gate or nullcontext():
            result, tx = self._write_locked(fn, self._begin)
        self._run_after_commit(tx)
        return result

    def _begin(self) -> None:
        self._writer.execute("BEGIN IMMEDIATE")

    def _begin_without_waiting(self) -> None:
        """BEGIN IMMEDIATE, or :class:`_WriterBusy` at once when another connection (another
        program on the same file) holds the write lock: the caller is the event loop, which
        must not sit out the 10 s busy timeout."""
        self._writer.set_busy_timeout(0)
        try:
            self._writer.execute("BEGIN IMMEDIATE")
        except apsw.BusyError as exc:
            raise _WriterBusy from exc
        finally:
            self._writer.set_busy_timeout(BUSY_TIMEOUT_MS)

    def _write_locked(self, fn: Callable[[Tx], T], begin: Callable[[], None]) -> tuple[T, Tx]:
        """The transaction of :meth:`write_sync`, under the write lock (and the gate):
        its ``after_commit`` callbacks are left to the caller, to run once both are free."""
        tx = Tx(self._writer)
        self._local.tx = tx
        try:
            begin()
            result = fn(tx)
            self._writer.execute("COMMIT")
        except _WriterBusy:
            raise  # nothing began: the caller queues the write for the writer thread
        except BaseException as exc:
            self._roll_back(tx)
            if isinstance(exc, STORAGE_ERRORS):
                raise WriteFailed(exc) from exc
            raise
        finally:
            self._local.tx = None
        if tx._in_order:
            if self.gate is not None:
                self.gate.advance()
            for callback in tx._in_order:
                try:
                    callback()
                except Exception:  # noqa: BLE001 - the write is durable; its answer must say so
                    log.exception("after-commit callback failed")
        return result, tx

    @staticmethod
    def _run_after_commit(tx: Tx) -> None:
        for callback in tx._after_commit:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the write is durable; its answer must say so
                log.exception("after-commit callback failed")

    def current_tx(self) -> Tx | None:
        """The write transaction open on the calling thread (a hook reading inside one)."""
        tx: Tx | None = getattr(self._local, "tx", None)
        return tx

    def _write_nested(self, outer: Tx, fn: Callable[[Tx], T]) -> T:
        """A write inside a write on the same thread (a migration saving collections, a
        hook saving a record) joins the open transaction under a SAVEPOINT: its failure
        undoes only its own statements, its after-commit work waits for the outer COMMIT."""
        tx = Tx(outer.conn)
        self._local.depth = depth = getattr(self._local, "depth", 0) + 1
        name = f"satchel_nested_{depth}"
        try:
            tx.execute(f"SAVEPOINT {name}")
            try:
                result = fn(tx)
            except BaseException:
                with suppress(apsw.Error):  # SQLite may have ended the whole transaction already
                    tx.execute(f"ROLLBACK TO {name}")
                    tx.execute(f"RELEASE {name}")
                for undo in tx._after_rollback:
                    undo()
                raise
            tx.execute(f"RELEASE {name}")
        finally:
            self._local.depth = depth - 1
        outer._after_commit.extend(tx._after_commit)
        outer._after_rollback.extend(tx._after_rollback)
        outer._in_order.extend(tx._in_order)
        return result

    def _roll_back(self, tx: Tx) -> None:
        """ROLLBACK if a transaction is still open, then undo the side effects.

        SQLite may already have rolled back by itself (a failed COMMIT, an
        interrupted statement): a blind ROLLBACK would then raise "no
        transaction is active" and hide the error that matters.
        """
        try:
            if not self._writer.getautocommit():
                self._writer.execute("ROLLBACK")
        except apsw.Error as exc:
            log.error("ROLLBACK failed: %s", exc)
        for undo in tx._after_rollback:
            try:
                undo()
            except Exception:  # noqa: BLE001 - every undo gets its turn
                log.exception("after-rollback callback failed")
        if not self._writer.getautocommit():
            # still inside a transaction nobody can finish: start afresh
            log.error("the writer connection is stuck in a transaction; reopening it")
            with suppress(apsw.Error):
                self._writer.close(True)
            self._writer = open_connection(self.path, dev=self.dev)

    @contextmanager
    def writer(self) -> Iterator[apsw.Connection]:
        """The writer connection outside a transaction (DDL that can't run in one)."""
        with self._write_lock, self.gate or nullcontext():
            yield self._writer

    # -- async API ---------------------------------------------------------

    async def read(self, fn: Callable[[apsw.Connection], T], *, timeout: float | None = None) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_pool, lambda: self.read_sync(fn, timeout=timeout))

    async def write(self, fn: Callable[[Tx], T], *, here_if_idle: bool = False) -> T:
        """Run ``fn`` in one write transaction on the writer thread.

        ``here_if_idle``: the caller vouches that ``fn`` is a small bounded write that
        neither blocks nor waits for the event loop (no uploads, no password hash, no user
        hook, no unbounded rule); it then runs on the calling thread when no write is under
        way, which saves the two thread hops (~30 us of CPU with uvloop, a tenth of a
        create).  With a cross-process gate (``serve --workers``) only when no other
        worker holds it (a non-blocking ``flock``), and not when another program holds
        SQLite's write lock.
        """
        idle = here_if_idle and self.writes_here and getattr(self._local, "tx", None) is None
        if idle and self._write_lock.acquire(blocking=False):
            gate = self.gate
            tx: Tx | None = None
            try:
                if gate is None or gate.try_enter():
                    try:
                        result, tx = self._write_locked(fn, self._begin_without_waiting)
                    except _WriterBusy:
                        pass  # another program is writing: wait for it on the writer thread
                    finally:
                        if gate is not None:
                            gate.__exit__(None, None, None)
            finally:
                self._write_lock.release()
            if tx is not None:
                self._run_after_commit(tx)
                return result
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_pool, lambda: self.write_sync(fn))

    async def try_write(self, fn: Callable[[Tx], T], what: str) -> T | None:
        """A best-effort side write (a login origin, the bookkeeping of a used OTP):
        ``None``, logged, when the storage refuses it, so the request it belongs to
        goes on as in PocketBase."""
        try:
            return await self.write(fn)
        except WriteFailed as exc:
            log.warning("%s not saved: %s", what, exc)
            return None

    async def on_writer(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the writer thread (it may call :meth:`write_sync`)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_pool, lambda: fn(*args))

    def snapshot_to(self, dest: str) -> None:
        """Copy the database into the new file ``dest`` with SQLite's online backup API.

        All pages are copied in one step, i.e. inside one read transaction: under WAL the
        writers go on meanwhile and the copy holds exactly what was committed when it began.
        The copy is left in rollback-journal mode, one self-contained file.
        """
        source = self._reader()
        target = apsw.Connection(dest)
        try:
            with target.backup("main", source, "main") as backup:
                backup.step(-1)
            target.execute("PRAGMA journal_mode=DELETE").fetchall()
        finally:
            target.close()

    def optimize(self) -> None:
        """Truncate the WAL and let SQLite refresh its planner statistics (the daily cron)."""
        with self._write_lock, self.gate or nullcontext():
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            self._writer.execute("PRAGMA optimize")

    def commit_seq(self) -> int:
        """The commit number of the transaction whose in-order callbacks run now (0 alone)."""
        return self.gate.seq if self.gate is not None else 0

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._read_pool.shutdown(wait=True)
        self._write_pool.shutdown(wait=True)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            with suppress(apsw.Error):
                # optional work: not worth waiting out another process's write lock at exit
                self._writer.set_busy_timeout(200)
                self._writer.execute("PRAGMA optimize")
            self._writer.close()
