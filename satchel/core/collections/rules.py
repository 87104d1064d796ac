"""Checking API rules against a collection's schema when the collection is saved.

Like PocketBase (``collectionValidator.checkRule``), the rule is parsed and then
fully compiled with the record field resolver in rule mode (hidden fields
allowed) and an empty request, so every error PocketBase reports -- unknown
fields, bad relation paths, unknown ``@request``/``@collection`` identifiers,
modifiers on unsupported fields, functions, limits -- is reported with its raw
text.  Nothing touches the database.
"""

from __future__ import annotations

from collections.abc import Callable

from satchel.core.collections.model import Collection
from satchel.core.records.resolver import RecordFieldResolver, RequestInfo
from satchel.store.dialect import SqliteDialect
from satchel.tools.filter import FilterSyntaxError, parse
from satchel.tools.search import MACROS, FilterCompileError, build_where

__all__ = ["MACROS", "check_rule"]

Lookup = Callable[[str], Collection | None]

_DIALECT = SqliteDialect()


def check_rule(rule: str, c: Collection, lookup: Lookup) -> str | None:
    """None for a valid rule; otherwise the raw error PocketBase reports.

    ``c`` is the collection being saved (it may not exist yet: references to its
    id or name resolve to it); ``lookup`` finds the other collections.
    """
    try:
        expr = parse(rule)
    except FilterSyntaxError as exc:
        return str(exc).rstrip(".")

    def find(ref: str) -> Collection | None:
        if ref in (c.id, c.name):
            return c
        return lookup(ref)

    resolver = RecordFieldResolver(find, c, RequestInfo(), _DIALECT, allow_hidden=True)
    try:
        build_where(expr, resolver, _DIALECT)
    except FilterCompileError as exc:
        return exc.message
    return None
