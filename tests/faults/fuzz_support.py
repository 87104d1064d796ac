"""Shared pieces of the hostile-input fuzzers (tests/faults/test_fuzz_inputs.py and
test_api_fuzz.py): example budgets, strategies for filter text and request bodies, and an
ASGI request built from raw bytes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from starlette.requests import Request
from starlette.types import Message

__all__ = [
    "API_REQUESTS",
    "random_body",
    "random_headers",
    "random_method",
    "random_path",
    "random_query",
    "EXAMPLES",
    "FILTER_TOKENS",
    "asgi_request",
    "bodies",
    "filter_texts",
    "multipart_bodies",
]

# Small by default (the suite runs on 2 shared cores); raise them for a long run:
# SATCHEL_FUZZ_EXAMPLES=5000 SATCHEL_FUZZ_REQUESTS=20000 pytest tests/faults -k fuzz
EXAMPLES = int(os.environ.get("SATCHEL_FUZZ_EXAMPLES", "150"))
API_REQUESTS = int(os.environ.get("SATCHEL_FUZZ_REQUESTS", "2000"))

# Pieces PocketBase filters are made of, and a few that break them.
FILTER_TOKENS: tuple[str, ...] = (
    "id", "title", "views", "score", "published", "created", "author", "labels", "tags", "meta", "loc",
    "author.name", "author.id", "comments_via_post.message", "@collection.comments.post", "meta.k.2.x",
    "labels:length", "labels:each", "title:lower", "title:isset", "title:changed", "@request.auth.id",
    "@request.body.title", "@request.query.x", "@request.headers.user_agent", "@request.method",
    "@now", "@todayStart", "@yesterday", "@second", "@unknown", "@request.body.tags:each",
    "=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?~", "&&", "||", "(", ")", "((", "))",
    "'abc'", '"x"', "'it\\'s'", "'%_\\\\'", "''", '"', "'", "null", "true", "false", "0", "-1.5", "1e309",
    "99999999999999999999", "strftime('%Y', created)", "geoDistance(0,0,1,1)", "geoDistance(", "unknown(1)",
    "// c\n", "\n", " ", "\t", "\x00", "é", ",", ".", ":", "{:p}", "[", "]", "!", "?", "&", "|",
)


_OPERANDS = FILTER_TOKENS[:36] + ("'abc'", '"x"', "'it\\'s'", "'%_'", "''", "null", "true", "0", "-1.5",
                                  "1e309", "99999999999999999999", "strftime('%Y', created)",
                                  "geoDistance(0,0,1,1)", "{:p}")
_OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?~", "?<=")


@st.composite
def _comparisons(draw: st.DrawFn) -> str:
    return f"{draw(st.sampled_from(_OPERANDS))} {draw(st.sampled_from(_OPERATORS))} {draw(st.sampled_from(_OPERANDS))}"


_expressions = st.recursive(
    _comparisons(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" && ", " || ", "&&", " ||"]), inner).map("".join),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=6,
)


@st.composite
def _noise(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(FILTER_TOKENS), st.text(max_size=4)), max_size=14))
    return draw(st.sampled_from([" ", "", "  "])).join(parts)


def filter_texts() -> st.SearchStrategy[str]:
    """Well-formed filters over a known schema (they reach the compiler and SQLite), and
    filter-shaped noise (it exercises the scanner's error paths)."""
    return st.one_of(_expressions, _expressions, _noise())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(Content-Type, body): well-formed, cut, or corrupted multipart."""
    boundary = draw(st.sampled_from(["abc", "----x", "", "a b", "\"q\""]))
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["title", "@jsonPayload", "file", "requests.0.file", "a\"b", ""]))
        filename = draw(st.sampled_from(["", '; filename="a.txt"', '; filename=""', "; filename=x\x00"]))
        value = draw(st.binary(max_size=40))
        parts.append(b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"" + name.encode()
                     + b"\"" + filename.encode("latin-1", "replace") + b"\r\n\r\n" + value + b"\r\n")
    body = b"".join(parts) + draw(st.sampled_from([b"--" + boundary.encode() + b"--\r\n", b"", b"--", b"\r\n"]))
    if draw(st.booleans()):  # cut or corrupt somewhere
        cut = draw(st.integers(0, max(len(body), 0)))
        body = body[:cut] + draw(st.binary(max_size=8))
    header = draw(st.sampled_from([f"multipart/form-data; boundary={boundary}", "multipart/form-data",
                                   f"multipart/form-data; boundary=\"{boundary}\"",
                                   "multipart/form-data; boundary=" + "x" * 100]))
    return header, body


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(Content-Type, body) of any kind a client might send."""
    kind = draw(st.sampled_from(["json", "json-garbage", "multipart", "urlencoded", "none", "binary"]))
    if kind == "json":
        import orjson

        value = draw(json_values)
        try:
            raw = orjson.dumps(value)
        except TypeError:
            raw = b"{}"
        return draw(st.sampled_from(["application/json", "application/json; charset=utf-8", "text/json+json"])), raw
    if kind == "json-garbage":
        raw = draw(st.sampled_from([b"{", b"[", b"{\"a\":", b"\"\\ud800\"", b"1e999", b"{\"a\":1}}", b"\xff\xfe",
                                    b"null", b"[]", b"{" + b" " * 100]))
        return "application/json", raw + draw(st.binary(max_size=8))
    if kind == "multipart":
        result: tuple[str, bytes] = draw(multipart_bodies())
        return result
    if kind == "urlencoded":
        return "application/x-www-form-urlencoded", draw(st.binary(max_size=60))
    if kind == "none":
        return "", b""
    return draw(st.sampled_from(["text/plain", "application/octet-stream", "image/png"])), draw(st.binary(max_size=60))


def asgi_request(method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes,
                 app: Any = None) -> Request:
    """A Starlette request over ``body`` sent in two chunks, as a socket would deliver it."""
    chunks = [body[: len(body) // 2], body[len(body) // 2 :]]

    async def receive() -> Message:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    scope = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "app": app, "state": {},
    }
    return Request(scope, receive)


# -- the API fuzz: plain ``random`` (one seeded stream, fast; hypothesis's shrinking does not
# pay off against a live server whose state every request changes) --------------------------

_PATH_VALUES = ("posts", "users", "_superusers", "nope", "%00", "..", "a" * 300, "%ff", "posts%2Frecords",
                "_pb_users_auth_", "*", "' OR 1=1 --", "{id}", "")
_QUERY_KEYS = ("page", "perPage", "sort", "filter", "expand", "fields", "skipTotal", "thumb", "token", "download",
               "__proto__", "")
_QUERY_VALUES = ("1", "0", "-1", "10000000000000000000", "abc", "-created", "id,title", "title:excerpt(5)",
                 "author", "true", "%00", "100x100", "0x0", "(", "title ~ 'a'", "@request.auth.id != ''")
_HEADER_CHOICES = (
    ("Origin", "http://evil.example"), ("Range", "bytes=0-1"), ("Range", "bytes=9-1,x"),
    ("If-None-Match", "*"), ("Accept-Encoding", "gzip, br"), ("X-Forwarded-For", "not an ip"),
    ("Accept", "text/event-stream"), ("Cookie", "pb_auth=garbage"), ("Content-Type", "multipart/form-data"),
)
_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD")


def random_path(rng: Any, template: str, ids: Sequence[str]) -> str:
    out = []
    for segment in template.split("/"):
        if segment.startswith("{"):
            pool = list(_PATH_VALUES) + list(ids)
            out.append(rng.choice(pool))
        else:
            out.append(segment)
    return "/".join(out) or "/"


def random_query(rng: Any) -> str:
    from urllib.parse import quote

    pairs = [f"{quote(rng.choice(_QUERY_KEYS))}={quote(rng.choice(_QUERY_VALUES) + rng.choice(FILTER_TOKENS))}"
             for _ in range(rng.randrange(0, 4))]
    return "?" + "&".join(pairs) if pairs else ""


def random_body(rng: Any) -> tuple[str, bytes]:
    """(Content-Type, body): JSON objects shaped like our payloads, garbage, multipart, forms."""
    import orjson

    kind = rng.randrange(6)
    if kind == 0:
        keys = ("title", "name", "type", "fields", "requests", "identity", "password", "collections", "email",
                "passwordConfirm", "token", "subscriptions", "clientId", "batch", "meta", "views", "file")
        value: Any = {rng.choice(keys): rng.choice([None, True, 1, -1.5, "", "x" * rng.randrange(0, 40), [], {},
                                                     [{"method": "POST", "url": "/api/collections/posts/records"}],
                                                     [{"name": "f", "type": "text"}], "test@example.com"])
                      for _ in range(rng.randrange(0, 5))}
        return "application/json", orjson.dumps(value)
    if kind == 1:
        return "application/json", rng.choice([b"{", b"[1,", b"\"\\ud800\"", b"1e999", b"\xff", b"null", b"[]"])
    if kind == 2:
        boundary = rng.choice(["abc", ""])
        part = (f'--{boundary}\r\nContent-Disposition: form-data; name="{rng.choice(["title", "@jsonPayload", "file"])}"'
                f'{rng.choice(["", "; filename=a.txt"])}\r\n\r\n').encode() + rng.randbytes(rng.randrange(0, 30))
        tail = rng.choice([f"\r\n--{boundary}--\r\n".encode(), b"", b"\r\n--"])
        header = rng.choice([f"multipart/form-data; boundary={boundary}", "multipart/form-data"])
        return header, part + tail
    if kind == 3:
        return "application/x-www-form-urlencoded", rng.choice([b"a=1&b", b"%zz=%", b"title=x&title=y", b"=&="])
    if kind == 4:
        return "", b""
    return rng.choice(["text/plain", "application/octet-stream"]), rng.randbytes(rng.randrange(0, 50))


def random_headers(rng: Any, tokens: Sequence[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    token = rng.choice([*tokens, "", "garbage", "Bearer x.y.z"])
    if token:
        headers["Authorization"] = token
    for _ in range(rng.randrange(0, 3)):
        key, value = rng.choice(_HEADER_CHOICES)
        headers[key] = value
    return headers


def random_method(rng: Any, allowed: Sequence[str]) -> str:
    return rng.choice(list(allowed)) if allowed and rng.random() < 0.7 else rng.choice(_METHODS)
