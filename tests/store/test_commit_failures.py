"""Database.write_sync when the storage fails: a VFS shim (Python, over SQLite's own
``unix`` VFS) refuses writes on demand, so a COMMIT fails exactly when a test says."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

from satchel.store import database
from satchel.store.connection import PRAGMAS
from satchel.store.database import Database, Tx, WriteFailed
from satchel.store.errors import sqlite_error_text


class FlakyVFS(apsw.VFS):
    """Every write fails with SQLITE_FULL while ``full`` is set."""

    def __init__(self) -> None:
        self.full = False
        super().__init__("satchel-flaky", "unix")

    def xOpen(self, name: Any, flags: list[int]) -> apsw.VFSFile:  # noqa: N802 - apsw's name
        return FlakyFile(self, name, flags)


class FlakyFile(apsw.VFSFile):
    def __init__(self, vfs: FlakyVFS, name: Any, flags: list[int]) -> None:
        self.vfs = vfs
        super().__init__("unix", name, flags)

    def xWrite(self, data: bytes, offset: int) -> None:  # noqa: N802 - apsw's name
        if self.vfs.full:
            raise apsw.FullError("database or disk is full")
        super().xWrite(data, offset)


@pytest.fixture
def vfs() -> Iterator[FlakyVFS]:
    shim = FlakyVFS()
    yield shim
    shim.unregister()


@pytest.fixture
def db(vfs: FlakyVFS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    def open_flaky(path: str, *, dev: bool = False, readonly: bool = False) -> apsw.Connection:
        conn = apsw.Connection(path, vfs="satchel-flaky")
        for pragma in PRAGMAS:
            conn.execute(pragma)
        return conn

    monkeypatch.setattr(database, "open_connection", open_flaky)
    d = Database(str(tmp_path / "data.db"))
    d.write_sync(lambda tx: tx.execute("CREATE TABLE t (x TEXT)"))
    yield d
    vfs.full = False
    d.close()


def _count(d: Database) -> int:
    return int(d.read_sync(lambda conn: conn.execute("SELECT count(*) FROM t").fetchone()[0]))


def test_a_failing_commit_rolls_back_and_runs_the_rollback_callbacks(db: Database, vfs: FlakyVFS) -> None:
    calls: list[str] = []

    def write(tx: Tx) -> str:
        tx.execute("INSERT INTO t VALUES ('lost')")
        tx.after_commit(lambda: calls.append("commit"))
        tx.after_rollback(lambda: calls.append("rollback"))
        vfs.full = True  # the statement is in the page cache; the COMMIT must write the WAL
        return "done"

    with pytest.raises(WriteFailed) as failed:
        db.write_sync(write)
    assert calls == ["rollback"]
    assert str(failed.value) == "database or disk is full (13)"
    assert isinstance(failed.value.cause, apsw.FullError)
    vfs.full = False
    assert _count(db) == 0
    # the writer is usable again, outside any transaction
    assert db.write_sync(lambda tx: tx.execute("INSERT INTO t VALUES ('kept')") and "ok") == "ok"
    assert _count(db) == 1


def test_a_statement_refused_by_the_disk_is_a_write_failure(db: Database, vfs: FlakyVFS) -> None:
    undone: list[bool] = []

    def write(tx: Tx) -> None:
        tx.after_rollback(lambda: undone.append(True))
        vfs.full = True
        # more pages than the cache holds: SQLite must spill them to the file mid-statement
        tx.execute("PRAGMA cache_size = 2")
        tx.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
            "INSERT INTO t SELECT printf('%0500d', i) FROM n"
        )

    with pytest.raises(WriteFailed):
        db.write_sync(write)
    vfs.full = False
    assert undone == [True]
    assert _count(db) == 0


def test_an_interrupted_statement_keeps_its_own_error(db: Database) -> None:
    """SQLite rolls an interrupted write back by itself; a blind ROLLBACK would then
    fail with "no transaction is active" and hide the InterruptError."""
    undone: list[bool] = []

    def write(tx: Tx) -> None:
        tx.after_rollback(lambda: undone.append(True))
        tx.execute("INSERT INTO t VALUES ('first')")
        tx.conn.set_progress_handler(lambda: True, 100)
        try:
            tx.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
                "INSERT INTO t SELECT i FROM n"
            )
        finally:
            tx.conn.set_progress_handler(None)

    with pytest.raises(apsw.InterruptError):
        db.write_sync(write)
    assert undone == [True]
    assert _count(db) == 0
    db.write_sync(lambda tx: tx.execute("INSERT INTO t VALUES ('after')"))
    assert _count(db) == 1


def test_other_errors_roll_back_and_pass_through(db: Database) -> None:
    undone: list[bool] = []

    def write(tx: Tx) -> None:
        tx.after_rollback(lambda: undone.append(True))
        tx.execute("INSERT INTO t VALUES ('x')")
        raise ValueError("a validation problem")

    with pytest.raises(ValueError, match="a validation problem"):
        db.write_sync(write)
    assert undone == [True]
    assert _count(db) == 0


def test_a_failing_callback_neither_hides_a_commit_nor_skips_the_others(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def write(tx: Tx) -> str:
        tx.execute("INSERT INTO t VALUES ('durable')")
        tx.after_commit(lambda: 1 / 0 and None)
        tx.after_commit(lambda: ran.append("second"))
        return "saved"

    with caplog.at_level(logging.ERROR, logger="satchel.store"):
        assert db.write_sync(write) == "saved"
    assert ran == ["second"]
    assert _count(db) == 1
    assert "after-commit callback failed" in caplog.text


def test_a_failing_undo_does_not_skip_the_next_one(db: Database, vfs: FlakyVFS) -> None:
    undone: list[str] = []

    def write(tx: Tx) -> None:
        tx.after_rollback(lambda: 1 / 0 and None)
        tx.after_rollback(lambda: undone.append("second"))
        tx.execute("INSERT INTO t VALUES ('x')")
        vfs.full = True

    with pytest.raises(WriteFailed):
        db.write_sync(write)
    assert undone == ["second"]


def test_try_write_logs_and_goes_on(db: Database, vfs: FlakyVFS, caplog: pytest.LogCaptureFixture) -> None:
    def write(tx: Tx) -> str:
        tx.execute("INSERT INTO t VALUES ('origin')")
        vfs.full = True
        return "saved"

    with caplog.at_level(logging.WARNING, logger="satchel.store"):
        assert asyncio.run(db.try_write(write, "login origin")) is None
    assert "login origin not saved: database or disk is full (13)" in caplog.text
    vfs.full = False
    assert asyncio.run(db.try_write(lambda tx: "fine", "nothing")) == "fine"
    assert _count(db) == 0


def test_sqlite_error_text_says_a_bare_code_once() -> None:
    assert sqlite_error_text(apsw.FullError("database or disk is full")) == "database or disk is full (13)"
    assert sqlite_error_text(apsw.IOError("disk I/O error")) == "disk I/O error (10)"


def test_a_write_failure_is_still_an_apsw_error() -> None:
    """Code that caught the raw error around a write (the log writer) keeps catching it."""
    failed = WriteFailed(apsw.FullError("database or disk is full"))
    assert isinstance(failed, apsw.Error)
    assert isinstance(failed.cause, apsw.FullError)
