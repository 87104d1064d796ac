"""The SQL statements of the records API, assembled from dialect fragments.

Everything here is text building only: ``Sql`` values with named params, run by
the callers.  Identifiers, joins, JSON helpers and booleans come from the
dialect (:class:`satchel.store.dialect.SqliteDialect`), so a second dialect only
has to provide those fragments (and ``LIMIT``/``OFFSET``, which PostgreSQL
shares).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from satchel.store.dialect import SqliteDialect
from satchel.tools.search import Join, Sql

__all__ = [
    "delete_by_id",
    "id_exists",
    "insert_row",
    "merge_joins",
    "select_back_relation_ids",
    "select_by_ids",
    "select_count",
    "select_page",
    "select_referencing",
    "update_row",
]


def merge_joins(*parts: Sql) -> tuple[tuple[Join, ...], dict[str, Any]]:
    """Joins of several fragments de-duplicated by alias, with all their params."""
    joins: dict[str, Join] = {}
    params: dict[str, Any] = {}
    for part in parts:
        params.update(part.params)
        for j in part.joins:
            if j.alias not in joins:
                joins[j.alias] = j
            params.update(j.params)
    return tuple(joins.values()), params


def _where(d: SqliteDialect, conditions: Sequence[str]) -> str:
    conds = [c for c in conditions if c]
    return " WHERE " + d.and_([d.enclose(c) for c in conds]) if conds else ""


def select_page(
    d: SqliteDialect,
    table: str,
    joins: Sequence[Join],
    conditions: Sequence[str],
    order: str = "",
    limit: int | None = None,
    offset: int = 0,
) -> str:
    """``SELECT [DISTINCT] t.* FROM t <joins> WHERE ... ORDER BY ... LIMIT n OFFSET m``."""
    distinct = "DISTINCT " if joins else ""
    text = f"SELECT {distinct}{d.q(table)}.* FROM {d.q(table)}"
    if joins:
        text += " " + d.joins_clause(joins)
    text += _where(d, conditions)
    if order:
        text += " ORDER BY " + order
    if limit is not None:
        text += f" LIMIT {int(limit)}"
        if offset:
            text += f" OFFSET {int(offset)}"
    return text


def select_count(
    d: SqliteDialect, table: str, joins: Sequence[Join], conditions: Sequence[str], *, is_view: bool
) -> str:
    """``SELECT COUNT(DISTINCT t._rowid_)`` (views: ``t.id``) with the same FROM/WHERE."""
    key = d.column(table, "id") if is_view else d.rowid(table)
    text = f"SELECT COUNT(DISTINCT {key}) FROM {d.q(table)}"
    if joins:
        text += " " + d.joins_clause(joins)
    return text + _where(d, conditions)


def ids_condition(d: SqliteDialect, column: str, param: str) -> str:
    """``column IN (<values of the JSON array param>)`` -- one param for any number of ids."""
    return f"{column} IN (SELECT {d.json_each_value('__ids')} FROM {d.json_each_array(d.param(param))} {d.q('__ids')})"


def select_by_ids(d: SqliteDialect, table: str, joins: Sequence[Join], extra: Sequence[str], param: str) -> str:
    return select_page(d, table, joins, [ids_condition(d, d.column(table, "id"), param), *extra])


def select_back_relation_ids(d: SqliteDialect, table: str, field: str, multiple: bool, param: str, *, is_view: bool) -> str:
    """``(id, parent id)`` pairs of ``table`` rows whose relation ``field`` points at the given ids."""
    t = d.q(table)
    order = "" if is_view else f" ORDER BY {d.rowid(table)}"
    if not multiple:
        col = d.column(table, field)
        return f"SELECT {d.column(table, 'id')}, {col} FROM {t} WHERE {ids_condition(d, col, param)}{order}"
    je = "__je"
    return (
        f"SELECT {d.column(table, 'id')}, {d.json_each_value(je)} FROM {t}, "
        f"{d.json_each(d.column(table, field))} {d.q(je)} "
        f"WHERE {ids_condition(d, d.json_each_value(je), param)}{order}"
    )


def select_referencing(d: SqliteDialect, table: str, field: str, multiple: bool, param: str) -> str:
    """Rows of ``table`` whose relation ``field`` contains the id in ``param``."""
    t = d.q(table)
    col = d.column(table, field)
    if not multiple:
        return f"SELECT {t}.* FROM {t} WHERE {col} = {d.param(param)}"
    je = "__je"
    return (
        f"SELECT {t}.* FROM {t} WHERE EXISTS (SELECT 1 FROM {d.json_each(col)} {d.q(je)} "
        f"WHERE {d.json_each_value(je)} = {d.param(param)})"
    )


# The statements of every write are memoized (dialect, table, columns): built once, not per
# request. Dialects are stateless; a renamed table or column simply gets new entries.


def insert_row(d: SqliteDialect, table: str, columns: Iterable[str]) -> tuple[str, Sequence[str]]:
    return _insert_row(d, table, tuple(columns))


@lru_cache(maxsize=1024)
def _insert_row(d: SqliteDialect, table: str, cols: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    names = tuple(f"c{i}" for i in range(len(cols)))
    text = (
        f"INSERT INTO {d.q(table)} ({', '.join(d.q(c) for c in cols)}) "
        f"VALUES ({', '.join(d.param(n) for n in names)})"
    )
    return text, names


def update_row(d: SqliteDialect, table: str, columns: Iterable[str]) -> tuple[str, Sequence[str]]:
    return _update_row(d, table, tuple(columns))


@lru_cache(maxsize=1024)
def _update_row(d: SqliteDialect, table: str, cols: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    names = tuple(f"c{i}" for i in range(len(cols)))
    sets = ", ".join(f"{d.q(c)} = {d.param(n)}" for c, n in zip(cols, names, strict=True))
    return f"UPDATE {d.q(table)} SET {sets} WHERE {d.q('id')} = {d.param('__id')}", names


@lru_cache(maxsize=1024)
def delete_by_id(d: SqliteDialect, table: str) -> str:
    return f"DELETE FROM {d.q(table)} WHERE {d.q('id')} = {d.param('__id')}"


@lru_cache(maxsize=1024)
def count_ids(d: SqliteDialect, table: str, param: str) -> str:
    return f"SELECT COUNT(*) FROM {d.q(table)} WHERE {ids_condition(d, d.q('id'), param)}"


@lru_cache(maxsize=1024)
def id_exists(d: SqliteDialect, table: str, param: str) -> str:
    """A row with this id (one id: no JSON array, no IN over a temporary index)."""
    return f"SELECT 1 FROM {d.q(table)} WHERE {d.q('id')} = {d.param(param)} LIMIT 1"


@lru_cache(maxsize=1024)
def select_ids_ci(d: SqliteDialect, table: str, param: str) -> str:
    """Ids equal to the param ignoring case (custom primary keys must be unique that way)."""
    return f"SELECT {d.q('id')} FROM {d.q(table)} WHERE {d.lower(d.q('id'))} = {d.lower(d.param(param))} LIMIT 1"


def count_all(d: SqliteDialect, table: str) -> str:
    return f"SELECT COUNT(*) FROM {d.q(table)}"


def delete_where_eq(d: SqliteDialect, table: str, columns: Mapping[str, str]) -> str:
    """``DELETE FROM t WHERE col = :param AND ...`` (``columns`` maps column -> param)."""
    conds = [f"{d.q(c)} = {d.param(p)}" for c, p in columns.items()]
    return f"DELETE FROM {d.q(table)} WHERE {d.and_(conds)}"
