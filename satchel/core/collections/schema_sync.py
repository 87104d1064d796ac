"""Plan the DDL that turns a record table from one collection version into the next.

Pure: returns the statements, the caller runs them in the same transaction as
the ``_collections`` row so a failed change leaves nothing half-applied.
"""

from __future__ import annotations

from satchel.core.collections.model import Collection
from satchel.core.fields import Field
from satchel.store.dialect import SqliteDialect
from satchel.tools.dbutils import parse_index

__all__ = ["column_kind", "plan_create", "plan_delete", "plan_update"]

MULTI_TYPES = ("select", "file", "relation")
# (normalized view query, columns to re-select with a TEXT id or None)
ViewSql = tuple[str, list[str] | None]


def column_kind(f: Field) -> str:
    """Storage kind of a field, the key of ``store.dialect.COLUMN_DDL``."""
    kind = f.column_kind
    return str(getattr(kind, "value", kind))


def _is_multi(f: Field) -> bool:
    return f.type in MULTI_TYPES and column_kind(f) == "json_array"


def _index_names(indexes: list[str]) -> list[str]:
    names = []
    for sql in indexes:
        idx = parse_index(sql)
        if idx.index_name:
            names.append(idx.index_name)
    return names


def plan_create(d: SqliteDialect, c: Collection, view: ViewSql | None = None) -> list[str]:
    if c.is_view:
        query, cast_columns = view or (c.view_query, None)
        return [d.create_view(c.name, query, cast_columns)]
    stmts = [d.create_table(c.name, [(f.name, column_kind(f)) for f in c.fields])]
    stmts.extend(c.indexes)
    return stmts


def plan_delete(d: SqliteDialect, c: Collection) -> list[str]:
    if c.is_view:
        return [d.drop_view(c.name)]
    return [d.drop_table(c.name)]


def plan_update(d: SqliteDialect, old: Collection, new: Collection, view: ViewSql | None = None) -> list[str]:
    """Statements migrating ``old``'s table to ``new`` keeping the data."""
    if new.is_view:
        query, cast_columns = view or (new.view_query, None)
        return [d.drop_view(old.name), d.create_view(new.name, query, cast_columns)]

    stmts: list[str] = [d.drop_index(name) for name in _index_names(old.indexes)]
    table = old.name
    if old.name != new.name:
        stmts.append(d.rename_table(old.name, new.name))
        table = new.name

    old_by_id = {f.id: f for f in old.fields}
    new_ids = {f.id for f in new.fields}

    for f in old.fields:
        if f.id not in new_ids:
            stmts.append(d.drop_column(table, f.name))

    # Renames go through temporary names so that swapping two names works.
    renamed = [(old_by_id[f.id], f) for f in new.fields if f.id in old_by_id and old_by_id[f.id].name != f.name]
    for old_f, _ in renamed:
        stmts.append(d.rename_column(table, old_f.name, f"_tmp_{old_f.id}"))
    for old_f, new_f in renamed:
        stmts.append(d.rename_column(table, f"_tmp_{old_f.id}", new_f.name))

    for f in new.fields:
        prev = old_by_id.get(f.id)
        if prev is None:
            stmts.append(d.add_column(table, f.name, column_kind(f)))
        elif prev.type == f.type and _is_multi(prev) != _is_multi(f):
            convert = d.single_to_multi if _is_multi(f) else d.multi_to_single
            stmts.append(convert(table, f.name))

    stmts.extend(new.indexes)
    return stmts
