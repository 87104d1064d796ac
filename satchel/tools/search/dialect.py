"""SQL text used by the filter compiler and record resolvers, behind a Protocol.

Every fragment the compiler emits comes from a :class:`Dialect` so that a
PostgreSQL dialect can be added without touching the compiler.  The SQLite
implementation reproduces the SQL PocketBase 0.40 writes (spec 04).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

# the value types (dataclasses, an enum, a Protocol: ~4 M instructions to create) only for
# annotations: the store's dialect is made at every start, the filter compiler on first use
if TYPE_CHECKING:
    from satchel.tools.search.types import Join

__all__ = ["MULTI_MATCH_COLUMN", "Dialect", "SqliteSearchDialect"]

# Column name every multi-match subquery selects its value as.
MULTI_MATCH_COLUMN = "multiMatchValue"


class Dialect(Protocol):
    """What the compiler, sort builder and resolvers need from a SQL dialect."""

    @staticmethod
    def q(identifier: str) -> str:
        """Quote one identifier (table, alias or column)."""
        ...

    def column(self, alias: str, column: str) -> str: ...
    def param(self, name: str) -> str: ...

    # literals
    def null(self) -> str: ...
    def bool_literal(self, value: bool) -> str: ...
    def empty_text(self) -> str: ...
    def is_true(self, column: str) -> str:
        """A bool field's column is set (PocketBase: ``col = TRUE``)."""
        ...


    # boolean structure
    def and_(self, parts: Sequence[str]) -> str: ...
    def chain(self, terms: Sequence[str], ors: Sequence[bool]) -> str:
        """Terms joined in order by ``OR`` (``ors[i]``) or ``AND``; enclosed when >1 term."""
        ...

    def not_(self, expr: str) -> str: ...
    def enclose(self, expr: str) -> str: ...

    # comparisons
    def compare(self, left: str, op: str, right: str) -> str:
        """``op`` is one of ``= < <= > >=`` (plain SQL)."""
        ...

    def is_(self, left: str, right: str) -> str:
        """Null-safe equality (SQLite ``IS``)."""
        ...

    def is_not(self, left: str, right: str) -> str: ...
    def is_null(self, expr: str) -> str: ...
    def is_not_null(self, expr: str) -> str: ...
    def coalesce_empty(self, expr: str) -> str: ...
    def like(self, left: str, pattern: str, negate: bool) -> str: ...
    def contains_pattern(self, expr: str) -> str:
        """``'%' || expr || '%'`` -- a LIKE pattern built from a column."""
        ...

    # values and functions
    def lower(self, expr: str) -> str: ...
    def json_extract(self, column: str, path: Sequence[str]) -> str: ...
    def json_array(self, column: str) -> str: ...
    def json_each(self, column: str) -> str: ...
    def json_each_array(self, expr: str) -> str:
        """The rows of ``expr``, a value known to be a JSON array text (a bound list)."""
        ...

    def json_each_value(self, alias: str) -> str: ...
    def json_array_length(self, column: str) -> str: ...
    def strftime(self, fmt: str, args: Sequence[str]) -> str: ...
    def geo_distance(self, lon_a: str, lat_a: str, lon_b: str, lat_b: str) -> str: ...

    # multi-match ("all values") support
    def multi_match_source(
        self, table: str, alias: str, joins: Sequence[Join], outer_alias: str, id_column: str = "id"
    ) -> str: ...
    def multi_match_select(self, value: str, source: str) -> str: ...
    def multi_match_not_exists(
        self, where: str, left: tuple[str, str], right: tuple[str, str] | None = None
    ) -> str:
        """``NOT EXISTS (SELECT 1 FROM (<sub>) alias [LEFT JOIN (<sub>) alias] WHERE <where>)``."""
        ...

    # joins and ordering
    def join_clause(self, join: Join) -> str: ...
    def joins_clause(self, joins: Iterable[Join]) -> str: ...
    def random_order(self) -> str: ...
    def rowid(self, alias: str | None) -> str: ...
    def order_item(self, expr: str, desc: bool) -> str: ...


