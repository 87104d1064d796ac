"""The PostgreSQL store against a real server: same contract as the SQLite store."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import apsw
import psycopg
import pytest

from satchel.store.connection import QueryTimeout
from satchel.store.database import Tx
from satchel.store.errors import WriteFailed
from satchel.store.postgres import PgDatabase
from satchel.store.postgres.translate import translate
from tests.pg_support import pg_url

__all__ = ["pg_url"]


@pytest.fixture
def db(pg_url: str) -> Iterator[PgDatabase]:
    database = PgDatabase(pg_url, readers=2, query_timeout=5)
    database.write_sync(lambda tx: tx.execute('CREATE TABLE "t" (id TEXT PRIMARY KEY, n DOUBLE PRECISION)'))
    yield database
    database.close()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM `t` WHERE `id` = :id", 'SELECT * FROM "t" WHERE "id" = %(id)s'),
        ("SELECT ? , ?", "SELECT %s , %s"),
        ("SELECT 'a:b ? 50%' || :x", "SELECT 'a:b ? 50%%' || %(x)s"),
        ("SELECT x::text, 'it''s :y'", "SELECT x::text, 'it''s :y'"),
        ('SELECT "a:b" FROM `we"ird`', 'SELECT "a:b" FROM "we""ird"'),
        ("SELECT 1 -- :no ?\n, :yes", "SELECT 1 -- :no ?\n, %(yes)s"),
        ("SELECT a % 2", "SELECT a %% 2"),
        ("SELECT recordRef, x.collectionRef FROM _authOrigins WHERE ID = 1", 'SELECT "recordRef", x."collectionRef" FROM "_authOrigins" WHERE ID = 1'),
        ("SELECT * FROM t ORDER BY rowid, `rowid`, myrowid, _rowid_", 'SELECT * FROM t ORDER BY _rowid_, "rowid", myrowid, _rowid_'),
    ],
)
def test_translate(sql: str, expected: str) -> None:
    assert translate(sql) == expected


def test_write_then_read_with_apsw_surface(db: PgDatabase) -> None:
    def insert(tx: Tx) -> int:
        tx.execute("INSERT INTO `t` (id, n) VALUES (:id, :n)", {"id": "a", "n": 1.5})
        tx.execute("INSERT INTO `t` (id, n) VALUES (?, ?)", ("b", 2))
        tx.execute("UPDATE `t` SET n = n + 1")
        return int(tx.conn.changes())

    assert db.write_sync(insert) == 2
    rows = db.read_sync(lambda c: c.execute("SELECT id, n FROM `t` ORDER BY id").fetchall())
    assert rows == [("a", 2.5), ("b", 3.0)]
    cur = db.read_sync(lambda c: c.cursor().execute("SELECT id AS x, n FROM t WHERE id = :i", {"i": "a"}))
    assert [d[0] for d in cur.getdescription()] == ["x", "n"]
    assert db.read_sync(lambda c: c.execute("SELECT 1 WHERE FALSE").fetchone()) is None


def test_after_commit_and_rollback_callbacks(db: PgDatabase) -> None:
    seen: list[str] = []

    def ok(tx: Tx) -> None:
        tx.execute("INSERT INTO t (id) VALUES ('x')")
        tx.after_commit(lambda: seen.append("committed"))
        tx.after_rollback(lambda: seen.append("wrong"))

    db.write_sync(ok)

    def fails(tx: Tx) -> None:
        tx.execute("INSERT INTO t (id) VALUES ('y')")
        tx.after_commit(lambda: seen.append("wrong"))
        tx.after_rollback(lambda: seen.append("undone"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.write_sync(fails)
    assert seen == ["committed", "undone"]
    assert db.read_sync(lambda c: c.execute("SELECT id FROM t ORDER BY id").fetchall()) == [("x",)]


def test_unique_violation_is_sqlite_worded_constraint_error(db: PgDatabase) -> None:
    db.write_sync(lambda tx: tx.execute("CREATE UNIQUE INDEX idx_n ON t (n)"))
    db.write_sync(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('a', 1)"))
    with pytest.raises(apsw.ConstraintError, match=r"UNIQUE constraint failed: t\.id"):
        db.write_sync(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('a', 2)"))
    with pytest.raises(apsw.ConstraintError, match="UNIQUE constraint failed: index 'idx_n'"):
        db.write_sync(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('b', 1)"))
    with pytest.raises(apsw.SQLError, match="nope"):
        db.read_sync(lambda c: c.execute("SELECT * FROM nope"))
    # the writer is usable after each failure
    db.write_sync(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('c', 3)"))


def test_query_timeout(db: PgDatabase) -> None:
    with pytest.raises(QueryTimeout):
        db.read_sync(lambda c: c.execute("SELECT pg_sleep(2)").fetchall(), timeout=0.2)
    # the connection got its default timeout back
    assert db.read_sync(lambda c: c.execute("SHOW statement_timeout").fetchone()) == ("5s",)


def test_writes_serialize_across_two_nodes(pg_url: str, db: PgDatabase) -> None:
    """Two stores on one database (two nodes): a read-then-write is never interleaved."""
    db.write_sync(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('c', 0)"))
    other = PgDatabase(pg_url, readers=1)

    def bump(tx: Tx) -> None:
        row = tx.execute("SELECT n FROM t WHERE id = 'c'").fetchone()
        time.sleep(0.002)  # give the other node every chance to interleave
        tx.execute("UPDATE t SET n = :n WHERE id = 'c'", {"n": row[0] + 1})

    def worker(store: PgDatabase) -> None:
        for _ in range(25):
            store.write_sync(bump)

    threads = [threading.Thread(target=worker, args=(s,)) for s in (db, other)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    other.close()
    assert db.read_sync(lambda c: c.execute("SELECT n FROM t WHERE id = 'c'").fetchone()) == (50.0,)


def test_lost_writer_connection_is_a_write_failure_then_recovers(pg_url: str, db: PgDatabase) -> None:
    pid = db._pg_writer.raw.info.backend_pid
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    undone: list[bool] = []

    def write(tx: Tx) -> None:
        tx.after_rollback(lambda: undone.append(True))
        tx.execute("INSERT INTO t (id) VALUES ('z')")

    with pytest.raises(WriteFailed):
        db.write_sync(write)
    assert undone == []  # BEGIN itself failed: fn never ran
    db.write_sync(write)
    assert undone == []
    assert db.read_sync(lambda c: c.execute("SELECT count(*) FROM t").fetchone()) == (1,)


def test_async_api_and_nested_reads(db: PgDatabase) -> None:
    async def main() -> tuple[object, object]:
        await db.write(lambda tx: tx.execute("INSERT INTO t (id, n) VALUES ('a', 1)"))
        nested = await db.read(lambda c: db.read_sync(lambda c2: c2 is c))
        rows = await asyncio.gather(*(db.read(lambda c: c.execute("SELECT n FROM t").fetchone()) for _ in range(8)))
        return nested, rows[0]

    assert asyncio.run(main()) == (True, (1.0,))


def test_nested_write_is_a_savepoint_and_in_order_callbacks_run(db: PgDatabase) -> None:
    seen: list[str] = []

    def inner_fails(tx: Tx) -> None:
        tx.execute("INSERT INTO t (id) VALUES ('inner')")
        raise ValueError("inner")

    def outer(tx: Tx) -> None:
        tx.execute("INSERT INTO t (id) VALUES ('outer')")
        tx.in_commit_order(lambda: seen.append("in order"))
        with pytest.raises(ValueError):
            db.write_sync(inner_fails)
        db.write_sync(lambda t2: t2.execute("INSERT INTO t (id) VALUES ('inner2')"))
        assert db.current_tx() is tx

    db.write_sync(outer)
    assert seen == ["in order"]
    assert db.read_sync(lambda c: c.execute("SELECT id FROM t ORDER BY id").fetchall()) == [("inner2",), ("outer",)]
