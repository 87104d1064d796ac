"""``Database.write(here_if_idle=True)``: a small write runs on the calling thread (the
event loop) when the writer is idle, and goes to the writer thread otherwise, never
making the loop wait for a lock another program holds."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import apsw
import pytest

from satchel.store.connection import BUSY_TIMEOUT_MS
from satchel.store.database import Database, Tx
from satchel.store.write_gate import WriteGate


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(str(tmp_path / "data.db"))
    database.write_sync(lambda tx: tx.execute("CREATE TABLE t (v INTEGER)"))
    return database


def values(db: Database) -> list[int]:
    return [r[0] for r in db.read_sync(lambda c: c.execute("SELECT v FROM t ORDER BY v").fetchall())]


def insert(value: int, threads: list[int], committed: list[int] | None = None) -> Callable[[Tx], int]:
    def fn(tx: Tx) -> int:
        threads.append(threading.get_ident())
        tx.execute("INSERT INTO t VALUES (?)", (value,))
        if committed is not None:
            tx.after_commit(lambda: committed.append(value))
        return value

    return fn


def test_idle_writer_runs_the_write_on_the_loop(db: Database) -> None:
    threads: list[int] = []
    committed: list[int] = []

    async def run() -> int:
        return await db.write(insert(1, threads, committed), here_if_idle=True)

    assert asyncio.run(run()) == 1
    assert threads == [threading.get_ident()] and committed == [1] and values(db) == [1]
    # without the flag the write still goes to the writer thread
    asyncio.run(db.write(insert(2, threads)))
    assert threads[1] != threading.get_ident() and values(db) == [1, 2]
    db.close()


def test_a_failing_write_on_the_loop_rolls_back(db: Database) -> None:
    undone: list[str] = []

    def fn(tx: Tx) -> None:
        tx.execute("INSERT INTO t VALUES (1)")
        tx.after_rollback(lambda: undone.append("x"))
        raise ValueError("boom")

    with pytest.raises(ValueError):
        asyncio.run(db.write(fn, here_if_idle=True))
    assert values(db) == [] and undone == ["x"]
    asyncio.run(db.write(insert(3, []), here_if_idle=True))
    assert values(db) == [3]
    db.close()


def write_while_ticking(db: Database, fn: Callable[[Tx], object], release: Callable[[], None]) -> list[float]:
    """``db.write(fn, here_if_idle=True)`` while ``release`` runs on a thread, with a task
    ticking every 20 ms: the ticks it returns show the loop never stood still."""
    ticks: list[float] = []

    async def run() -> None:
        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.02)

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        threading.Thread(target=release).start()
        await db.write(fn, here_if_idle=True)
        tick.cancel()

    asyncio.run(run())
    return ticks


def test_another_programs_lock_sends_the_write_to_the_writer_thread(db: Database, tmp_path: Path) -> None:
    other = apsw.Connection(str(tmp_path / "data.db"))
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (9)")
    threads: list[int] = []

    def release() -> None:
        time.sleep(0.5)
        other.execute("COMMIT")

    ticks = write_while_ticking(db, insert(1, threads), release)
    # the write waited for the other program's COMMIT on the writer thread, the loop kept running
    assert threads and threads[0] != threading.get_ident()
    assert values(db) == [1, 9]
    assert len(ticks) >= 10, ticks
    # the writer connection waits again as PocketBase's does
    assert db.write_sync(lambda tx: tx.execute("PRAGMA busy_timeout").fetchall()) == [(BUSY_TIMEOUT_MS,)]
    other.close()
    db.close()


def test_a_free_gate_lets_the_write_run_on_the_loop(db: Database, tmp_path: Path) -> None:
    """``serve --workers``: the gate is free, so the write runs inline, numbered under the
    gate, and leaves the gate free for the other workers."""
    db.gate = gate = WriteGate(str(tmp_path / "data.gate"))
    sibling = WriteGate(str(tmp_path / "data.gate"))  # another worker's open file: its own flock
    threads: list[int] = []
    seen: list[tuple[int, bool]] = []

    def fn(tx: Tx) -> None:
        threads.append(threading.get_ident())
        tx.execute("INSERT INTO t VALUES (1)")
        tx.in_commit_order(lambda: seen.append((db.commit_seq(), gate.held)))

    asyncio.run(db.write(fn, here_if_idle=True))
    assert threads == [threading.get_ident()] and values(db) == [1]
    assert seen == [(1, True)] and not gate.held
    assert sibling.try_enter()  # released
    sibling.__exit__(None, None, None)
    db.close()
    gate.close()
    sibling.close()


def test_a_gate_held_by_another_worker_sends_the_write_to_the_writer_thread(db: Database, tmp_path: Path) -> None:
    db.gate = gate = WriteGate(str(tmp_path / "data.gate"))
    sibling = WriteGate(str(tmp_path / "data.gate"))
    with sibling:
        sibling.advance()  # the sibling's commit number 1
    assert sibling.try_enter()
    threads: list[int] = []
    seqs: list[int] = []

    def fn(tx: Tx) -> None:
        threads.append(threading.get_ident())
        tx.execute("INSERT INTO t VALUES (2)")
        tx.in_commit_order(lambda: seqs.append(db.commit_seq()))

    def release() -> None:
        time.sleep(0.5)
        sibling.__exit__(None, None, None)

    ticks = write_while_ticking(db, fn, release)
    # the loop never slept in flock: the writer thread waited for the sibling, then numbered after it
    assert threads and threads[0] != threading.get_ident()
    assert values(db) == [2] and seqs == [2] and not gate.held
    assert len(ticks) >= 10, ticks
    db.close()
    gate.close()
    sibling.close()
