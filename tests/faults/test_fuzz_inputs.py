"""Hypothesis fuzz of the input readers: the filter parser and compiler (the compiled SQL is
run on real SQLite), the JSON/multipart/urlencoded body reader and the multipart form
reader. Only our typed errors may escape, and nothing may hang."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import apsw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satchel.api.request import parse_form, read_body
from satchel.errors import ApiError
from satchel.tools.filter import FilterSyntaxError, parse_with_params
from satchel.tools.search import FilterCompileError, build_where
from tests.faults.fuzz_support import EXAMPLES, asgi_request, bodies, filter_texts, multipart_bodies
from tests.tools.test_filter_compile import NOW, POSTS, D, PostsResolver, select_sql

FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = 1.0  # seconds: a single input that takes longer is a hang for our purposes


@pytest.fixture(scope="module")
def db() -> Iterator[apsw.Connection]:
    conn = apsw.Connection(":memory:")
    conn.execute("CREATE TABLE posts (id TEXT PRIMARY KEY, title TEXT, views NUMERIC, score NUMERIC, "
                 "published BOOLEAN, created TEXT, author TEXT, labels JSON, tags JSON, meta JSON, loc JSON)")
    conn.executemany("INSERT INTO posts VALUES (?,?,?,?,?,?,?,?,?,?,?)", POSTS)
    conn.execute("CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE comments (id TEXT PRIMARY KEY, post TEXT, message TEXT)")
    conn.execute("INSERT INTO comments VALUES ('c1', 'p1', 'nice')")
    yield conn
    conn.close()


@FUZZ
@given(filter_texts(), st.dictionaries(st.sampled_from(["p", "q"]), st.none() | st.integers() | st.text(max_size=5)))
def test_filter_parser_only_raises_syntax_errors(text: str, params: dict[str, object]) -> None:
    started = time.perf_counter()
    with contextlib.suppress(FilterSyntaxError):
        parse_with_params(text, params)
    assert time.perf_counter() - started < SLOW


@FUZZ
@given(filter_texts())
def test_filter_compiles_to_sql_sqlite_runs(db: apsw.Connection, text: str) -> None:
    """Whatever compiles is valid SQL: SQLite runs it (a bad statement would be a 500)."""
    started = time.perf_counter()
    try:
        where = build_where(text, PostsResolver(), D, now=NOW)
    except (FilterSyntaxError, FilterCompileError):
        return
    list(db.execute(select_sql(where), dict(where.params)))
    assert time.perf_counter() - started < SLOW


def _read(content_type: str, body: bytes, *, form_only: bool = False) -> None:
    headers = [("content-type", content_type)] if content_type else []
    headers.append(("content-length", str(len(body))))
    request = asgi_request("POST", "/api/x", headers, body)

    async def run() -> None:
        try:
            if form_only:
                form = await parse_form(request, "bad form")
                await form.close()
            else:
                data = await read_body(request, invalid_message="bad body")
                assert isinstance(data, dict)
        except ApiError as exc:
            assert 400 <= exc.status < 500, exc

    started = time.perf_counter()
    asyncio.run(asyncio.wait_for(run(), timeout=5))
    assert time.perf_counter() - started < SLOW


@FUZZ
@given(bodies())
def test_body_reader_only_raises_api_errors(body: tuple[str, bytes]) -> None:
    _read(*body)


@FUZZ
@given(multipart_bodies())
def test_multipart_reader_only_raises_api_errors(body: tuple[str, bytes]) -> None:
    _read(*body, form_only=True)


@pytest.mark.parametrize("body", [
    ("multipart/form-data", b"xx"),
    ("multipart/form-data; boundary=abc", b"garbage"),
    ("multipart/form-data; boundary=abc", b'--abc\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'),
    ("application/json", b'"\\ud800"'),
    ("application/json", b"1e999"),
])
def test_known_bad_bodies_are_400(body: tuple[str, bytes]) -> None:
    with pytest.raises(ApiError) as err:
        request = asgi_request("POST", "/api/x", [("content-type", body[0])], body[1])
        asyncio.run(read_body(request, invalid_message="bad body"))
    assert err.value.status == 400
