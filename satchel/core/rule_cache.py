"""Compiled API-rule SQL, kept per (collection, rule, request shape).

Compiling a rule (parse, resolve every identifier against the schema, build the SQL
and its joins) is a pure function of the rule text, the collections, the parameter
prefix and the parts of the request the rule names.  A rule's SQL embeds request
values (``@request.auth.id`` becomes a parameter whose name derives from its value),
so the key holds exactly those values: the auth collection, the auth record's id and
every auth field the rule names, the method and the context.  Rules that read the
body, query or headers, or a date macro (``@now``...), change per request and are
compiled every time.

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
    from satchel.core.record_resolver import RequestInfo

__all__ = ["RuleCache", "RuleShape", "rule_shape"]

MAX_ENTRIES = 2048  # past it the cache starts over (a bound, not an LRU: cheap and rare)
_PER_REQUEST = ("@request.body", "@request.data", "@request.query", "@request.headers")


@dataclass(frozen=True, slots=True)
class RuleShape:
    """What of the request a rule's SQL depends on; ``cacheable`` False = every request."""

    cacheable: bool
    auth_fields: tuple[str, ...] = ()  # first path segment after ``@request.auth.``


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
    fields: list[str] = []
    for name in names:
        if name in MACROS or name.startswith(_PER_REQUEST):
            return RuleShape(False)
        if name.startswith("@request.auth."):
            head = name[len("@request.auth."):].split(".", 1)[0].split(":", 1)[0]
            if head not in fields:
                fields.append(head)
    return RuleShape(True, tuple(fields))


def _hashable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def request_key(shape: RuleShape, info: RequestInfo | None) -> tuple[Any, ...]:
    """The values of ``info`` that the rule's SQL depends on."""
    if info is None:
        return ()
    auth = info.auth
    if auth is None:
        return (info.method, info.context, None)
    collection = info.auth_collection
    owner = collection.id if collection is not None else auth.get("collectionId") or auth.get("collectionName")
    values = tuple(_hashable(auth.get(f)) for f in shape.auth_fields)
    return (info.method, info.context, owner, auth.get("id"), values)


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
