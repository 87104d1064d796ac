"""A database-free :class:`FieldResolver` for tests and simple tables.

It also serves as the reference for how a real record resolver fills a
:class:`ResolverResult`: plain columns, JSON paths (``NullFallback.DISABLED``),
``:each`` over JSON arrays (a join plus a correlated multi-match subquery),
``:length``, ``:lower`` and ``@request.*`` static values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from satchel.tools.filter import MODIFIERS, split_modifier
from satchel.tools.search.dialect import Dialect
from satchel.tools.search.types import Join, MultiMatch, NullFallback, ResolveError, ResolverResult

__all__ = ["MapResolver"]

_MISSING = object()


class MapResolver:
    """Resolve identifiers against one table.

    ``columns``: plain columns; ``multi``: columns holding JSON arrays (multiple
    select/file/relation ids); ``json``: JSON columns whose sub-paths may be
    addressed; ``request``: the nested ``@request`` data (``{"auth": {...},
    "query": {...}, "body": {...}, "headers": {...}, "method": "GET"}``).
    """

    def __init__(
        self,
        table: str,
        columns: Iterable[str],
        dialect: Dialect,
        *,
        multi: Iterable[str] = (),
        json: Iterable[str] = (),
        request: Mapping[str, Any] | None = None,
        id_column: str = "id",
    ) -> None:
        self.table = table
        self.dialect = dialect
        self.multi = frozenset(multi)
        self.json = frozenset(json)
        self.columns = frozenset(columns) | self.multi | self.json
        self.request = request or {}
        self.id_column = id_column

    def resolve(self, identifier: str) -> ResolverResult:
        path, modifier = split_modifier(identifier)
        if modifier is not None and modifier not in MODIFIERS:
            raise ResolveError(f"unknown modifier {modifier!r}")
        if path.startswith("@request."):
            return self._request(path[len("@request.") :], modifier)
        if path.startswith("@"):
            raise ResolveError(f'unknown field "{identifier}"')
        name, _, rest = path.partition(".")
        if name not in self.columns:
            raise ResolveError(f'unknown field "{name}"')
        d = self.dialect
        column = d.column(self.table, name)
        if name in self.json:
            segments = rest.split(".") if rest else []
            return ResolverResult(d.json_extract(column, segments), null_fallback=NullFallback.DISABLED)
        if rest:
            raise ResolveError(f'unknown field "{path}"')
        if modifier == "lower":
            return ResolverResult(d.lower(column))
        if name in self.multi and modifier == "length":
            return ResolverResult(d.json_array_length(column))
        if name in self.multi and modifier == "each":
            return self._each(name)
        # :isset/:changed only apply to @request.*; ignored on field paths.
        return ResolverResult(column)

    def _each(self, name: str) -> ResolverResult:
        """``field:each``: one joined row per array item, "all" semantics via multi-match."""
        d = self.dialect
        alias = f"__je_{self.table}_{name}"
        join = Join(d.json_each(d.column(self.table, name)), alias)
        mm_alias = f"__mm_{self.table}"
        mm_je = f"__mm_{self.table}_{name}_je"
        mm_join = Join(d.json_each(d.column(mm_alias, name)), mm_je)
        source = d.multi_match_source(self.table, mm_alias, [mm_join], self.table, self.id_column)
        return ResolverResult(
            d.json_each_value(alias),
            joins=(join,),
            multi_match=MultiMatch(d.json_each_value(mm_je), source),
        )

    def _request(self, path: str, modifier: str | None) -> ResolverResult:
        current: Any = self.request
        for part in path.split("."):
            if isinstance(current, Mapping) and part in current:
                current = current[part]
            else:
                current = _MISSING
                break
        if modifier == "isset":
            return ResolverResult.literal(current is not _MISSING)
        value = None if current is _MISSING else current
        if modifier == "length":
            if not isinstance(value, list | tuple):
                raise ResolveError(f'":length" requires a list value for "@request.{path}"')
            return ResolverResult.literal(len(value))
        if modifier == "each":
            raise ResolveError('":each" on @request values is not supported by MapResolver')
        if modifier == "lower" and isinstance(value, str):
            value = value.lower()
        return ResolverResult.literal(value)
