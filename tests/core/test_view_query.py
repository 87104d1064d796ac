from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from satchel.core.collections.view_query import (
    MISSING_ID_MESSAGE,
    WILDCARD_MESSAGE,
    CollectionFieldsInfo,
    Identifier,
    ViewQueryError,
    check_view_sample_ids,
    create_view_fields,
    default_view_field,
    dry_run_view,
    field_id_for,
    infer_view_fields,
    invalid_view_query_error,
    normalize_view_query,
    parse_select,
)

# ---------------------------------------------------------------------------
# fixtures: field dicts in PocketBase's shape
# ---------------------------------------------------------------------------


def _text(name: str, fid: str, **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "autogeneratePattern": "",
        "help": "",
        "hidden": False,
        "id": fid,
        "max": 0,
        "min": 0,
        "name": name,
        "pattern": "",
        "presentable": False,
        "primaryKey": False,
        "required": False,
        "system": False,
        "type": "text",
    }
    d.update(kw)
    return d


ID_FIELD = _text(
    "id",
    "text3208210256",
    autogeneratePattern="[a-z0-9]{15}",
    max=15,
    min=15,
    pattern="^[a-z0-9]+$",
    primaryKey=True,
    required=True,
    system=True,
)
TITLE = _text("title", "text724990059", required=True)
AUTHOR = {
    "cascadeDelete": False,
    "collectionId": "_pb_users_auth_",
    "help": "",
    "hidden": False,
    "id": "relation3182418120",
    "maxSelect": 1,
    "minSelect": 0,
    "name": "author",
    "presentable": False,
    "required": False,
    "system": False,
    "type": "relation",
}
CREATED = {
    "hidden": False,
    "id": "autodate2990389176",
    "name": "created",
    "onCreate": True,
    "onUpdate": False,
    "presentable": False,
    "system": False,
    "type": "autodate",
}
POST_REL = dict(AUTHOR, collectionId="pbc_posts", id="relation1", name="post")
EMAIL = {
    "exceptDomains": None,
    "help": "",
    "hidden": False,
    "id": "email3885137012",
    "name": "email",
    "onlyDomains": None,
    "presentable": False,
    "required": True,
    "system": True,
    "type": "email",
}

POSTS = CollectionFieldsInfo("pbc_posts", "posts", "base", [ID_FIELD, TITLE, AUTHOR, CREATED])
COMMENTS = CollectionFieldsInfo("pbc_comments", "comments", "base", [ID_FIELD, POST_REL, CREATED])
USERS = CollectionFieldsInfo("_pb_users_auth_", "users", "auth", [ID_FIELD, EMAIL])
COLLECTIONS = {c.name: c for c in (POSTS, COMMENTS, USERS)}


def lookup(name: str) -> CollectionFieldsInfo | None:
    return COLLECTIONS.get(name)


def suffixes() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"{next(counter):04d}"


def number(name: str, only_int: bool = False) -> dict[str, Any]:
    return {
        "help": "",
        "hidden": False,
        "id": field_id_for("number", name),
        "max": None,
        "min": None,
        "name": name,
        "onlyInt": only_int,
        "presentable": False,
        "required": False,
        "system": False,
        "type": "number",
    }


def json_field(name: str) -> dict[str, Any]:
    return {
        "help": "",
        "hidden": False,
        "id": field_id_for("json", name),
        "maxSize": 1,
        "name": name,
        "presentable": False,
        "required": False,
        "system": False,
        "type": "json",
    }


def bool_field(name: str) -> dict[str, Any]:
    return {
        "help": "",
        "hidden": False,
        "id": field_id_for("bool", name),
        "name": name,
        "presentable": False,
        "required": False,
        "system": False,
        "type": "bool",
    }


def relation(name: str, collection_id: str) -> dict[str, Any]:
    return dict(AUTHOR, collectionId=collection_id, id=field_id_for("relation", name), name=name)


VIEW_ID = _text("id", "text3208210256", pattern="^[a-z0-9]+$", primaryKey=True, required=True, system=True)


