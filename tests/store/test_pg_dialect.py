"""The PostgreSQL store dialect's DDL and introspection, run on a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from satchel.store.dialect import SqliteDialect
from satchel.store.postgres import PgDatabase, PgDialect
from tests.pg_support import pg_url

__all__ = ["pg_url"]

D = PgDialect()
KINDS = [("id", "primary_key"), ("title", "text"), ("n", "number"), ("ok", "bool"), ("meta", "json"),
         ("tags", "json_array"), ("loc", "geo_point")]  # fmt: skip


@pytest.fixture
def db(pg_url: str) -> Iterator[PgDatabase]:
    database = PgDatabase(pg_url, readers=1)
    yield database
    database.close()


def test_same_methods_as_the_sqlite_dialect() -> None:
    public = {n for n in dir(SqliteDialect) if not n.startswith("_")}
    assert public <= set(dir(PgDialect))


def test_record_table_defaults(db: PgDatabase) -> None:
    db.write_sync(lambda tx: tx.execute(D.create_table("posts", KINDS)))
    db.write_sync(lambda tx: tx.execute('INSERT INTO "posts" DEFAULT VALUES'))
    cols = ["id", "title", "n", "ok", "meta", "tags", "loc"]
    row = db.read_sync(lambda c: c.execute(D.select_columns("posts", cols)).fetchone())
    rid, *rest = row
    assert len(rid) == 15 and rid.startswith("r")
    assert rest == ["", 0.0, 0, None, "[]", '{"lon":0,"lat":0}']


def test_alter_and_introspect(db: PgDatabase) -> None:
    def setup(tx: object) -> None:
        for stmt in (
            D.create_table("Posts", KINDS),
            'CREATE UNIQUE INDEX "idx_title" ON "Posts" ("title")',
            D.add_column("Posts", "extra", "text"),
            D.rename_column("Posts", "extra", "more"),
            D.drop_column("Posts", "n"),
            D.create_view("v", 'SELECT id, title FROM "Posts"', ["id", "title"]),
        ):
            tx.execute(stmt)  # type: ignore[attr-defined]

    db.write_sync(setup)
    names = {r[0] for r in db.read_sync(lambda c: c.execute(D.table_names()).fetchall())}
    assert {"Posts", "v"} <= names
    assert db.read_sync(lambda c: c.execute(D.table_exists(), {"name": "posts"}).fetchone()) == (1,)
    assert db.read_sync(lambda c: c.execute(D.index_names()).fetchall()) == [("idx_title", "Posts")]
    assert db.read_sync(lambda c: c.execute(D.table_indexes(), {"table": "Posts"}).fetchall()) == [("idx_title",)]
    cur = db.read_sync(lambda c: c.execute(D.column_names_of_query('SELECT * FROM "Posts"')))
    assert [d[0] for d in cur.getdescription()] == ["id", "loc", "meta", "ok", "tags", "title", "_rowid_", "more"]
    db.write_sync(lambda tx: tx.execute(D.rename_table("Posts", "Articles")))
    db.write_sync(lambda tx: tx.execute(D.drop_view("v")))
    db.write_sync(lambda tx: tx.execute(D.drop_table("Articles")))
    assert db.read_sync(lambda c: c.execute(D.table_exists(), {"name": "articles"}).fetchone()) is None


def test_single_multi_conversions(db: PgDatabase) -> None:
    rows = [("a", ""), ("b", "x"), ("c", '["y","z"]'), ("d", "[]")]

    def setup(tx: object) -> None:
        tx.execute('CREATE TABLE "t" (id TEXT, v TEXT)')  # type: ignore[attr-defined]
        for row in rows:
            tx.execute('INSERT INTO "t" VALUES (?, ?)', row)  # type: ignore[attr-defined]

    db.write_sync(setup)
    db.write_sync(lambda tx: tx.execute(D.single_to_multi("t", "v")))
    got = db.read_sync(lambda c: c.execute('SELECT id, v FROM "t" ORDER BY id').fetchall())
    assert got == [("a", "[]"), ("b", '["x"]'), ("c", '["y","z"]'), ("d", "[]")]
    db.write_sync(lambda tx: tx.execute(D.multi_to_single("t", "v")))
    got = db.read_sync(lambda c: c.execute('SELECT id, v FROM "t" ORDER BY id').fetchall())
    assert got == [("a", ""), ("b", "x"), ("c", "z"), ("d", "")]


def test_sqlite_functions_for_view_queries(db: PgDatabase) -> None:
    def setup(tx: object) -> None:
        tx.execute('CREATE TABLE "p" (id TEXT, tags TEXT, score DOUBLE PRECISION)')  # type: ignore[attr-defined]
        for row in [("a", '["x","y"]', 1.5), ("b", "[]", None), ("c", "not json", 2)]:
            tx.execute('INSERT INTO "p" VALUES (?, ?, ?)', row)  # type: ignore[attr-defined]

    db.write_sync(setup)
    view = D.create_view(
        "v", "SELECT p.id, count(t.value) AS n, group_concat(t.value) AS g FROM p LEFT JOIN json_each(p.tags) t GROUP BY p.id"
    )
    db.write_sync(lambda tx: tx.execute(view))
    got = db.read_sync(lambda c: c.execute('SELECT id, n, g FROM "v" ORDER BY id').fetchall())
    assert got == [("a", 2, "x,y"), ("b", 0, None), ("c", 0, None)]
    sums = db.read_sync(lambda c: c.execute("SELECT total(score), total(score) FILTER (WHERE id = 'zz') FROM p").fetchone())
    assert sums == (3.5, 0.0)
    assert db.read_sync(lambda c: c.execute("SELECT group_concat(id, '-') FROM p").fetchone()) == ("a-b-c",)
