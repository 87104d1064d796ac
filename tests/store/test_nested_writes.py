"""A write inside a write on the same thread joins the open transaction (a SAVEPOINT)."""

from __future__ import annotations

from pathlib import Path

import pytest

from satchel.store.database import Database, Tx


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(str(tmp_path / "data.db"))
    database.write_sync(lambda tx: tx.execute("CREATE TABLE t (v INTEGER)"))
    return database


def values(db: Database) -> list[int]:
    return [int(r[0]) for r in db.read_sync(lambda c: c.execute("SELECT v FROM t ORDER BY v").fetchall())]


def test_nested_write_commits_with_the_outer(db: Database) -> None:
    done: list[str] = []

    def inner(tx: Tx) -> None:
        tx.execute("INSERT INTO t VALUES (2)")
        tx.after_commit(lambda: done.append("inner"))

    def outer(tx: Tx) -> None:
        tx.execute("INSERT INTO t VALUES (1)")
        db.write_sync(inner)
        assert done == []  # not before the outer COMMIT

    db.write_sync(outer)
    assert values(db) == [1, 2] and done == ["inner"]
    db.close()


def test_outer_failure_undoes_the_nested_write(db: Database) -> None:
    def outer(tx: Tx) -> None:
        db.write_sync(lambda t: t.execute("INSERT INTO t VALUES (2)"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.write_sync(outer)
    assert values(db) == []
    db.close()


def test_nested_failure_undoes_only_its_own_statements(db: Database) -> None:
    undone: list[str] = []

    def inner(tx: Tx) -> None:
        tx.execute("INSERT INTO t VALUES (2)")
        tx.after_rollback(lambda: undone.append("inner"))
        raise ValueError("inner")

    def outer(tx: Tx) -> None:
        tx.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(ValueError):
            db.write_sync(inner)

    db.write_sync(outer)
    assert values(db) == [1] and undone == ["inner"]
    # the next top-level write is a fresh transaction again
    db.write_sync(lambda t: t.execute("INSERT INTO t VALUES (3)"))
    assert values(db) == [1, 3]
    db.close()
