"""Filter/sort compilation to SQL and records-list parameter parsing.

``build_where(expr, resolver, dialect)`` turns a parsed filter (see
:mod:`satchel.tools.filter`) into a :class:`Sql` fragment with named params and
the joins it needs, following PocketBase 0.40's NULL/"" normalisation, LIKE
escaping and "all values" multi-match semantics.  All SQL text comes from a
:class:`Dialect` (SQLite: :class:`SqliteSearchDialect`); identifiers are
resolved by a :class:`FieldResolver` (:class:`MapResolver` for tests).
"""

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