def clone(source: dict[str, Any], name: str, suffix: str) -> dict[str, Any]:
    return dict(source, id="_clone_" + suffix, name=name)


# ---------------------------------------------------------------------------
# normalize
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT 1 as id", "SELECT 1 as id"),
        ("  SELECT 1 as id;  ", "SELECT 1 as id"),
        ("SELECT 1 as id;;", "SELECT 1 as id"),
        ("SELECT ';' as id", "SELECT ';' as id"),
        ("SELECT 1 as id; ", "SELECT 1 as id"),
    ],
)
def test_normalize_view_query(query: str, expected: str) -> None:
    assert normalize_view_query(query) == expected


@pytest.mark.parametrize("query", ["SELECT 1 as id; SELECT 2 as id", "SELECT 1 as id; DROP TABLE posts;"])
def test_normalize_view_query_multiple_statements(query: str) -> None:
    with pytest.raises(ViewQueryError, match="multiple statements are not supported"):
        normalize_view_query(query)


# ---------------------------------------------------------------------------
# parse_select
# ---------------------------------------------------------------------------

Ident = Identifier


@pytest.mark.parametrize(
    ("query", "columns", "froms", "joins"),
    [
        (
            "SELECT p.id, p.title, count(c.id) as total, max(c.created) as last_comment, p.author as author "
            "FROM posts p LEFT JOIN comments c ON c.post = p.id GROUP BY p.id",
            [
                Ident("p.id", "id"),
                Ident("p.title", "title"),
                Ident("count(c.id)", "total"),
                Ident("max(c.created)", "last_comment"),
                Ident("p.author", "author"),
            ],
            [Ident("posts", "p")],
            [Ident("comments", "c")],
        ),
        (
            "select distinct `a`.[id], \"a\".title  as 't' from `posts` as a where a.id != '' order by a.id limit 5;",
            [Ident("a.id", "id"), Ident("a.title", "t")],
            [Ident("posts", "a")],
            [],
        ),
        (
            "SELECT id /* the id */, name -- trailing comment\nFROM tags",
            [Ident("id", "id"), Ident("name", "name")],
            [Ident("tags", "tags")],
            [],
        ),
        (
            "SELECT a.id, b.x, c.y FROM a INNER JOIN b ON b.a = a.id left outer join c on c.b = b.id",
            [Ident("a.id", "id"), Ident("b.x", "x"), Ident("c.y", "y")],
            [Ident("a", "a")],
            [Ident("b", "b"), Ident("c", "c")],
        ),
        (
            "SELECT (ROW_NUMBER() OVER()) as id, (a + b) AS s FROM (SELECT 1 a, 2 b) t",
            [Ident("(ROW_NUMBER() OVER())", "id"), Ident("(a + b)", "s")],
            [Ident("(SELECT 1 a, 2 b)", "t")],
            [],
        ),
        ("SELECT 1 as id", [Ident("1", "id")], [], []),
    ],
)
def test_parse_select(query: str, columns: list[Ident], froms: list[Ident], joins: list[Ident]) -> None:
    parsed = parse_select(query)
    assert list(parsed.columns) == columns
    assert list(parsed.from_tables) == froms
    assert list(parsed.join_tables) == joins
    assert list(parsed.tables) == froms + joins


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT a b c FROM t", 'invalid identifier part - expected "as", got b'),
        ("SELECT a + b as total, id FROM t", "invalid identifier parts [a + b as total]"),
        ("SELECT count(id as id FROM t", "unbalanced parenthesis or quoted expression"),
    ],
)
def test_parse_select_errors(query: str, message: str) -> None:
    with pytest.raises(ViewQueryError) as info:
        parse_select(query)
    assert message in info.value.message


