"""The filter compiler on PostgreSQL gives the rows SQLite gives.

Every case of the SQLite compiler tests (spec samples and the semantics battery)
is compiled twice, with the SQLite and the PostgreSQL dialect, run against the
same rows in a real SQLite database and a real PostgreSQL one, and the two row
sets must be equal.  The rows are those of the SQLite tests, typed as record
tables are (a number column holds numbers only, a bool column booleans).
The few cases where PostgreSQL knowingly differs are listed with both answers
(and in docs/compatibility.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apsw
import psycopg
import pytest

from satchel.store.postgres import PgDatabase
from satchel.tools.filter import parse_with_params
from satchel.tools.search import SqliteSearchDialect, build_order_by, build_where, parse_sort
from satchel.tools.search.pg_dialect import PgSearchDialect
from tests.pg_support import drop_database, fresh_database
from tests.tools.test_filter_compile import BATTERY, NOW, POSTS, SPEC_SAMPLES, PostsResolver

SQ = SqliteSearchDialect()
PG = PgSearchDialect()

# PostgreSQL compares a number and a numeric text as numbers wherever they are;
# SQLite only next to a column of NUMERIC affinity.
KNOWN_DIFFERENCES = {
    'strftime("%Y", created) = @year': (set(), {"p1", "p2", "p4"}),
}

# "" in a number column is SQLite-only: a record table holds a number there
TYPED_POSTS = [
    (pid, title, views, None if score == "" else score, bool(pub), *rest)
    for pid, title, views, score, pub, *rest in POSTS
]
TABLES = [
    ("posts", "id TEXT PRIMARY KEY, title TEXT, views {num}, score {num}, published {bool}, created TEXT, "
     "author TEXT, labels TEXT, tags TEXT, meta TEXT, loc TEXT", TYPED_POSTS),
    ("users", "id TEXT PRIMARY KEY, name TEXT", [("u1", "Alice"), ("u2", "Bob")]),
    ("tags", "id TEXT PRIMARY KEY, name TEXT", [("t1", "news"), ("t2", "tech")]),
    ("comments", "id TEXT PRIMARY KEY, post TEXT, message TEXT",
     [("c1", "p1", "nice one"), ("c2", "p1", "bad"), ("c3", "p2", "nice"), ("c4", "p4", "nice too")]),
]  # fmt: skip


@pytest.fixture(scope="module")
def dbs() -> Iterator[tuple[apsw.Connection, PgDatabase]]:
    lite = apsw.Connection(":memory:")
    name, url = fresh_database()
    pg = PgDatabase(url, readers=1)
    for table, cols, rows in TABLES:
        marks = ", ".join("?" * len(rows[0]))
        lite.execute(f"CREATE TABLE {table} ({cols.format(num='NUMERIC', bool='BOOLEAN')})")
        lite.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

        def load(tx: Any, table: str = table, cols: str = cols, rows: list[Any] = rows, marks: str = marks) -> None:
            tx.execute(f"CREATE TABLE {table} ({cols.format(num='DOUBLE PRECISION', bool='SMALLINT')})")
            for row in rows:
                tx.execute(f"INSERT INTO {table} VALUES ({marks})", row)

        pg.write_sync(load)
    yield lite, pg
    pg.close()
    lite.close()
    drop_database(name)


def rows(dbs: tuple[apsw.Connection, PgDatabase], text: Any, dialect: Any) -> set[str]:
    where = build_where(text, PostsResolver(dialect=dialect), dialect, now=NOW)
    joins = dialect.joins_clause(where.joins)
    sql = f"SELECT DISTINCT {dialect.column('posts', 'id')} FROM {dialect.q('posts')} {joins} WHERE {where.text}"
    if dialect is SQ:
        return {r[0] for r in dbs[0].execute(sql, dict(where.params))}
    return {r[0] for r in dbs[1].read_sync(lambda c: c.execute(sql, dict(where.params)).fetchall())}


CASES = [text for text, _ in SPEC_SAMPLES + BATTERY]


@pytest.mark.parametrize("text", CASES)
def test_same_rows_as_sqlite(dbs: tuple[apsw.Connection, PgDatabase], text: str) -> None:
    lite, pg = rows(dbs, text, SQ), rows(dbs, text, PG)
    if text in KNOWN_DIFFERENCES:
        assert (lite, pg) == KNOWN_DIFFERENCES[text]
    else:
        assert pg == lite


def test_battery_cases_are_not_vacuous(dbs: tuple[apsw.Connection, PgDatabase]) -> None:
    """Most cases select some rows and leave others out, so equality says something."""
    split = [t for t in CASES if 0 < len(rows(dbs, t, PG)) < 5]
    assert len(split) > len(CASES) * 2 // 3


@pytest.mark.parametrize(
    ("text", "params", "expected"),
    [
        ("title = {:t} || views > {:v}", {"t": "it's 50% off", "v": 9}, {"p1", "p2"}),
        ("title ~ {:t}", {"t": "%50%"}, {"p2"}),
        ("views > {:v}", {"v": 4.5}, {"p1", "p4"}),
        ("views = {:v}", {"v": "10"}, {"p1"}),
        ("published = {:b}", {"b": True}, {"p1", "p4"}),
        ("title = {:t}", {"t": None}, {"p3"}),
        ('title ~ "ÄB"', {}, set()),  # ASCII-only case folding, as SQLite
    ],
)
def test_placeholders(dbs: tuple[apsw.Connection, PgDatabase], text: str, params: dict[str, Any], expected: set[str]) -> None:
    expr = parse_with_params(text, params)
    assert rows(dbs, expr, PG) == rows(dbs, expr, SQ) == expected


def test_order_by_and_random(dbs: tuple[apsw.Connection, PgDatabase]) -> None:
    for sort in ("-views,title", "title", "-title", "score,-id", "-published,created"):
        got = []
        for d in (SQ, PG):
            order = build_order_by(parse_sort(sort), PostsResolver(dialect=d), d)
            sql = f"SELECT posts.id FROM posts ORDER BY {order.text}"
            if d is SQ:
                got.append([r[0] for r in dbs[0].execute(sql)])
            else:
                got.append([r[0] for r in dbs[1].read_sync(lambda c, sql=sql: c.execute(sql).fetchall())])
        assert got[0] == got[1], sort  # NULLs sort first, as in SQLite
    shuffled = build_order_by(parse_sort("@random"), PostsResolver(dialect=PG), PG)
    assert shuffled.text == "RANDOM()"


def test_bad_values_are_not_errors(dbs: tuple[apsw.Connection, PgDatabase]) -> None:
    """Text that is not JSON or not a date gives no match, never a PostgreSQL error."""
    for text in ('meta.x.y = "1"', 'strftime("%Y", title) = "2026"', "strftime('%Q', created) = ''",
                 "geoDistance(title, loc.lat, 1, 2) < 5", "labels:length > 0 && loc.lon > 'abc'"):
        rows(dbs, text, PG)


def test_psycopg_is_the_driver() -> None:
    assert psycopg.__version__.startswith("3.")
