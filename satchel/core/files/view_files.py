"""Files of view collections: the record that really holds a view record's file.

A view record has no storage folder of its own: ``/api/files/<view>/<id>/<name>``
serves the file from the folder of the source record.  As PocketBase does, the view
field is traced through the view query to the collection field it was copied from
(through views of views, five levels at most), and the source record is the first
one whose field holds ``name``.  Rules stay the caller's business (PocketBase checks
the *view's* viewRule against the view record).
"""

from __future__ import annotations

from collections.abc import Callable

import apsw

from satchel.core.collections.model import Collection
from satchel.core.collections.view_query import CollectionFieldsInfo, ViewQueryError, infer_view_fields
from satchel.core.fields import FileField
from satchel.tools.search.dialect import Dialect

__all__ = ["MAX_VIEW_DEPTH", "find_view_file_record_sync", "view_file_source"]

MAX_VIEW_DEPTH = 5

Lookup = Callable[[str], Collection | None]


def _fields_info(lookup: Lookup) -> Callable[[str], CollectionFieldsInfo | None]:
    def info(name: str) -> CollectionFieldsInfo | None:
        c = lookup(name)
        if c is None:
            return None
        return CollectionFieldsInfo(id=c.id, name=c.name, type=c.type, fields=[f.to_dict() for f in c.fields])

    return info


def view_file_source(lookup: Lookup, view: Collection, field_name: str) -> tuple[Collection, FileField] | None:
    """The non-view collection and file field that ``view.field_name`` was copied from."""
    info = _fields_info(lookup)
    for _ in range(MAX_VIEW_DEPTH):
        try:
            inferred = infer_view_fields(view.view_query, info)
        except ViewQueryError:
            return None
        found = next((f for f in inferred if f.name == field_name and f.collection and f.original), None)
        if found is None or found.collection is None or found.original is None:
            return None
        source = lookup(found.collection.id)
        if source is None:
            return None
        field_name = str(found.original.get("name", ""))
        if not source.is_view:
            f = source.field(field_name)
            return (source, f) if isinstance(f, FileField) else None
        view = source
    return None


def find_view_file_record_sync(conn: apsw.Connection, dialect: Dialect, source: Collection,
                               f: FileField, filename: str) -> str | None:
    """The id of the first ``source`` record whose file field ``f`` holds ``filename``."""
    table = dialect.q(source.name)
    column = dialect.column("t", f.name)
    if f.is_multiple:
        sql = (f"SELECT {dialect.column('t', 'id')} FROM {table} t INNER JOIN {dialect.json_each(column)} je "
               f"ON {dialect.json_each_value('je')} = :name LIMIT 1")
    else:
        sql = f"SELECT {dialect.column('t', 'id')} FROM {table} t WHERE {column} = :name LIMIT 1"
    row = conn.execute(sql, {"name": filename}).fetchone()
    return None if row is None else str(row[0])