# ---------------------------------------------------------------------------
# inference rules (one column each)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("p.id", VIEW_ID),
        ("'x' as id", VIEW_ID),
        ("count(c.id) as n", number("n", only_int=True)),
        ("COUNT(*) as n", number("n", only_int=True)),
        ("total(c.x) as t", number("t")),
        ("cast(p.x as real) as v", number("v")),
        ("CAST(p.x AS DECIMAL) as v", number("v")),
        ("cast(p.x as numeric) as v", number("v")),
        ("cast(p.x as int) as v", number("v", only_int=True)),
        ("cast(p.x as INTEGER) as v", number("v", only_int=True)),
        ("cast(p.x as text) as v", _text("v", field_id_for("text", "v"))),
        ("cast(p.x as bool) as v", bool_field("v")),
        ("cast(p.x as boolean) as v", bool_field("v")),
        ("cast(p.x as blob) as v", json_field("v")),  # unknown cast type -> fallback
        ("p.title", clone(TITLE, "title", "0001")),
        ("p.TITLE as headline", clone(TITLE, "headline", "0001")),  # case-insensitive, renamed
        ("title as t2", clone(TITLE, "t2", "0001")),  # unqualified -> main table
        ("p.author", clone(AUTHOR, "author", "0001")),
        ("c.post as post", clone(POST_REL, "post", "0001")),
        ("p.id as post_id", relation("post_id", "pbc_posts")),
        ("c.id as comment", relation("comment", "pbc_comments")),
        ("c.ID as comment", relation("comment", "pbc_comments")),
        ("p.missing as m", json_field("m")),  # known collection, unknown field
        ("x.title as m", json_field("m")),  # unknown alias
        ("max(c.created) as last_comment", json_field("last_comment")),
        ("(p.title || 'x') as m", json_field("m")),
        ("123 as m", json_field("m")),
    ],
)
def test_inference_rules(column: str, expected: dict[str, Any]) -> None:
    query = f"SELECT p.id, {column} FROM posts p LEFT JOIN comments c ON c.post = p.id"
    inferred = infer_view_fields(query, lookup, clone_suffix=suffixes())
    field = inferred[-1].field
    assert field == expected
    assert list(field) == sorted(field)  # keys are sorted


def test_clone_is_a_copy_and_keeps_source_flags() -> None:
    inferred = infer_view_fields("SELECT id, email as mail FROM users", lookup, clone_suffix=suffixes())
    mail = inferred[1]
    assert mail.field == clone(EMAIL, "mail", "0001")
    assert mail.field["system"] is True  # flags are cloned as is
    assert mail.collection == USERS and mail.original is EMAIL
    mail.field["name"] = "changed"
    assert EMAIL["name"] == "email"


def test_clone_ids_are_random_by_default() -> None:
    inferred = infer_view_fields("SELECT p.id, p.title as a, p.title as b FROM posts p", lookup)
    a, b = inferred[1].field["id"], inferred[2].field["id"]
    for fid in (a, b):
        assert fid.startswith("_clone_") and len(fid) == len("_clone_") + 4
        assert fid[7:].isalnum()


def test_lookup_called_once_per_table_name_and_exact_names_only() -> None:
    calls: list[str] = []

    def spy(name: str) -> CollectionFieldsInfo | None:
        calls.append(name)
        # a case-insensitive lookup must not make "POSTS" match "posts"
        return COLLECTIONS.get(name.lower())

    inferred = infer_view_fields(
        "SELECT a.id, a.title, b.title as bt FROM posts a JOIN POSTS b ON b.id = a.id "
        "JOIN (SELECT 1) s ON 1 JOIN posts c ON 1",
        spy,
        clone_suffix=suffixes(),
    )
    assert calls == ["posts", "POSTS"]
    assert inferred[1].field["type"] == "text"
    assert inferred[2].field == json_field("bt")


def test_wildcard_rejected() -> None:
    for q in ("SELECT * FROM posts", "SELECT p.id, p.* FROM posts p"):
        with pytest.raises(ViewQueryError) as info:
            infer_view_fields(q, lookup)
        assert info.value.message == WILDCARD_MESSAGE


def test_duplicate_alias_keeps_last_definition() -> None:
    inferred = infer_view_fields("SELECT id, count(x) as a, total(y) as a FROM posts", lookup)
    assert [f.name for f in inferred] == ["id", "a"]
    assert inferred[1].field == number("a")