def _json_path(path: Sequence[str], prefix: str) -> str:
    out = prefix
    for seg in path:
        out += f"[{seg}]" if seg.isdigit() else "." + seg
    return out


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class SqliteSearchDialect:
    """SQLite implementation of :class:`Dialect` (PocketBase's exact SQL shapes)."""

    name: str = "sqlite"

    @staticmethod
    def q(identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def column(self, alias: str, column: str) -> str:
        return f"{self.q(alias)}.{self.q(column)}"

    def param(self, name: str) -> str:
        return ":" + name

    def null(self) -> str:
        return "NULL"

    def bool_literal(self, value: bool) -> str:
        return "1" if value else "0"

    def empty_text(self) -> str:
        return "''"

    def is_true(self, column: str) -> str:
        return f"{column} = TRUE"

    def and_(self, parts: Sequence[str]) -> str:
        return " AND ".join(parts)

    def chain(self, terms: Sequence[str], ors: Sequence[bool]) -> str:
        if len(terms) == 1:
            return terms[0]
        out = [terms[0]]
        for term, is_or in zip(terms[1:], ors, strict=True):
            out.append("OR" if is_or else "AND")
            out.append(term)
        return "(" + " ".join(out) + ")"

    def not_(self, expr: str) -> str:
        return f"NOT ({expr})"

    def enclose(self, expr: str) -> str:
        return f"({expr})"

    def compare(self, left: str, op: str, right: str) -> str:
        return f"{left} {op} {right}"

    def is_(self, left: str, right: str) -> str:
        return f"{left} IS {right}"

    def is_not(self, left: str, right: str) -> str:
        return f"{left} IS NOT {right}"

    def is_null(self, expr: str) -> str:
        return f"{expr} IS NULL"

    def is_not_null(self, expr: str) -> str:
        return f"{expr} IS NOT NULL"

    def coalesce_empty(self, expr: str) -> str:
        return f"COALESCE({expr}, '')"

    def like(self, left: str, pattern: str, negate: bool) -> str:
        return f"{left} {'NOT LIKE' if negate else 'LIKE'} {pattern} ESCAPE '\\'"

    def contains_pattern(self, expr: str) -> str:
        return f"('%' || {expr} || '%')"

    def lower(self, expr: str) -> str:
        return f"LOWER({expr})"

    def json_extract(self, column: str, path: Sequence[str]) -> str:
        return (
            f"(CASE WHEN json_valid({column}) THEN JSON_EXTRACT({column}, {_sql_string(_json_path(path, '$'))}) "
            f"ELSE JSON_EXTRACT(json_object('pb', {column}), {_sql_string(_json_path(path, '$.pb'))}) END)"
        )

    def json_array(self, column: str) -> str:
        return (
            f"CASE WHEN iif(json_valid({column}), json_type({column})='array', FALSE) "
            f"THEN {column} ELSE json_array({column}) END"
        )

    def json_each(self, column: str) -> str:
        return f"json_each({self.json_array(column)})"

    def json_each_array(self, expr: str) -> str:
        return f"json_each({expr})"

    def json_each_value(self, alias: str) -> str:
        return self.column(alias, "value")

    def json_array_length(self, column: str) -> str:
        return (
            f"json_array_length(CASE WHEN iif(json_valid({column}), json_type({column})='array', FALSE) "
            f"THEN {column} ELSE (CASE WHEN {column} = '' OR {column} IS NULL THEN json_array() "
            f"ELSE json_array({column}) END) END)"
        )

    def strftime(self, fmt: str, args: Sequence[str]) -> str:
        return "strftime(" + ", ".join([fmt, *args]) + ")"

    def geo_distance(self, lon_a: str, lat_a: str, lon_b: str, lat_b: str) -> str:
        return (
            f"(6371 * acos(min(1, max(-1, cos(radians({lat_a})) * cos(radians({lat_b})) * "
            f"cos(radians({lon_b}) - radians({lon_a})) + sin(radians({lat_a})) * sin(radians({lat_b}))))))"
        )

    def multi_match_source(
        self, table: str, alias: str, joins: Sequence[Join], outer_alias: str, id_column: str = "id"
    ) -> str:
        parts = [f"FROM {self.q(table)} {self.q(alias)}"]
        if joins:
            parts.append(self.joins_clause(joins))
        parts.append(f"WHERE {self.column(alias, id_column)} = {self.column(outer_alias, id_column)}")
        return " ".join(parts)

    def multi_match_select(self, value: str, source: str) -> str:
        return f"SELECT {value} AS {self.q(MULTI_MATCH_COLUMN)} {source}"

    def multi_match_not_exists(
        self, where: str, left: tuple[str, str], right: tuple[str, str] | None = None
    ) -> str:
        out = f"NOT EXISTS (SELECT 1 FROM ({left[0]}) {self.q(left[1])}"
        if right is not None:
            out += f" LEFT JOIN ({right[0]}) {self.q(right[1])}"
        return out + f" WHERE {where})"

    def join_clause(self, join: Join) -> str:
        out = f"LEFT JOIN {join.table} {self.q(join.alias)}"
        if join.on:
            out += f" ON {join.on}"
        return out

    def joins_clause(self, joins: Iterable[Join]) -> str:
        return " ".join(self.join_clause(j) for j in joins)

    def random_order(self) -> str:
        return "RANDOM()"

    def rowid(self, alias: str | None) -> str:
        return self.column(alias, "_rowid_") if alias else self.q("_rowid_")

    def order_item(self, expr: str, desc: bool) -> str:
        return f"{expr} {'DESC' if desc else 'ASC'}"
