"""The record field resolver against a real SQLite schema (apsw).

Schema (built in code): ``orgs``; ``users`` (auth, hidden ``secret``, relation
``org``); ``tags``; ``notes`` (listRule null); ``posts`` (single ``author``,
multiple ``tags``, self ``parent``, hidden ``secret``, json ``meta``, geoPoint
``loc``, multiple select ``labels``, relation ``note``); ``comments`` (back-relating
to posts through ``post``, hidden relation ``ref``).  Expected rows encode
PocketBase 0.40 semantics (spec 04, 03 §2.3/§6, 10 §2).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import apsw
import pytest

from satchel.core.collections.model import Collection
from satchel.core.fields import Field, field_from_dict
from satchel.core.fields.defaults import auth_system_fields
from satchel.core.records.resolver import (
    RecordFieldResolver,
    RequestInfo,
    normalize_header_name,
    rule_exists_query,
    superuser_only_filter_error,
)
from satchel.store.dialect import SqliteDialect
from satchel.tools.search import FilterCompileError, Sql, build_order_by, build_where, parse_sort

D = SqliteDialect()
NOW = datetime(2026, 11, 23, 19, 17, 19, 57000, tzinfo=UTC)


def _f(name: str, type_: str, **opts: Any) -> Field:
    return field_from_dict({"name": name, "type": type_, **opts})


ID_FIELD = {"name": "id", "type": "text", "primaryKey": True, "system": True}

ORGS = Collection(
    id="pbc_orgs", name="orgs", listRule="", fields=[field_from_dict(ID_FIELD), _f("name", "text")]
)
USERS = Collection(
    id="_pb_users_auth_",
    name="users",
    type="auth",
    listRule="verified = true || id = @request.auth.id",
    fields=[
        field_from_dict(ID_FIELD),
        *auth_system_fields(),
        _f("name", "text"),
        _f("secret", "text", hidden=True),
        _f("org", "relation", collectionId="pbc_orgs", maxSelect=1),
    ],
)
TAGS = Collection(
    id="pbc_tags", name="tags", listRule="", fields=[field_from_dict(ID_FIELD), _f("name", "text")]
)
NOTES = Collection(
    id="pbc_notes", name="notes", listRule=None, fields=[field_from_dict(ID_FIELD), _f("text", "text")]
)
POSTS = Collection(
    id="pbc_posts",
    name="posts",
    listRule="",
    fields=[
        field_from_dict(ID_FIELD),
        _f("title", "text"),
        _f("views", "number"),
        _f("author", "relation", collectionId="_pb_users_auth_", maxSelect=1),
        _f("tags", "relation", collectionId="pbc_tags", maxSelect=5),
        _f("parent", "relation", collectionId="pbc_posts", maxSelect=1),
        _f("secret", "text", hidden=True),
        _f("meta", "json"),
        _f("loc", "geoPoint"),
        _f("labels", "select", values=["a", "b", "c"], maxSelect=3),
        _f("note", "relation", collectionId="pbc_notes", maxSelect=1),
    ],
)
COMMENTS = Collection(
    id="pbc_comments",
    name="comments",
    listRule="",
    fields=[
        field_from_dict(ID_FIELD),
        _f("post", "relation", collectionId="pbc_posts", maxSelect=1),
        _f("user", "relation", collectionId="_pb_users_auth_", maxSelect=1),
        _f("message", "text"),
        _f("ref", "relation", collectionId="pbc_posts", maxSelect=1, hidden=True),
    ],
)
ALL_COLLECTIONS = [ORGS, USERS, TAGS, NOTES, POSTS, COMMENTS]


def lookup(ref: str) -> Collection | None:
    for c in ALL_COLLECTIONS:
        if ref in (c.id, c.name):
            return c
    return None


ROWS: dict[str, list[dict[str, Any]]] = {
    "orgs": [{"id": "o1", "name": "Acme"}, {"id": "o2", "name": "Beta"}],
    "users": [
        {"id": "u1", "email": "alice@x.io", "emailVisibility": False, "verified": False, "name": "Alice",
         "secret": "s1", "org": "o1"},
        {"id": "u2", "email": "bob@x.io", "emailVisibility": True, "verified": True, "name": "Bob", "org": "o2"},
        {"id": "u3", "email": "carol@x.io", "emailVisibility": False, "verified": True, "name": "Carol"},
    ],
    "tags": [{"id": "t1", "name": "news"}, {"id": "t2", "name": "tech"}],
    "notes": [{"id": "n1", "text": "x"}],
    "posts": [
        {"id": "p1", "title": "Hello", "views": 10, "author": "u1", "tags": ["t1", "t2"], "secret": "x",
         "meta": {"a": {"b": 1}}, "loc": {"lon": 23.3, "lat": 42.7}, "labels": ["a", "b"], "note": "n1"},
        {"id": "p2", "title": "World", "views": 5, "author": "u2", "tags": ["t1"], "meta": {"a": {"b": 2}},
         "labels": ["a"], "parent": "p1"},
        {"id": "p3", "title": "Empty", "author": "", "tags": [], "labels": [], "parent": "p2"},
        {"id": "p4", "title": "Fourth", "views": 1, "author": "u3", "tags": ["t2"], "labels": ["c"]},
    ],
    "comments": [
        {"id": "c1", "post": "p1", "user": "u2", "message": "nice"},
        {"id": "c2", "post": "p1", "user": "u1", "message": "bad"},
        {"id": "c3", "post": "p2", "user": "u1", "message": "nice", "ref": "p4"},
    ],
}  # fmt: skip
ALL_POSTS = {"p1", "p2", "p3", "p4"}


@pytest.fixture(scope="module")
def db() -> Iterator[apsw.Connection]:
    conn = apsw.Connection(":memory:")
    for c in ALL_COLLECTIONS:
        conn.execute(D.create_table(c.name, [(f.name, f.column_kind.value) for f in c.fields]))
        for row in ROWS.get(c.name, []):
            values = {f.name: f.to_db(row.get(f.name, f.zero_value())) for f in c.fields}
            cols = ", ".join(D.q(k) for k in values)
            marks = ", ".join(f":{k}" for k in values)
            conn.execute(f"INSERT INTO {D.q(c.name)} ({cols}) VALUES ({marks})", values)
    yield conn
    conn.close()


def auth_of(user_id: str) -> RequestInfo:
    row = next(r for r in ROWS["users"] if r["id"] == user_id)
    return RequestInfo(auth=dict(row), auth_collection=USERS)


GUEST = RequestInfo()
ALICE = auth_of("u1")
BOB = auth_of("u2")
SUPERUSER = RequestInfo(
    auth={"id": "su1", "email": "su@x.io"},
    auth_collection=Collection(id="pbc_su", name="_superusers", type="auth"),
)


def query(
    db: apsw.Connection,
    text: str,
    request: RequestInfo | None,
    *,
    allow_hidden: bool,
    base: Collection = POSTS,
    sort: str | None = None,
) -> list[str]:
    r = RecordFieldResolver(lookup, base, request, D, allow_hidden=allow_hidden)
    where = build_where(text, r, D, now=NOW)
    order = build_order_by(parse_sort(sort), r, D) if sort else Sql("")
    extra = r.list_rule_constraints(now=NOW)
    joins = {j.alias: j for j in (*where.joins, *order.joins, *extra.joins)}
    sql = (
        f"SELECT DISTINCT {D.column(base.name, 'id')} FROM {D.q(base.name)} {D.joins_clause(joins.values())}"
    )
    sql += f" WHERE {where.text}" + (f" AND {extra.text}" if extra.text else "")
    if order.text:
        sql += f" ORDER BY {order.text}"
    params = {**where.params, **order.params, **extra.params}
    for j in joins.values():
        params.update(j.params)
    return [row[0] for row in db.execute(sql, params)]


def ids(db: apsw.Connection, text: str, request: RequestInfo | None, **kw: Any) -> set[str]:
    return set(query(db, text, request, **kw))


# -- rule mode / superuser (hidden fields allowed) ----------------------------------------

BODY = {"title": "Hello", "views": "5", "tags": ["t1", "t2"], "author": "u2", "labels": "b"}
WITH_BODY = RequestInfo(
    auth=ALICE.auth, auth_collection=USERS, body=BODY, query={"x": "1"},
    headers={"X-Token": "abc", "User-Agent": "curl/8"}, method="PATCH", context="realtime",
)  # fmt: skip

RULE_CASES: list[tuple[str, RequestInfo | None, set[str]]] = [
    ('title = "Hello"', ALICE, {"p1"}),
    ("id = 'p2'", ALICE, {"p2"}),
    ('author.name = "Alice"', ALICE, {"p1"}),
    ('author.id = "u1"', ALICE, {"p1"}),
    ('author.org.name = "Acme"', ALICE, {"p1"}),
    ('author.org.name != "Acme"', ALICE, {"p2", "p3", "p4"}),
    ('author.secret = "s1"', ALICE, {"p1"}),
    ('tags.name ?= "tech"', ALICE, {"p1", "p4"}),
    ('tags.name = "news"', ALICE, {"p2"}),
    ('tags.name != "news"', ALICE, {"p3", "p4"}),
    ('tags.name ?!= "news"', ALICE, {"p1", "p3", "p4"}),
    ('tags.id ?= "t2"', ALICE, {"p1", "p4"}),
    ("tags:length = 2", ALICE, {"p1"}),
    ('tags:each ?= "t1"', ALICE, {"p1", "p2"}),
    ('tags:each = "t1"', ALICE, {"p2"}),
    ('parent.title = "Hello"', ALICE, {"p2"}),
    ('parent.parent.title = "Hello"', ALICE, {"p3"}),
    ('parent.author.name = "Alice"', ALICE, {"p2"}),
    ('comments_via_post.message ?= "nice"', ALICE, {"p1", "p2"}),
    ('comments_via_post.message = "nice"', ALICE, {"p2"}),
    ('comments_via_post.user.name ?= "Bob"', ALICE, {"p1"}),
    ('comments_via_ref.message ?= "nice"', ALICE, {"p4"}),
    ("comments_via_post.id ?!= ''", ALICE, {"p1", "p2"}),
    ("@collection.comments:c.post ?= id && @collection.comments:c.message ?= 'bad'", ALICE, {"p1"}),
    ("@collection.comments.post ?= id", ALICE, {"p1", "p2"}),
    ("@collection.comments.post = id", ALICE, set()),
    ('@collection.users.email ?= "alice@x.io"', ALICE, ALL_POSTS),
    ('secret = "x"', ALICE, {"p1"}),
    ("meta.a.b = 2", ALICE, {"p2"}),
    ("meta.a.b > 0", ALICE, {"p1", "p2"}),
    ("meta = null", ALICE, {"p3", "p4"}),
    ("loc.lat > 10", ALICE, {"p1"}),
    ("geoDistance(loc.lon, loc.lat, 23.3, 42.7) < 1", ALICE, {"p1"}),
    ("labels:length = 2", ALICE, {"p1"}),
    ('labels:each ?= "b"', ALICE, {"p1"}),
    ('labels:each = "a"', ALICE, {"p2"}),
    ('labels ~ "c"', ALICE, {"p4"}),
    ('title:lower = "hello"', ALICE, {"p1"}),
    ('author.name:lower = "bob"', ALICE, {"p2"}),
    ("views > 4 && views < 11", ALICE, {"p1", "p2"}),
    ('strftime("%Y", "2026-01-01") = "2026" && title = "Empty"', ALICE, {"p3"}),
    # @request.auth
    ("author = @request.auth.id", ALICE, {"p1"}),
    ("author = @request.auth.id", GUEST, {"p3"}),
    ("author = @request.auth.id", None, {"p3"}),
    ('@request.auth.org.name = "Acme"', ALICE, ALL_POSTS),
    ('@request.auth.org.name = "Acme"', BOB, set()),
    ('@request.auth.org.name = "Acme"', GUEST, set()),
    ('@request.auth.name = "Alice" && @request.auth.secret = "s1"', ALICE, ALL_POSTS),
    (
        '@request.auth.collectionName = "users" && @request.auth.collectionId = "_pb_users_auth_"',
        ALICE,
        ALL_POSTS,
    ),
    ('@request.auth.collectionName = "_superusers"', SUPERUSER, ALL_POSTS),
    ("@request.auth.emailVisibility = false && @request.auth.verified = false", ALICE, ALL_POSTS),
    ('@request.auth.email = "alice@x.io"', ALICE, ALL_POSTS),
    ("@request.auth.nope = null", ALICE, ALL_POSTS),
    ('@request.auth.id != ""', GUEST, set()),
    ('@request.auth.id:lower = "u1"', ALICE, ALL_POSTS),
    # @request.* statics
    ('@request.query.x = "1" && @request.query.nope = ""', WITH_BODY, ALL_POSTS),
    ('@request.headers.x_token = "abc" && @request.headers.user_agent ~ "curl"', WITH_BODY, ALL_POSTS),
    ('@request.method = "PATCH" && @request.context = "realtime"', WITH_BODY, ALL_POSTS),
    ("@request.body.title:isset = true && @request.body.nope:isset = false", WITH_BODY, ALL_POSTS),
    ("@request.body.title:isset = true", GUEST, set()),
    ("@request.body.views = 5", WITH_BODY, ALL_POSTS),  # numeric string of a number field -> number
    ("@request.body.views > 4", WITH_BODY, ALL_POSTS),
    ("@request.body.tags:length = 2 && @request.body.labels:length = 1", WITH_BODY, ALL_POSTS),
    ('@request.body.tags:each ?= "t2"', WITH_BODY, ALL_POSTS),
    ('@request.body.tags:each = "t2"', WITH_BODY, set()),
    ('@request.body.tags:each ~ "t"', WITH_BODY, ALL_POSTS),
    ('@request.body.tags.name ?= "tech"', WITH_BODY, ALL_POSTS),
    ('@request.body.tags.name = "tech"', WITH_BODY, set()),
    ('@request.body.author.name = "Bob"', WITH_BODY, ALL_POSTS),
    ("@request.body.author.name = null", GUEST, ALL_POSTS),
    ('@request.body.title:lower = "hello"', WITH_BODY, ALL_POSTS),
    ("@request.body.title:changed = true", WITH_BODY, {"p2", "p3", "p4"}),
    ("@request.body.title:changed = false", WITH_BODY, {"p1"}),
    ("@request.body.views:changed = false", WITH_BODY, {"p2"}),
    ("@request.body.title:changed = false", GUEST, ALL_POSTS),  # not submitted -> unchanged
    ('@request.body.tags = \'["t1","t2"]\'', WITH_BODY, ALL_POSTS),  # non-scalars are JSON text
    ('@request.data.title = "Hello"', WITH_BODY, ALL_POSTS),  # Satchel extension
    ("@request.query.x = null", None, ALL_POSTS),
]


@pytest.mark.parametrize(("text", "request_info", "expected"), RULE_CASES)
def test_rule_mode(
    db: apsw.Connection, text: str, request_info: RequestInfo | None, expected: set[str]
) -> None:
    assert ids(db, text, request_info, allow_hidden=True) == expected


# -- client mode (non-superuser filter/sort) -------------------------------------------------

CLIENT_CASES: list[tuple[str, RequestInfo, set[str]]] = [
    ('title = "Hello"', GUEST, {"p1"}),
    # users.listRule = "verified = true || id = @request.auth.id" is ANDed for joined users
    ('author.name = "Alice"', GUEST, set()),
    ('author.name = "Alice"', ALICE, {"p1"}),
    ('author.name = "Bob"', GUEST, {"p2"}),
    ('author.name = "Bob" || title = "Empty"', GUEST, {"p2", "p3"}),  # empty relation passes the guard
    ('author.name != "x"', GUEST, {"p2", "p3", "p4"}),
    # emailVisibility guard
    ('author.email = "bob@x.io"', GUEST, {"p2"}),
    ('author.email = "carol@x.io"', GUEST, set()),
    ('author.email ~ "x.io"', GUEST, {"p2"}),
    ('tags.name ?= "tech"', GUEST, {"p1", "p4"}),
    ('comments_via_post.message ?= "bad"', GUEST, {"p1"}),
    ('author.org.name = "Beta"', GUEST, {"p2"}),
]


@pytest.mark.parametrize(("text", "request_info", "expected"), CLIENT_CASES)
def test_client_mode(db: apsw.Connection, text: str, request_info: RequestInfo, expected: set[str]) -> None:
    assert ids(db, text, request_info, allow_hidden=False) == expected


def test_client_mode_email_on_base_auth_collection(db: apsw.Connection) -> None:
    assert ids(db, 'email = "bob@x.io"', GUEST, allow_hidden=False, base=USERS) == {"u2"}
    assert ids(db, 'email = "alice@x.io"', GUEST, allow_hidden=False, base=USERS) == set()
    assert ids(db, 'email = "alice@x.io"', GUEST, allow_hidden=True, base=USERS) == {"u1"}


def test_superuser_sees_what_clients_cannot(db: apsw.Connection) -> None:
    assert ids(db, 'author.email = "carol@x.io"', SUPERUSER, allow_hidden=True) == {"p4"}
    assert ids(db, 'author.name = "Alice"', GUEST, allow_hidden=True) == {"p1"}
    assert ids(db, 'note.text = "x"', SUPERUSER, allow_hidden=True) == {"p1"}


def test_client_sort_joins_get_list_rule(db: apsw.Connection) -> None:
    # as in PocketBase the joined listRule is ANDed at the top level: sorting by the
    # author's name drops the posts whose author the requester can't list
    assert query(db, "id != ''", GUEST, allow_hidden=False, sort="author.name,id") == ["p3", "p2", "p4"]
    assert query(db, "id != ''", ALICE, allow_hidden=False, sort="author.name,id") == ["p3", "p1", "p2", "p4"]
    assert query(db, "id != ''", ALICE, allow_hidden=False, sort="-views") == ["p1", "p2", "p4", "p3"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('secret = "x"', 'non-filterable field "secret"'),
        ('author.secret = "x"', 'non-filterable field "secret"'),
        ('secret.x = "x"', 'non-filterable field "secret"'),
        ('comments_via_ref.message = "x"', 'non-filterable back relation field "ref"'),
        (
            'note.text = "x"',
            '"notes" fields can be accessed only when allowHiddenFields is enabled or by superusers',
        ),
        ('@request.auth.id = ""', "Only superusers can filter by @request."),
        ("@collection.tags.name ?= 'x'", "Only superusers can filter by @collection."),
    ],
)
def test_client_mode_rejections(text: str, message: str) -> None:
    r = RecordFieldResolver(lookup, POSTS, ALICE, D, allow_hidden=False)
    with pytest.raises(FilterCompileError) as info:
        build_where(text, r, D)
    assert info.value.message.endswith(message)


def test_superuser_only_filter_error() -> None:
    assert superuser_only_filter_error("title = 'a'", "-created") is None
    assert (
        superuser_only_filter_error("@request.auth.id = ''", None)
        == "Only superusers can filter by @request."
    )
    assert (
        superuser_only_filter_error(None, "@collection.x.y") == "Only superusers can filter by @collection."
    )
    assert superuser_only_filter_error("@request.a = @collection.b.c", None) == (
        "Only superusers can filter by @collection."
    )


# -- errors (rule mode) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonexisting = 1", 'invalid left operand "nonexisting" - unknown field "nonexisting"'),
        ("title = nope", 'invalid right operand "nope" - unknown field "nope"'),
        (
            "@request.nope = 1",
            'invalid left operand "@request.nope" - failed to resolve field "@request.nope"',
        ),
        ("@request.auth = 1", 'failed to resolve field "@request.auth"'),
        ("@request.method:lower = 1", 'failed to resolve field "@request.method:lower"'),
        (
            "@collection.nope.id = id",
            'failed to load collection "nope" from field path "@collection.nope.id"',
        ),
        (
            "@collection.nope:x.id = id",
            'failed to load collection "nope:x" from field path "@collection.nope:x.id"',
        ),
        ("@collection.tags = 1", 'failed to resolve field "@collection.tags"'),
        ("title.x = 1", 'field "title" is not a valid relation'),
        ("nope.x = 1", 'failed to resolve field "nope"'),
        ("title:bogus = 1", 'unknown modifier in "title:bogus"'),
        ("author.nope = 1", 'unknown field "nope"'),
        ("@request.body.title:each = 1", 'field "title" doesn\'t support multivalue operations'),
        ("@request.body.title:length = 1", 'field "title" doesn\'t support multivalue operations'),
        ("@request.query.x:each = 1", "invalid modifier sequence x:each"),
        ("@request.body.nope:changed = 1", "invalid modifier sequence nope:changed"),
        ("comments_via_post:length > 1", 'unknown field "comments_via_post"'),
        ("comments_via_nope.id = 1", 'missing back relation field "nope"'),
        ("nope_via_post.id = 1", 'failed to load back relation field "nope_via_post" collection'),
        ("comments_via_message.id = 1", 'invalid back relation field "message"'),
        ("comments_via_user.id = 1", 'invalid collection reference of a back relation field "user"'),
        (
            "parent.parent.parent.parent.parent.parent.parent.title = 1",
            'max nested relations reached for field "parent"',
        ),
        ("1 = -", "invalid"),
    ],
)
def test_errors(text: str, message: str) -> None:
    r = RecordFieldResolver(lookup, POSTS, RequestInfo(), D, allow_hidden=True)
    with pytest.raises(Exception) as info:  # noqa: PT011 - FilterSyntaxError or FilterCompileError
        build_where(text, r, D)
    assert message in str(info.value)


def test_six_hops_are_allowed(db: apsw.Connection) -> None:
    assert ids(db, "parent.parent.parent.parent.parent.parent.title = 'x'", ALICE, allow_hidden=True) == set()
    assert ids(
        db, "@request.auth.org.name = 'Acme' && author.org.name = 'Acme'", ALICE, allow_hidden=True
    ) == {"p1"}


# -- SQL shapes (spec 04 captures) -------------------------------------------------------------


def sql_of(text: str, request: RequestInfo | None = ALICE, *, allow_hidden: bool = True) -> Sql:
    return build_where(text, RecordFieldResolver(lookup, POSTS, request, D, allow_hidden=allow_hidden), D)


def test_sql_shapes() -> None:
    assert sql_of('author.id = "u1"').text == "`posts`.`author` = :f0"
    assert not sql_of('author.id = "u1"').joins
    where = sql_of('author.name = "Alice"')
    assert [(j.alias, j.on) for j in where.joins] == [
        ("posts_author", "`posts_author`.`id` = `posts`.`author`")
    ]
    assert [j.alias for j in sql_of('tags.name = "x"').joins] == ["__je_posts_tags", "posts_tags"]
    assert "`__mm_posts_tags_je`" in sql_of('tags.name = "x"').text
    assert sql_of("labels:each ?= 'a'").joins[0].alias == "__je_posts_labels"
    assert [j.alias for j in sql_of("comments_via_post.message ?= 'x'").joins] == ["posts_comments_via_post"]
    assert [j.alias for j in sql_of("@collection.tags:t.name ?= 'x'").joins] == ["__collection_alias_t"]
    assert [j.alias for j in sql_of("@collection.tags.name ?= 'x'").joins] == ["__collection_tags"]
    assert [j.alias for j in sql_of("@request.auth.name = 'x'").joins] == ["__auth_users"]
    assert sql_of("@request.auth.id = 'x'").joins == ()
    assert sql_of("meta.a.b = 1").text.endswith(
        "'$.a.b') ELSE JSON_EXTRACT(json_object('pb', `posts`.`meta`), '$.pb.a.b') END) IS :f0"
    )
    assert sql_of("@request.body.title:isset = false", WITH_BODY).text == "1 = 0"
    assert sql_of("@request.body.tags:length < 3", WITH_BODY).text == "2 < :f0"
    changed = sql_of("@request.body.title:changed = false", WITH_BODY).text
    assert re.fullmatch(r"\(\(1 = 1 AND :chg_\w+ IS NOT `posts`.`title`\) IS 0\)", changed), changed
    email = sql_of('author.email = "x"', GUEST, allow_hidden=False).text
    assert email == "((`posts_author`.`email` = :f0) AND `posts_author`.`emailVisibility` = TRUE)"


def test_list_rule_constraint_sql() -> None:
    r = RecordFieldResolver(lookup, POSTS, ALICE, D, allow_hidden=False)
    build_where('author.name = "x"', r, D)
    extra = r.list_rule_constraints()
    assert extra.text.startswith("(((`posts_author`.`id` = '' OR `posts_author`.`id` IS NULL) OR (")
    assert "`posts_author`.`verified` = " in extra.text
    rule_mode = RecordFieldResolver(lookup, POSTS, ALICE, D, allow_hidden=True)
    build_where('author.name = "x"', rule_mode, D)
    assert rule_mode.list_rule_constraints() == Sql("")


def test_deterministic_sql() -> None:
    assert sql_of("@request.body.tags:each ?= 'x' && author.name = 'a'", WITH_BODY) == sql_of(
        "@request.body.tags:each ?= 'x' && author.name = 'a'", WITH_BODY
    )


def test_normalize_header_name() -> None:
    assert normalize_header_name("User-Agent") == "user_agent"
    assert normalize_header_name("X-Token") == "x_token"
    assert normalize_header_name("x_token") == "x_token"
    assert normalize_header_name("X-MyHeader") == "x_myheader"


# -- create / update / delete rule checks ---------------------------------------------------------


def allowed(db: apsw.Connection, sql: Sql) -> bool:
    return db.execute(sql.text, dict(sql.params)).fetchone() is not None


CREATE_RULE = '@request.auth.id != "" && @request.body.author = @request.auth.id && author.name = "Alice"'


@pytest.mark.parametrize(
    ("rule", "request_info", "record", "expected"),
    [
        (
            CREATE_RULE,
            RequestInfo(auth=ALICE.auth, auth_collection=USERS, body={"author": "u1"}),
            {"author": "u1"},
            True,
        ),
        (
            CREATE_RULE,
            RequestInfo(auth=BOB.auth, auth_collection=USERS, body={"author": "u1"}),
            {"author": "u1"},
            False,
        ),
        (CREATE_RULE, RequestInfo(body={"author": "u1"}), {"author": "u1"}, False),
        ("title = 'new' && id = '__temp_id____pb_create__'", GUEST, {"title": "new"}, True),
        ("id = 'mine123456789ab'", GUEST, {"id": "mine123456789ab"}, True),
        ("tags.name ?= 'tech' && tags:length = 2", GUEST, {"tags": ["t1", "t2"]}, True),
        ("tags.name = 'tech'", GUEST, {"tags": ["t1", "t2"]}, False),
        ("@collection.posts.title ?= 'Hello' && views = 0", GUEST, {}, True),
        ("@request.body.tags:each ?= 't1'", RequestInfo(body={"tags": ["t1"]}), {"tags": ["t1"]}, True),
        ("@request.body.title:changed = false", RequestInfo(body={"title": "a"}), {"title": "a"}, True),
        ("", GUEST, {}, True),
    ],
)
def test_create_rules(
    db: apsw.Connection, rule: str, request_info: RequestInfo, record: dict[str, Any], expected: bool
) -> None:
    r = RecordFieldResolver(lookup, POSTS, request_info, D, allow_hidden=True, record=record)
    assert allowed(db, rule_exists_query(rule, r, now=NOW)) is expected


def test_create_rule_sql_and_back_relation_quirk() -> None:
    r = RecordFieldResolver(lookup, POSTS, GUEST, D, allow_hidden=True, record={"title": "x"})
    sql = rule_exists_query("title = 'x'", r).text
    assert sql.startswith("WITH `posts__pb_create__` AS (SELECT :__pb_create__id AS `id`, ")
    assert sql.endswith(
        "SELECT 1 FROM `posts__pb_create__` WHERE (`posts__pb_create__`.`title` = :r0) LIMIT 1"
    )
    with pytest.raises(FilterCompileError, match="invalid collection reference of a back relation field"):
        rule_exists_query("comments_via_post.message ?= 'x'", r)
    users = RecordFieldResolver(lookup, USERS, GUEST, D, allow_hidden=True, record={"verified": True})
    assert users.with_clause() is not None
    assert users.with_clause().params["__pb_create__verified"] == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("rule", "record_id", "request_info", "expected"),
    [
        ("author = @request.auth.id && @request.body.author:changed = false", "p1",
         RequestInfo(auth=ALICE.auth, auth_collection=USERS, body={"author": "u1"}), True),
        ("author = @request.auth.id && @request.body.author:changed = false", "p1",
         RequestInfo(auth=ALICE.auth, auth_collection=USERS, body={"author": "u2"}), False),
        ("author = @request.auth.id && (@request.body.tags:length < 3)", "p1",
         RequestInfo(auth=ALICE.auth, auth_collection=USERS, body={"tags": ["a", "b", "c"]}), False),
        ('author = @request.auth.id && @request.query.confirm = "yes"', "p1",
         RequestInfo(auth=ALICE.auth, auth_collection=USERS, query={"confirm": "yes"}, method="DELETE"), True),
        ('author = @request.auth.id && @request.query.confirm = "yes"', "p1",
         RequestInfo(auth=ALICE.auth, auth_collection=USERS, method="DELETE"), False),
        ("comments_via_post.user.name ?= 'Bob'", "p1", GUEST, True),
        ("", "p2", GUEST, True),
        ("", "nope", GUEST, False),
    ],
)  # fmt: skip
def test_stored_record_rules(
    db: apsw.Connection, rule: str, record_id: str, request_info: RequestInfo, expected: bool
) -> None:
    r = RecordFieldResolver(lookup, POSTS, request_info, D, allow_hidden=True)
    assert allowed(db, rule_exists_query(rule, r, record_id=record_id, now=NOW)) is expected