# ---------------------------------------------------------------------------
# captured example (spec 01 §5) through the full pipeline
# ---------------------------------------------------------------------------

POST_STATS = (
    "SELECT p.id, p.title, count(c.id) as total, max(c.created) as last_comment, p.author as author "
    "FROM posts p LEFT JOIN comments c ON c.post = p.id GROUP BY p.id"
)


def test_post_stats() -> None:
    seen: list[str] = []

    def table_columns(sql: str) -> Sequence[str]:
        seen.append(sql)
        return ["id", "title", "total", "last_comment", "author"]

    fields = create_view_fields(POST_STATS + ";", lookup, table_columns, clone_suffix=suffixes())
    assert seen == [POST_STATS]
    assert fields == [
        VIEW_ID,
        clone(TITLE, "title", "0001"),
        number("total", only_int=True),
        json_field("last_comment"),
        clone(AUTHOR, "author", "0002"),
    ]


def test_create_view_fields_follows_db_columns() -> None:
    # the database decides the column list/order; unknown columns fall back to defaults
    fields = create_view_fields(
        "SELECT p.id, p.title FROM posts p",
        lookup,
        lambda sql: ["title", "id", "title:1"],
        clone_suffix=suffixes(),
    )
    assert [f["name"] for f in fields] == ["title", "id", "title:1"]
    assert fields[1] == VIEW_ID
    assert fields[2] == json_field("title:1")


def test_create_view_fields_missing_id() -> None:
    with pytest.raises(ViewQueryError) as info:
        create_view_fields("SELECT p.title FROM posts p", lookup, lambda sql: ["title"])
    assert info.value.message == MISSING_ID_MESSAGE


def test_create_view_fields_db_error_is_wrapped() -> None:
    def boom(sql: str) -> Sequence[str]:
        raise RuntimeError("no such column: p.nope")

    with pytest.raises(ViewQueryError) as info:
        create_view_fields("SELECT p.nope as id FROM posts p", lookup, boom)
    assert info.value.message == "no such column: p.nope"


def test_create_view_fields_error_order() -> None:
    def never(sql: str) -> Sequence[str]:
        raise AssertionError("the database must not be reached")

    # parse errors come before the multiple statements check
    with pytest.raises(ViewQueryError, match=r"invalid identifier parts \[a b c 1\]"):
        create_view_fields("SELECT a b c FROM posts; SELECT 1", lookup, never)
    with pytest.raises(ViewQueryError, match="wildcard"):
        create_view_fields("SELECT * FROM posts; ", lookup, never)
    with pytest.raises(ViewQueryError, match="multiple statements"):
        create_view_fields("SELECT id FROM posts; SELECT 2", lookup, never)


def test_invalid_view_query_error() -> None:
    err = invalid_view_query_error(ViewQueryError(MISSING_ID_MESSAGE))
    assert err.code == "validation_invalid_view_query"
    assert err.message == (
        "Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` "
        "if you don't have one)."
    )
    assert invalid_view_query_error(ViewQueryError(WILDCARD_MESSAGE)).message.startswith(
        "Invalid query - wildcard columns (*) are not supported - "
    )


def test_default_view_field() -> None:
    assert default_view_field("id") == VIEW_ID
    assert default_view_field("x") == json_field("x")


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["a", "b"], None),
        ([], None),
        (["a", ""], "the query could return records with empty or invalid ids"),
        (["a", None], "the query could return records with empty or invalid ids"),
        (["a", "b", "a"], "the query could return records with non-unique ids"),
    ],
)
def test_check_view_sample_ids(ids: list[object], message: str | None) -> None:
    if message is None:
        check_view_sample_ids(ids)
    else:
        with pytest.raises(ViewQueryError, match=message):
            check_view_sample_ids(ids)


# ---------------------------------------------------------------------------
# dry run (what the viewQuery validator runs)
# ---------------------------------------------------------------------------

POST_STATS_COLUMNS = ["id", "title", "total", "last_comment", "author"]


