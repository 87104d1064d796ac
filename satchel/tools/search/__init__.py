"""Filter/sort compilation to SQL and records-list parameter parsing.

``build_where(expr, resolver, dialect)`` turns a parsed filter (see
:mod:`satchel.tools.filter`) into a :class:`Sql` fragment with named params and
the joins it needs, following PocketBase 0.40's NULL/"" normalisation, LIKE
escaping and "all values" multi-match semantics.  All SQL text comes from a
:class:`Dialect` (SQLite: :class:`SqliteSearchDialect`); identifiers are
resolved by a :class:`FieldResolver` (:class:`MapResolver` for tests).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satchel.tools.search.compiler import (
        ERR_EXPR_LIMIT,
        MAX_FILTER_EXPRESSIONS,
        build_order_by,
        build_where,
        contains_unescaped,
        escape_unescaped,
        like_pattern,
    )
    from satchel.tools.search.dialect import Dialect, SqliteSearchDialect
    from satchel.tools.search.list_params import (
        DEFAULT_PER_PAGE,
        MAX_EXPAND_DEPTH,
        MAX_FILTER_LENGTH,
        MAX_PER_PAGE,
        MAX_SORT_EXPRESSIONS,
        MAX_SORT_ITEM_LENGTH,
        Excerpt,
        FieldPick,
        ListParams,
        ListParamsError,
        parse_bool,
        parse_expand,
        parse_fields,
        parse_list_params,
        parse_sort,
    )
    from satchel.tools.search.macros import MACROS, format_datetime, macro_value
    from satchel.tools.search.map_resolver import MapResolver
    from satchel.tools.search.types import (
        MULTI_MATCH_COLUMN,
        FieldResolver,
        FilterCompileError,
        Join,
        MultiMatch,
        NullFallback,
        ResolveError,
        ResolverResult,
        SortItem,
        Sql,
    )

_WHERE = {
    "ERR_EXPR_LIMIT": "compiler",
    "MAX_FILTER_EXPRESSIONS": "compiler",
    "build_order_by": "compiler",
    "build_where": "compiler",
    "contains_unescaped": "compiler",
    "escape_unescaped": "compiler",
    "like_pattern": "compiler",
    "Dialect": "dialect",
    "SqliteSearchDialect": "dialect",
    "DEFAULT_PER_PAGE": "list_params",
    "MAX_EXPAND_DEPTH": "list_params",
    "MAX_FILTER_LENGTH": "list_params",
    "MAX_PER_PAGE": "list_params",
    "MAX_SORT_EXPRESSIONS": "list_params",
    "MAX_SORT_ITEM_LENGTH": "list_params",
    "Excerpt": "list_params",
    "FieldPick": "list_params",
    "ListParams": "list_params",
    "ListParamsError": "list_params",
    "parse_bool": "list_params",
    "parse_expand": "list_params",
    "parse_fields": "list_params",
    "parse_list_params": "list_params",
    "parse_sort": "list_params",
    "MACROS": "macros",
    "format_datetime": "macros",
    "macro_value": "macros",
    "MapResolver": "map_resolver",
    "MULTI_MATCH_COLUMN": "types",
    "FieldResolver": "types",
    "FilterCompileError": "types",
    "Join": "types",
    "MultiMatch": "types",
    "NullFallback": "types",
    "ResolveError": "types",
    "ResolverResult": "types",
    "SortItem": "types",
    "Sql": "types",
}

# Relation hops a record resolver may follow in one path (the 7th is an error).
MAX_RELATION_HOPS = 6

__all__ = [
    "DEFAULT_PER_PAGE",
    "ERR_EXPR_LIMIT",
    "MACROS",
    "MAX_EXPAND_DEPTH",
    "MAX_FILTER_EXPRESSIONS",
    "MAX_FILTER_LENGTH",
    "MAX_PER_PAGE",
    "MAX_RELATION_HOPS",
    "MAX_SORT_EXPRESSIONS",
    "MAX_SORT_ITEM_LENGTH",
    "MULTI_MATCH_COLUMN",
    "Dialect",
    "Excerpt",
    "FieldPick",
    "FieldResolver",
    "FilterCompileError",
    "Join",
    "ListParams",
    "ListParamsError",
    "MapResolver",
    "MultiMatch",
    "NullFallback",
    "ResolveError",
    "ResolverResult",
    "SortItem",
    "Sql",
    "SqliteSearchDialect",
    "build_order_by",
    "build_where",
    "contains_unescaped",
    "escape_unescaped",
    "format_datetime",
    "like_pattern",
    "macro_value",
    "parse_bool",
    "parse_expand",
    "parse_fields",
    "parse_list_params",
    "parse_sort",
]


def __getattr__(name: str) -> Any:
    """A name loads its module on first use (PEP 562): the SQL dialect the store needs at
    start-up does not import the filter parser and compiler (docs/performance.md)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
