"""Filter -> SQL compiler tests, executed against a real SQLite database (apsw).

The expected row sets encode PocketBase 0.40's semantics (spec 04 §4, §10):
NULL/'' equivalence, LIKE escaping, and "all values" vs "?any" for multi-valued
paths (JSON arrays via json_each, a multiple relation, a back-relation and
@collection cross joins).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import apsw
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satchel.tools.filter import Expr, FilterSyntaxError, Op, parse_with_params, split_modifier
from satchel.tools.search import (
    FilterCompileError,
    Join,
    MapResolver,
    MultiMatch,
    ResolverResult,
    SortItem,
    Sql,
    SqliteSearchDialect,
    build_order_by,
    build_where,
    contains_unescaped,
    escape_unescaped,
    like_pattern,
    macro_value,
    parse_sort,
)

D = SqliteSearchDialect()
NOW = datetime(2026, 11, 23, 19, 17, 19, 57000, tzinfo=UTC)
ALL = {"p1", "p2", "p3", "p4", "p5"}

POSTS = [
    # id, title, views, score, published, created, author, labels, tags, meta, loc
    ("p1", "abc", 10, 10, 1, "2026-11-20 10:00:00.000Z", "u1", '["a","b"]', '["t1","t2"]',
     '{"k":[0,1,{"x":"y"}],"a":""}', '{"lon":23.3,"lat":42.7}'),
    ("p2", "it's 50% off", 0, 1, 0, "2026-11-24 10:00:00.000Z", "u2", '["a"]', '["t1"]', None,
     '{"lon":0,"lat":0}'),
    ("p3", None, None, None, 0, "2025-01-01 00:00:00.000Z", "", "[]", "[]", '{"a":"z"}', None),
    ("p4", "ab_c", 5, 5, 1, "2026-11-23 00:00:00.000Z", "u1", '["b"]', '["t2"]', '"str"',
     '{"lon":23.31,"lat":42.71}'),
    ("p5", "abXc", -2, "", 0, "", "u3", "", '["t1","zz"]', '{"a":null}', "{}"),
]  # fmt: skip

REQUEST: dict[str, Any] = {
    "method": "GET",
    "headers": {"user_agent": "curl/7.88.1"},
    "query": {"confirm": "yes"},
    "body": {"title": "Hello", "tags": ["x", "y"], "locked": None},
    "auth": None,
}


@pytest.fixture(scope="module")
def db() -> Iterator[apsw.Connection]:
    conn = apsw.Connection(":memory:")
    conn.execute(
        "CREATE TABLE posts (id TEXT PRIMARY KEY, title TEXT, views NUMERIC, score NUMERIC, "
        "published BOOLEAN, created TEXT, author TEXT, labels JSON, tags JSON, meta JSON, loc JSON)"
    )
    conn.executemany("INSERT INTO posts VALUES (?,?,?,?,?,?,?,?,?,?,?)", POSTS)
    conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO users VALUES (?,?)", [("u1", "Alice"), ("u2", "Bob")])
    conn.execute("CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO tags VALUES (?,?)", [("t1", "news"), ("t2", "tech")])
    conn.execute("CREATE TABLE comments (id TEXT PRIMARY KEY, post TEXT, message TEXT)")
    conn.executemany(
        "INSERT INTO comments VALUES (?,?,?)",
        [("c1", "p1", "nice one"), ("c2", "p1", "bad"), ("c3", "p2", "nice"), ("c4", "p4", "nice too")],
    )
    yield conn
    conn.close()


class PostsResolver:
    """A hand-made record-like resolver: shows how relation paths fill ResolverResult.

    ``author.*`` is a single relation (plain LEFT JOIN, single-valued), ``tags.*``
    a multiple relation (json_each + join, multi-valued), ``comments_via_post.*`` a
    back-relation and ``@collection.comments.*`` a cross join (both multi-valued).
    """

    def __init__(self, request: Mapping[str, Any] | None = None, dialect: Any = D) -> None:
        self.d = dialect
        self.base = MapResolver(
            "posts",
            ["id", "title", "views", "score", "published", "created", "author"],
            dialect,
            multi=["labels", "tags"],
            json=["meta", "loc"],
            request=REQUEST if request is None else request,
        )

    def resolve(self, identifier: str) -> ResolverResult:
        path, _modifier = split_modifier(identifier)
        D = self.d
        col = D.column
        if path.startswith("author."):
            sub = path[len("author.") :]
            if sub == "id":
                return ResolverResult(col("posts", "author"))
            join = Join(
                D.q("users"), "posts_author", f"{col('posts_author', 'id')} = {col('posts', 'author')}"
            )
            return ResolverResult(col("posts_author", sub), joins=(join,))
        if path.startswith("tags."):
            sub = path[len("tags.") :]
            joins = (
                Join(D.json_each(col("posts", "tags")), "__je_posts_tags"),
                Join(
                    D.q("tags"),
                    "posts_tags",
                    f"{col('posts_tags', 'id')} = {D.json_each_value('__je_posts_tags')}",
                ),
            )
            mm_joins = [
                Join(D.json_each(col("__mm_posts", "tags")), "__mm_posts_tags_je"),
                Join(
                    D.q("tags"),
                    "__mm_posts_tags",
                    f"{col('__mm_posts_tags', 'id')} = {D.json_each_value('__mm_posts_tags_je')}",
                ),
            ]
            source = D.multi_match_source("posts", "__mm_posts", mm_joins, "posts")
            return ResolverResult(
                col("posts_tags", sub),
                joins=joins,
                multi_match=MultiMatch(col("__mm_posts_tags", sub), source),
            )
        if path.startswith("comments_via_post."):
            sub = path[len("comments_via_post.") :]
            alias = "posts_comments_via_post"
            join = Join(D.q("comments"), alias, f"{col(alias, 'post')} = {col('posts', 'id')}")
            mm_alias = "__mm_posts_comments_via_post"
            mm_join = Join(D.q("comments"), mm_alias, f"{col(mm_alias, 'post')} = {col('__mm_posts', 'id')}")
            source = D.multi_match_source("posts", "__mm_posts", [mm_join], "posts")
            return ResolverResult(
                col(alias, sub), joins=(join,), multi_match=MultiMatch(col(mm_alias, sub), source)
            )
        if path.startswith("@collection.comments."):
            sub = path[len("@collection.comments.") :]
            join = Join(D.q("comments"), "__collection_comments")  # cross join, no ON
            mm_join = Join(D.q("comments"), "__mm_collection_comments")
            source = D.multi_match_source("posts", "__mm_posts", [mm_join], "posts")
            return ResolverResult(
                col("__collection_comments", sub),
                joins=(join,),
                multi_match=MultiMatch(col("__mm_collection_comments", sub), source),
            )
        return self.base.resolve(identifier)


def select_sql(where: Sql, order: Sql | None = None) -> str:
    joins = D.joins_clause(where.joins + (order.joins if order else ()))
    sql = f"SELECT DISTINCT {D.column('posts', 'id')} FROM {D.q('posts')} {joins} WHERE {where.text}"
    if order is not None and order.text:
        sql += f" ORDER BY {order.text}"
    return sql


def run(db: apsw.Connection, text: str | Expr, resolver: Any = None, **kwargs: Any) -> set[str]:
    where = build_where(text, resolver or PostsResolver(), D, now=NOW, **kwargs)
    return {row[0] for row in db.execute(select_sql(where), dict(where.params))}


# -- spec 04 §10 samples -------------------------------------------------------------

SPEC_SAMPLES: list[tuple[str, set[str]]] = [
    ('title = "abc"', {"p1"}),
    ("title = 'it\\'s 50% off'", {"p2"}),
    ("title = 'abc' // comment", {"p1"}),
    ("views > -1.5", {"p1", "p2", "p4"}),
    ("published = TRUE", {"p1", "p4"}),
    ("views = NULL", {"p3"}),
    ("true = true", ALL),
    ("id = null", set()),
    ('(title = "abc" || title = "ab_c") && views > 6', {"p1"}),
    ('author.id = "u1"', {"p1", "p4"}),
    ('author.name = "Alice"', {"p1", "p4"}),
    ('comments_via_post.message ~ "nice"', {"p2", "p4"}),
    ("labels:length > 1", {"p1"}),
    ('labels:each ?= "a"', {"p1", "p2"}),
    ('meta.k.2.x = "y"', {"p1"}),
    ("meta = null", {"p2"}),
    ('meta.a = ""', {"p1"}),
    ("loc.lon > 10", {"p1", "p4"}),
    ("created > @now", {"p2"}),
    ('@request.headers.user_agent ~ "curl"', ALL),
    ('@request.query.x = "1"', set()),
    ("@collection.comments.post = id", set()),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_SAMPLES)
def test_spec_samples(db: apsw.Connection, text: str, expected: set[str]) -> None:
    assert run(db, text) == expected


def test_spec_sample_sql_shapes() -> None:
    r = PostsResolver()

    def sql(text: str) -> str:
        return build_where(text, r, D, now=NOW).text

    assert sql('title = "abc"') == "`posts`.`title` = :f0"
    assert sql("published = TRUE") == "`posts`.`published` = 1"
    assert sql("views = NULL") == "(`posts`.`views` = '' OR `posts`.`views` IS NULL)"
    assert sql("true = true") == "1 = 1"
    assert sql('title != ""') == "(`posts`.`title` IS NOT '' AND `posts`.`title` IS NOT NULL)"
    assert sql("score = views") == "COALESCE(`posts`.`score`, '') = COALESCE(`posts`.`views`, '')"
    assert sql("published != false") == "`posts`.`published` IS NOT 0"
    assert sql("title ~ views") == "`posts`.`title` LIKE ('%' || `posts`.`views` || '%') ESCAPE '\\'"
    assert sql('meta.a = ""').endswith(" IS :f0")
    assert sql('@request.query.x = "1"') == "'' = :f1"
    assert sql('title = "a" || title = "b" && views > 1') == (
        "(`posts`.`title` = :f0 OR `posts`.`title` = :f1 AND `posts`.`views` > :f2)"
    )
    where = build_where('tags.name = "news"', r, D)
    assert "NOT EXISTS (SELECT 1 FROM (SELECT `__mm_posts_tags`.`name` AS `multiMatchValue`" in where.text
    assert "WHERE NOT (" in where.text
    assert [j.alias for j in where.joins] == ["__je_posts_tags", "posts_tags"]
    assert where.needs_distinct
    assert "NOT EXISTS" not in build_where('tags.name ?= "news"', r, D).text


# -- semantics battery -----------------------------------------------------------------

BATTERY: list[tuple[str, set[str]]] = [
    # NULL / "" equivalence
    ('title = ""', {"p3"}),
    ("title = null", {"p3"}),
    ('"" = title', {"p3"}),
    ('title != ""', {"p1", "p2", "p4", "p5"}),
    ('title != "abc"', {"p2", "p3", "p4", "p5"}),
    ('"" = ""', ALL),
    ('null != ""', set()),
    ("score = views", {"p1", "p3", "p4"}),
    ("score != views", {"p2", "p5"}),
    ("published != false", {"p1", "p4"}),
    ("author = @request.auth.id", {"p3"}),
    ('@request.auth.id = ""', ALL),
    ('@request.auth.id != ""', set()),
    ("meta.a = null", {"p2", "p4", "p5"}),
    ("meta.a != null", {"p1", "p3"}),
    # precedence: AND binds tighter than OR
    ('title = "ab_c" || title = "abc" && views > 6', {"p1", "p4"}),
    ('(title = "ab_c" || title = "abc") && views > 6', {"p1"}),
    ('title = "abc" && (views > 100 || views < 11)', {"p1"}),
    # LIKE escaping and wrapping
    ('title ~ "ab_c"', {"p4"}),
    ('title ~ "ab%c"', {"p1", "p4", "p5"}),
    ('title ~ "50\\%"', {"p2"}),
    ('title ~ "%off"', {"p2"}),
    ('title ~ "%50\\%"', set()),
    ('title ~ "AB"', {"p1", "p4", "p5"}),
    ('title !~ "ab"', {"p2"}),
    ('title ?!~ "ab"', {"p2"}),
    ('title ~ "it\'s"', {"p2"}),
    ('labels ~ "b"', {"p1", "p4"}),
    ('labels = "a"', set()),
    # comparisons and macros
    ("views >= 5 && views <= 10", {"p1", "p4"}),
    ('views > "4"', {"p1", "p4"}),
    ("created >= @todayStart && created <= @todayEnd", {"p4"}),
    ("created < @yesterday", {"p1", "p3", "p5"}),
    ("created >= @monthStart && created <= @monthEnd", {"p1", "p2", "p4"}),
    ("created >= @yearStart", {"p1", "p2", "p4"}),
    ("@year = 2026 && @month = 11 && @day = 23 && @weekday = 1", ALL),
    ("@hour = 19 && @minute = 17 && @second = 19", ALL),
    # modifiers
    ('title:lower = "abc"', {"p1"}),
    ('title:lower = "ABC"', set()),
    ("labels:length = 0", {"p3", "p5"}),
    ('labels:each = "a"', {"p2"}),
    ('labels:each != "a"', {"p3", "p4", "p5"}),
    ('labels:each ?!= "a"', {"p1", "p3", "p4", "p5"}),
    ('labels:each ?~ "b"', {"p1", "p4"}),
    ('labels:each ~ "b"', {"p4"}),
    ("@request.body.locked:isset = true", ALL),
    ("@request.body.nope:isset = false", ALL),
    ("@request.body.tags:length < 3", ALL),
    ('@request.body.title:lower = "hello"', ALL),
    ('@request.query.confirm = "yes" && @request.method = "GET"', ALL),
    ('@request.query.missing = ""', ALL),
    # single relation
    ('author.name = ""', {"p3", "p5"}),
    ('author.name != "Alice"', {"p2", "p3", "p5"}),
    # multiple relation: all vs any
    ('tags.name ?= "tech"', {"p1", "p4"}),
    ('tags.name = "tech"', {"p4"}),
    ('tags.name = "news"', {"p2", "p5"}),  # the dangling id of p5 yields NULL, ignored by "="
    ('tags.name != "tech"', {"p2", "p3", "p5"}),
    ('tags.name ?!= "tech"', {"p1", "p2", "p3", "p5"}),
    ('tags.name ?~ "e"', {"p1", "p2", "p4", "p5"}),
    # back-relation and @collection
    ('comments_via_post.message ?~ "nice"', {"p1", "p2", "p4"}),
    ('comments_via_post.message !~ "bad"', {"p2", "p4"}),  # NULL NOT LIKE -> NULL: no comments, no match
    ("@collection.comments.post ?= id", {"p1", "p2", "p4"}),
    ("@collection.comments.post ?!= id", ALL),
    # many vs many
    ("tags.name = tags.name", {"p2", "p3", "p4"}),  # every pair equal (COALESCE: NULL = NULL)
    ("tags.name ?= tags.name", ALL),
    # functions
    ("geoDistance(loc.lon, loc.lat, 23.3, 42.7) < 25", {"p1", "p4"}),
    ("geoDistance(loc.lon, loc.lat, 23.3, 42.7) = 0", {"p1"}),
    ('strftime("%Y", created) = "2026"', {"p1", "p2", "p4"}),
    ("strftime('%Y-%m', created, 'start of month') = '2026-11'", {"p1", "p2", "p4"}),
    ('strftime("%Y", created) = @year', set()),  # text vs integer: no coercion, like PocketBase
    ('"2026" = strftime("%Y", created)', {"p1", "p2", "p4"}),
]


@pytest.mark.parametrize(("text", "expected"), BATTERY)
def test_semantics(db: apsw.Connection, text: str, expected: set[str]) -> None:
    assert run(db, text) == expected


def test_placeholders_end_to_end(db: apsw.Connection) -> None:
    expr = parse_with_params("title = {:t} || views > {:v}", {"t": "it's 50% off", "v": 9})
    assert run(db, expr) == {"p1", "p2"}


def test_macro_values() -> None:
    assert macro_value("@now", NOW) == "2026-11-23 19:17:19.057Z"
    assert macro_value("@yesterday", NOW) == "2026-11-22 19:17:19.057Z"
    assert macro_value("@tomorrow", NOW) == "2026-11-24 19:17:19.057Z"
    assert macro_value("@todayStart", NOW) == "2026-11-23 00:00:00.000Z"
    assert macro_value("@todayEnd", NOW) == "2026-11-23 23:59:59.999Z"
    assert macro_value("@monthStart", NOW) == "2026-11-01 00:00:00.000Z"
    assert macro_value("@monthEnd", NOW) == "2026-11-30 23:59:59.999Z"
    assert macro_value("@yearStart", NOW) == "2026-01-01 00:00:00.000Z"
    assert macro_value("@yearEnd", NOW) == "2026-12-31 23:59:59.999Z"
    assert [macro_value(m, NOW) for m in ("@second", "@minute", "@hour", "@day", "@month", "@year")] == [
        19, 17, 19, 23, 11, 2026,
    ]  # fmt: skip
    assert macro_value("@weekday", NOW) == 1
    assert macro_value("@monthEnd", datetime(2024, 2, 10, tzinfo=UTC)) == "2024-02-29 23:59:59.999Z"


# -- errors and limits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope = 1", 'invalid left operand "nope" - unknown field "nope"'),
        ("title = nope", 'invalid right operand "nope" - unknown field "nope"'),
        ("title:bogus = 1", "invalid left operand"),
        ("title.sub = 1", "invalid left operand"),
        ("unknownFn(1) = 1", 'unknown function "unknownFn"'),
        ("geoDistance(1, 2, 3) < 1", "[geoDistance] expected 4 arguments, got 3"),
        ('geoDistance(1, 2, 3, "x") < 1', "[geoDistance] argument 3 must be an identifier or number"),
        ("strftime() = 1", "[strftime] expected 1 to 10 arguments"),
        ("strftime(1) = 1", "format argument must be a text"),
        ("strftime('%Y', strftime('%Y')) = 1", "cannot be a function"),
        ("strftime('%Y', created, 1) = 1", "must be a text"),
    ],
)
def test_compile_errors(text: str, message: str) -> None:
    with pytest.raises(FilterCompileError) as info:
        build_where(text, PostsResolver(), D)
    assert message in info.value.message


def test_syntax_errors_propagate() -> None:
    with pytest.raises(FilterSyntaxError, match="invalid or incomplete filter expression"):
        build_where("title =", PostsResolver(), D)


def test_expression_limit() -> None:
    ok = " && ".join(["views > 1"] * 200)
    build_where(ok, PostsResolver(), D)
    with pytest.raises(FilterCompileError, match="max filter expressions limit reached"):
        build_where(ok + " && (views > 1)", PostsResolver(), D)
    with pytest.raises(FilterCompileError):
        build_where("views > 1", PostsResolver(), D, max_expressions=0)


def test_identical_filters_give_identical_sql() -> None:
    a = build_where('title = "x" && labels:each = "a"', PostsResolver(), D)
    b = build_where('title = "x" && labels:each = "a"', PostsResolver(), D)
    assert a == b


def test_param_prefix_namespaces_params(db: apsw.Connection) -> None:
    rule = build_where('title != ""', PostsResolver(), D, param_prefix="r")
    client = build_where('views > 1 && title ~ "a"', PostsResolver(), D, param_prefix="f")
    assert not set(rule.params) & set(client.params)
    sql = f"SELECT id FROM posts WHERE ({rule.text}) AND ({client.text})"
    assert {r[0] for r in db.execute(sql, {**rule.params, **client.params})} == {"p1", "p4"}


def test_after_build_hook(db: apsw.Connection) -> None:
    """A resolver can AND extra SQL onto the comparison (PocketBase does this for
    ``email`` of auth collections: ``AND alias.emailVisibility = TRUE``)."""

    class Hooked(PostsResolver):
        def resolve(self, identifier: str) -> ResolverResult:
            res = super().resolve(identifier)
            if identifier != "title":
                return res

            def after(sql: Sql) -> Sql:
                return Sql(f"{sql.text} AND {D.column('posts', 'published')} = :hook", {"hook": 1})

            return ResolverResult(res.sql, after_build=after)

    where = build_where('title ~ "ab" || views = 0', Hooked(), D)
    assert where.params["hook"] == 1
    assert {r[0] for r in db.execute(select_sql(where), dict(where.params))} == {"p1", "p2", "p4"}


def test_resolver_params_conflict_is_detected() -> None:
    class Bad(PostsResolver):
        def resolve(self, identifier: str) -> ResolverResult:
            return ResolverResult(":x", {"x": identifier})

    with pytest.raises(FilterCompileError, match="conflicting"):
        build_where("a = b", Bad(), D)


# -- like helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("abc", "%abc%"),
        ("a%c", "a%c"),
        ("ab_c", "%ab\\_c%"),
        ("50\\%", "%50\\%%"),
        ("%50\\%", "%50\\%"),
        ("a\\_b", "%a\\_b%"),
        ("\\", "%\\\\%"),
        ("\\\\%", "\\\\%"),
        (5.0, "%5%"),
        (None, "%%"),
    ],
)
def test_like_pattern(value: Any, pattern: str) -> None:
    assert like_pattern(value) == pattern


def test_escape_helpers() -> None:
    assert escape_unescaped("_a_", "_") == "\\_a\\_"
    assert escape_unescaped("\\_", "_") == "\\_"
    assert contains_unescaped("a\\%", "%") is False
    assert contains_unescaped("a\\\\%", "%") is True


# -- sort ---------------------------------------------------------------------------------


def ordered(db: apsw.Connection, sort: str) -> list[str]:
    order = build_order_by(parse_sort(sort), PostsResolver(), D, rowid_alias="posts")
    where = Sql("1 = 1")
    sql = select_sql(where, order)
    return [row[0] for row in db.execute(sql, dict(order.params))]


def test_order_by(db: apsw.Connection) -> None:
    assert ordered(db, "-views") == ["p1", "p4", "p2", "p5", "p3"]
    assert ordered(db, "published,-id") == ["p5", "p3", "p2", "p4", "p1"]
    assert ordered(db, "+@rowid") == ["p1", "p2", "p3", "p4", "p5"]
    assert ordered(db, "-@rowid") == ["p5", "p4", "p3", "p2", "p1"]
    assert sorted(ordered(db, "@random")) == sorted(ALL)
    assert ordered(db, "author.name,id") == ["p3", "p5", "p1", "p4", "p2"]
    assert ordered(db, "meta.a,id")[:2] == ["p2", "p4"]


def test_order_by_sql() -> None:
    order = build_order_by([SortItem("title", True), SortItem("@random")], PostsResolver(), D)
    assert order.text == "`posts`.`title` DESC, RANDOM()"
    assert build_order_by([SortItem("@rowid")], PostsResolver(), D).text == "`_rowid_` ASC"


@pytest.mark.parametrize("name", ["nope", "@now", "null", "@request.query.x", ""])
def test_order_by_rejects_literals(name: str) -> None:
    with pytest.raises(FilterCompileError, match="invalid sort field"):
        build_order_by([SortItem(name)], PostsResolver(), D)


# -- every operator x value kind -------------------------------------------------------------

VALUE_KINDS = ['"abc"', '""', "null", "10", "-2", "true", "views", "score", "@now", "@request.query.confirm",
               "@request.auth.id", "meta.a", "labels:each", "tags.name", "labels:length"]  # fmt: skip
LEFT_KINDS = ["title", "views", "meta.a", "labels:each", "tags.name", '"abc"', "@request.auth.id"]


@pytest.mark.parametrize("op", [op for op in Op if not op.is_any])
def test_every_operator_and_value_kind(db: apsw.Connection, op: Op) -> None:
    """Every combination compiles to valid SQL; "all" results are always a subset of
    "any" results; and for single-valued operands "all" and "any" agree."""
    any_op = Op("?" + op.value)
    for left, right in itertools.product(LEFT_KINDS, VALUE_KINDS):
        all_rows = run(db, f"{left} {op.value} {right}")
        any_rows = run(db, f"{left} {any_op.value} {right}")
        assert all_rows <= any_rows, (left, op, right)
        multi = any(k in (left, right) for k in ("labels:each", "tags.name"))
        if not multi:
            assert all_rows == any_rows, (left, op, right)


# -- property: text equality / contains against a Python model -------------------------------


@settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(st.one_of(st.none(), st.text(alphabet="aB_%x ", max_size=4)), min_size=1, max_size=6),
    needle=st.text(alphabet="ab_ xB", max_size=3),
)
def test_text_semantics_match_model(titles: list[str | None], needle: str) -> None:
    conn = apsw.Connection(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(titles)))
    resolver = MapResolver("t", ["id", "title"], D)

    def rows(op: str) -> set[int]:
        where = build_where(f"title {op} {_quote(needle)}", resolver, D)
        return {r[0] for r in conn.execute(f"SELECT id FROM t WHERE {where.text}", dict(where.params))}

    norm = [(t or "") for t in titles]
    assert rows("=") == {i for i, t in enumerate(norm) if t == needle}
    assert rows("!=") == {i for i, t in enumerate(norm) if t != needle}
    contains = {i for i, t in enumerate(titles) if t is not None and needle.lower() in t.lower()}
    assert rows("~") == contains
    assert rows("!~") == {i for i, t in enumerate(titles) if t is not None} - contains


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