def test_dry_run_post_stats_ok() -> None:
    sampled: list[str] = []

    def sample(sql: str) -> list[object]:
        sampled.append(sql)
        return ["a", "b", "c"]

    fields = dry_run_view(
        POST_STATS + ";", lookup, lambda sql: POST_STATS_COLUMNS, sample, clone_suffix=suffixes()
    )
    assert [f["name"] for f in fields] == POST_STATS_COLUMNS
    assert sampled == [POST_STATS]


def _raise(exc: Exception) -> Callable[[str], list[object]]:
    def f(sql: str) -> list[object]:
        raise exc

    return f


@pytest.mark.parametrize(
    ("query", "columns", "sample", "field_error", "message"),
    [
        # multiple statements are reported first in a dry run
        (
            "SELECT * FROM posts; SELECT 1",
            POST_STATS_COLUMNS,
            lambda s: [],
            None,
            "multiple statements are not supported",
        ),
        ("SELECT * FROM posts", POST_STATS_COLUMNS, lambda s: [], None, WILDCARD_MESSAGE),
        ("SELECT p.title FROM posts p", ["title"], lambda s: [], None, MISSING_ID_MESSAGE),
        (
            POST_STATS,
            POST_STATS_COLUMNS,
            lambda s: [],
            lambda f: "bad settings" if f["name"] == "total" else None,
            'invalid field "total" (2): bad settings',
        ),
        (
            POST_STATS,
            POST_STATS_COLUMNS,
            _raise(RuntimeError("boom")),
            None,
            "failed to retrieve query records: boom",
        ),
        (
            POST_STATS,
            POST_STATS_COLUMNS,
            lambda s: ["a", ""],
            None,
            "the query could return records with empty or invalid ids",
        ),
        (
            POST_STATS,
            POST_STATS_COLUMNS,
            lambda s: [1, 1],
            None,
            "the query could return records with non-unique ids",
        ),
    ],
)
def test_dry_run_errors(
    query: str,
    columns: list[str],
    sample: Callable[[str], list[object]],
    field_error: Callable[[dict[str, Any]], str | None] | None,
    message: str,
) -> None:
    with pytest.raises(ViewQueryError) as info:
        dry_run_view(query, lookup, lambda sql: columns, sample, field_error=field_error)
    assert info.value.message == message


def test_invalid_view_query_error_truncates_raw_error() -> None:
    err = invalid_view_query_error(RuntimeError("x" * 600))
    assert err.message == "Invalid query - " + "x" * 500 + "."


# ---------------------------------------------------------------------------
# PocketBase's own CreateViewFields scenarios (field types only)
# ---------------------------------------------------------------------------


def _f(name: str, type_: str) -> dict[str, Any]:
    return {"id": f"{type_}_{name}", "name": name, "type": type_}


DEMO1 = CollectionFieldsInfo(
    "demo1_id",
    "demo1",
    "base",
    [
        _f("id", "text"),
        _f("text", "text"),
        _f("bool", "bool"),
        _f("url", "url"),
        _f("select_one", "select"),
        _f("select_many", "select"),
        _f("file_one", "file"),
        _f("file_many", "file"),
        _f("number", "number"),
        _f("email", "email"),
        _f("datetime", "date"),
        _f("json", "json"),
        _f("rel_one", "relation"),
        _f("rel_many", "relation"),
        _f("created", "autodate"),
        _f("updated", "autodate"),
    ],
)
DEMO_COLLECTIONS = {
    "demo1": DEMO1,
    "demo2": CollectionFieldsInfo("demo2_id", "demo2", "base", [_f("id", "text"), _f("created", "autodate")]),
    "demo3": CollectionFieldsInfo("demo3_id", "demo3", "base", [_f("id", "text")]),
    "demo4": CollectionFieldsInfo("demo4_id", "demo4", "base", [_f("id", "text")]),
    "_superusers": CollectionFieldsInfo(
        "su_id", "_superusers", "auth", [_f("id", "text"), _f("email", "email")]
    ),
}

