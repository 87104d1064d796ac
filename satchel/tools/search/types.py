"""Value types shared by the compiler, the dialect and field resolvers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from satchel.tools.search.dialect import MULTI_MATCH_COLUMN

__all__ = [
    "MULTI_MATCH_COLUMN",
    "FieldResolver",
    "FilterCompileError",
    "Join",
    "MultiMatch",
    "NullFallback",
    "ResolveError",
    "ResolverResult",
    "SortItem",
    "Sql",
]



class FilterCompileError(ValueError):
    """A parsed filter/sort could not be turned into SQL (unknown field, limits...).

    ``message`` is PocketBase's raw error text (used in ``validation_invalid_rule``).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResolveError(ValueError):
    """Raised by a :class:`FieldResolver` for an identifier it cannot resolve."""


@dataclass(frozen=True, slots=True)
class Join:
    """One ``LEFT JOIN`` a resolved identifier needs.

    ``table`` is an already rendered table expression (a quoted table name or
    e.g. ``json_each(...)``); ``on`` is optional SQL.  Joins are de-duplicated by
    ``alias``, so equal paths must produce equal aliases.
    """

    table: str
    alias: str
    on: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Sql:
    """A SQL fragment with NAMED params (``:name``) and the joins it relies on."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)
    joins: tuple[Join, ...] = ()

    @property
    def needs_distinct(self) -> bool:
        """PocketBase switches to ``SELECT DISTINCT`` whenever joins are present."""
        return bool(self.joins)


@dataclass(frozen=True, slots=True)
class MultiMatch:
    """A correlated subquery listing every value of a multi-valued path for the
    current outer row: ``SELECT <value> AS multiMatchValue <source>``.

    Kept in two parts so functions/modifiers (``strftime``, ``:lower``) can wrap
    ``value`` without re-parsing SQL.
    """

    value: str
    source: str
    params: Mapping[str, Any] = field(default_factory=dict)


class NullFallback(Enum):
    """How ``=``/``!=`` treat NULL vs ``''`` for an operand (PocketBase's NullFallback)."""

    AUTO = "auto"  # COALESCE / "= '' OR IS NULL" normalisation (default)
    DISABLED = "disabled"  # compare with IS / IS NOT (JSON paths, geoDistance, :changed)
    ENFORCED = "enforced"  # never treat this operand as a known non-empty value


@dataclass(frozen=True, slots=True)
class ResolverResult:
    """What a :class:`FieldResolver` returns for one identifier.

    Either ``sql`` (an expression rendered via the dialect, referencing
    ``params`` by name) or ``static=True`` with a Python ``value`` that the
    compiler binds itself (``@request.*`` values, ``:isset`` results...).
    """

    sql: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    static: bool = False
    value: Any = None
    null_fallback: NullFallback = NullFallback.AUTO
    multi_match: MultiMatch | None = None
    joins: tuple[Join, ...] = ()
    # Applied to the whole built comparison (e.g. to AND an emailVisibility check).
    after_build: Callable[[Sql], Sql] | None = None

    @classmethod
    def literal(cls, value: Any, *, null_fallback: NullFallback = NullFallback.AUTO) -> ResolverResult:
        """A value known in Python, bound as a parameter by the compiler."""
        return cls(static=True, value=value, null_fallback=null_fallback)

    @property
    def no_coalesce(self) -> bool:
        return self.null_fallback is NullFallback.DISABLED

    @property
    def is_multi(self) -> bool:
        return self.multi_match is not None


class FieldResolver(Protocol):
    """Turns one filter identifier into SQL; raise :class:`ResolveError` if unknown.

    Identifiers arrive verbatim, modifiers included (``tags:length``,
    ``@request.body.title:isset``, ``@collection.users:u.email``).  Macros
    (``@now``...) never reach the resolver.
    """

    def resolve(self, identifier: str) -> ResolverResult: ...


@dataclass(frozen=True, slots=True)
class SortItem:
    """One ``sort`` entry: a filter identifier (or ``@random``/``@rowid``) and direction."""

    name: str
    desc: bool = False
