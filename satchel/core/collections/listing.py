"""``GET /api/collections``: the list with filter/sort/paging, run in SQL.

Only ``id``, ``created``, ``updated``, ``name``, ``system`` and ``type`` may be
filtered and sorted on, as in PocketBase; the filter is compiled by the same
search engine as record lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import apsw

from satchel.core.collections.model import Collection
from satchel.core.collections.registry import decode_collection_row
from satchel.core.records.picking import pick_fields
from satchel.errors import BadRequestError
from satchel.tools.filter import FilterSyntaxError
from satchel.tools.search import (
    FilterCompileError,
    MapResolver,
    ResolveError,
    build_order_by,
    build_where,
    parse_list_params,
)

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["list_collections"]

LISTABLE = ("id", "created", "updated", "name", "system", "type")


def _query(
    app: App, conn: apsw.Connection, query: Mapping[str, str], legacy_keys: bool, keep: list[Collection] | None
) -> dict[str, Any]:
    params = parse_list_params(query)
    d = app.dialect
    resolver = MapResolver("_collections", LISTABLE, d)
    where, order, values = "", "", {}
    try:
        if params.filter:
            sql = build_where(params.filter, resolver, d)
            where, values = f" WHERE {sql.text}", dict(sql.params)
        if params.sort:
            sql = build_order_by(params.sort, resolver, d, rowid_alias="_collections")
            order, values = f" ORDER BY {sql.text}", {**values, **sql.params}
    except (FilterSyntaxError, FilterCompileError, ResolveError) as exc:
        raise BadRequestError() from exc
    if not order:
        order = " ORDER BY rowid"
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT * FROM `_collections`{where}{order} LIMIT :_limit OFFSET :_offset",
        {**values, "_limit": params.per_page, "_offset": params.offset},
    )
    models = [Collection.from_row(decode_collection_row(cursor, row)) for row in cursor]
    if keep is not None:
        keep.extend(models)
    items = [c.to_api_dict(legacy_keys=legacy_keys) for c in models]
    total = -1
    pages = -1
    if not params.skip_total:
        row = conn.execute(f"SELECT COUNT(*) FROM `_collections`{where}", values).fetchone()
        total = int(row[0]) if row else 0
        pages = (total + params.per_page - 1) // params.per_page
    return {
        "items": pick_fields(items, params.fields),
        "page": params.page,
        "perPage": params.per_page,
        "totalItems": total,
        "totalPages": pages,
    }


async def list_collections(
    app: App, query: Mapping[str, str], *, legacy_keys: bool = False, keep: list[Collection] | None = None
) -> dict[str, Any]:
    """``legacy_keys``: add the v0.22 ``schema``/``options`` (for a legacy admin token);
    ``keep`` receives the page's collections (for ``on_collections_list_request``)."""
    return await app.db.read(lambda conn: _query(app, conn, query, legacy_keys, keep))