PB_SCENARIOS: list[tuple[str, dict[str, str]]] = [
    (
        """
        select
        -- test single line
        demo1.id,
        demo1.text,
        /* multi
         * line comment block */
        demo1.url, demo1.created, demo1.updated from/* inline comment block with no spaces */demo1
        -- comment before join
        join demo2 ON (
            -- comment inside join
            demo2.id = demo1.id
        )
        -- comment before where
        where (
            -- comment inside where
            demo2.id = demo1.id
        )
        """,
        {"id": "text", "text": "text", "url": "url", "created": "autodate", "updated": "autodate"},
    ),
    (
        """
        select
            "id",
            "created",
            "updated",
            [text],
            `bool`,
            "url",
            "select_one",
            "select_many",
            "file_one",
            "demo1"."file_many",
            `demo1`.`number` number_alias,
            "email",
            "datetime",
            "json",
            "rel_one",
            "rel_many",
            'single_quoted_custom_literal' as 'single_quoted_column'
        from demo1
        """,
        {
            "id": "text",
            "created": "autodate",
            "updated": "autodate",
            "text": "text",
            "bool": "bool",
            "url": "url",
            "select_one": "select",
            "select_many": "select",
            "file_one": "file",
            "file_many": "file",
            "number_alias": "number",
            "email": "email",
            "datetime": "date",
            "json": "json",
            "rel_one": "relation",
            "rel_many": "relation",
            "single_quoted_column": "json",
        },
    ),
    (
        "select a.id, b.id as bid, b.created from demo1 as a left join demo2 b",
        {"id": "text", "bid": "relation", "created": "autodate"},
    ),
    (
        """
        select
            a.id as id,
            b.id as bid,
            lj.id cid,
            ij.id as did,
            a.bool,
            _superusers.id as eid,
            _superusers.email
        from demo1 a, demo2 as b
        left join demo3 lj on lj.id = 123
        inner join demo4 as ij on ij.id = 123
        join _superusers
        where 1=1
        group by a.id
        limit 10
        """,
        {
            "id": "text",
            "bid": "relation",
            "cid": "relation",
            "did": "relation",
            "bool": "bool",
            "eid": "relation",
            "email": "email",
        },
    ),
    (
        """select
            a.id,
            count(a.id) count,
            cast(a.id as int) cast_int,
            cast(a.id as integer) cast_integer,
            cast(a.id as real) cast_real,
            cast(a.id as decimal) cast_decimal,
            cast(a.id as numeric) cast_numeric,
            cast(a.id as text) cast_text,
            cast(a.id as bool) cast_bool,
            cast(a.id as boolean) cast_boolean,
            avg(a.id) avg,
            sum(a.id) sum,
            total(a.id) total,
            min(a.id) min,
            max(a.id) max
        from demo1 a""",
        {
            "id": "text",
            "count": "number",
            "cast_int": "number",
            "cast_integer": "number",
            "cast_real": "number",
            "cast_decimal": "number",
            "cast_numeric": "number",
            "cast_text": "text",
            "cast_bool": "bool",
            "cast_boolean": "bool",
            "avg": "json",
            "sum": "json",
            "total": "number",
            "min": "json",
            "max": "json",
        },
    ),
    (
        """select
            id,
            cast(
                (
                    case
                        when count(a.id) = 1 then 21
                        when count(a.id) = 2 then 18
                        else 0
                    end
                ) as int
            ) as cast_int
        from demo1 a""",
        {"id": "text", "cast_int": "number"},
    ),
    (
        """select
            id,
            CaSt( a.id  aS iNt ) as cast_int
        from demo1 a""",
        {"id": "text", "cast_int": "number"},
    ),
]


@pytest.mark.parametrize(("query", "expected"), PB_SCENARIOS)
def test_pocketbase_scenarios(query: str, expected: dict[str, str]) -> None:
    inferred = infer_view_fields(query, DEMO_COLLECTIONS.get)
    assert {f.name: f.field["type"] for f in inferred} == expected
    fields = create_view_fields(query, DEMO_COLLECTIONS.get, lambda sql: list(expected))
    assert [f["name"] for f in fields] == list(expected)
