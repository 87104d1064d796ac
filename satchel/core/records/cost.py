"""Is a single-record read cheap enough to run on the event loop thread?

Handing a read to a reader thread costs ~25% of a small view request
(measured with the bench: 2,300 -> 2,900 req/s inline).  A view is
``WHERE id = :id AND (<viewRule>)``: when every join the rule needs is a
primary-key lookup (single relations, ``@request.auth.*``) or a ``json_each`` of
the row's own array, the statement does a handful of index lookups and is safe
to run inline.  Back-relations and ``@collection`` joins may scan, so they stay
on the reader threads where a slow query can't stall other requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from satchel.core.collections.model import Collection
from satchel.core.records.resolver import RecordFieldResolver, RequestInfo
from satchel.store.dialect import SqliteDialect
from satchel.tools.filter import FilterSyntaxError
from satchel.tools.search import FilterCompileError, Join, ResolveError, build_where

__all__ = ["joins_are_bounded", "rules_are_bounded"]


def joins_are_bounded(joins: Iterable[Join], dialect: SqliteDialect) -> bool:
    for join in joins:
        if join.table.startswith("json_each("):
            continue
        if join.on is not None and join.on.startswith(f"{dialect.q(join.alias)}.{dialect.q('id')} = "):
            continue
        return False
    return True


def rules_are_bounded(
    lookup: Callable[[str], Collection | None],
    c: Collection,
    rules: Iterable[str | None],
    dialect: SqliteDialect,
) -> bool:
    """True when every rule compiles to primary-key-bounded joins only."""
    for rule in rules:
        if not rule or not rule.strip():
            continue
        resolver = RecordFieldResolver(lookup, c, RequestInfo(), dialect, allow_hidden=True)
        try:
            sql = build_where(rule, resolver, dialect)
        except (FilterSyntaxError, FilterCompileError, ResolveError, ValueError):
            return False
        if not joins_are_bounded(sql.joins, dialect):
            return False
    return True
