"""Compiled API-rule SQL, kept per (collection, rule, request shape).

Compiling a rule (parse, resolve every identifier against the schema, build the SQL
and its joins) is a pure function of the rule text, the collections, the parameter
prefix and the parts of the request the rule names.  A rule's SQL embeds request
values (``@request.auth.id`` becomes a parameter whose name derives from its value),
so the key holds exactly those values: the auth collection, the auth record's id and
every auth field the rule names, every body and query field it names (present or not),
the method and the context.  Rules that read headers, a whole body or query, or a date
macro (``@now``...) change per request and are compiled every time.

The whole cache is dropped when the collection registry's version changes (any
collection created, updated or deleted, in this process or announced by another
worker), so a rule never outlives the schema it was compiled against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from satchel.tools.filter import Comparison, Function, Group, Identifier, parse
from satchel.tools.search import MACROS, Sql

if TYPE_CHECKING:
    from satchel.core.records.resolver import RequestInfo

__all__ = ["RuleCache", "RuleShape", "rule_shape"]

MAX_ENTRIES = 2048  # past it the cache starts over (a bound, not an LRU: cheap and rare)
_BODY = ("@request.body.", "@request.data.")  # ``data``: the v0.22 alias of ``body``
_QUERY = "@request.query."
_MISSING = ("\0missing",)  # a named body/query key that was not sent (``:isset`` tells)


@dataclass(frozen=True, slots=True)
class RuleShape:
    """What of the request a rule's SQL depends on; ``cacheable`` False = every request."""

    cacheable: bool
    auth_fields: tuple[str, ...] = ()  # first path segment after ``@request.auth.``
    body_fields: tuple[str, ...] = ()  # ... after ``@request.body.``
    query_fields: tuple[str, ...] = ()  # ... after ``@request.query.``


def _head(name: str, prefix: str) -> str:
    """``tags`` of ``@request.body.tags:each`` (prefix ``@request.body.``)."""
    return name[len(prefix):].split(".", 1)[0].split(":", 1)[0]


def _identifiers(node: object, out: list[str]) -> None:
    if isinstance(node, Group):
        for term in node.terms:
            _identifiers(term, out)
    elif isinstance(node, Comparison):
        _identifiers(node.left, out)
        _identifiers(node.right, out)
    elif isinstance(node, Function):
        for arg in node.args:
            _identifiers(arg, out)
    elif isinstance(node, Identifier):
        out.append(node.name)


@lru_cache(maxsize=1024)
def rule_shape(rule: str) -> RuleShape:
    """The request parts ``rule`` reads (by rule text; a syntax error is not cacheable,
    so the compiler reports it as usual)."""
    try:
        expr = parse(rule)
    except ValueError:
        return RuleShape(False)
    names: list[str] = []
    _identifiers(expr, names)
    auth: dict[str, None] = {}
    body: dict[str, None] = {}
    query: dict[str, None] = {}
    for name in names:
        if name in MACROS:
            return RuleShape(False)
        if name.startswith("@request.auth."):
            auth[_head(name, "@request.auth.")] = None
        elif name.startswith(_BODY):
            body[_head(name, _BODY[0] if name.startswith(_BODY[0]) else _BODY[1])] = None
        elif name.startswith(_QUERY):
            query[_head(name, _QUERY)] = None
        elif name.startswith(("@request.body", "@request.data", "@request.query", "@request.headers")):
            return RuleShape(False)  # headers, or a whole body/query
    if "" in auth or "" in body or "" in query:
        return RuleShape(False)
    return RuleShape(True, tuple(auth), tuple(body), tuple(query))


def _hashable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return (type(value).__name__, value)  # 1, 1.0 and True are equal keys, not equal SQL
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # a value orjson cannot encode: a key of its own that never repeats
        return object()


def request_key(shape: RuleShape, info: RequestInfo | None) -> tuple[Any, ...]:
    """The values of ``info`` that the rule's SQL depends on."""
    if info is None:
        return ()
    sent: tuple[Any, ...] = ()
    if shape.body_fields or shape.query_fields:
        body, query = info.body, info.query
        sent = (tuple(_hashable(body[f]) if f in body else _MISSING for f in shape.body_fields),
                tuple(_hashable(query[f]) if f in query else _MISSING for f in shape.query_fields))
    auth = info.auth
    if auth is None:
        return (info.method, info.context, None, sent)
    collection = info.auth_collection
    owner = collection.id if collection is not None else auth.get("collectionId") or auth.get("collectionName")
    values = tuple(_hashable(auth.get(f)) for f in shape.auth_fields)
    return (info.method, info.context, owner, auth.get("id"), values, sent)


class RuleCache:
    """Compiled rules of one App; ``version()`` is the collection registry's version."""

    def __init__(self, version: Callable[[], int]) -> None:
        self._version = version
        self._seen = version()
        self._entries: dict[tuple[Any, ...], Sql] = {}
        self.hits = 0
        self.misses = 0

    def get_or_compile(
        self, key: tuple[Any, ...], shape: RuleShape, info: RequestInfo | None, compile_: Callable[[], Sql]
    ) -> Sql:
        if not shape.cacheable:
            return compile_()
        version = self._version()
        if version != self._seen:  # a schema change: nothing compiled before it holds
            self._entries = {}
            self._seen = version
        full = (*key, request_key(shape, info))
        found = self._entries.get(full)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        sql = compile_()
        if self._version() != version or self._seen != version:
            return sql  # the schema changed while compiling: keep nothing from it
        entries = self._entries
        if len(entries) >= MAX_ENTRIES:
            entries = self._entries = {}
        entries[full] = sql
        return sql

    def __len__(self) -> int:
        return len(self._entries)
