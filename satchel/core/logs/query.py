"""``GET /api/logs``, ``/api/logs/{id}`` and ``/api/logs/stats``, run in SQL.

``id``, ``created``, ``level``, ``message`` and any ``data.<path>`` (a JSON path)
may be filtered and sorted on, compiled by the records' search engine.  Without
``sort`` the rows come in insertion order, as PocketBase's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import apsw
import orjson

from satchel.core.records.picking import pick_fields
from satchel.errors import BadRequestError
from satchel.store.database import Database
from satchel.tools.filter import FilterSyntaxError
from satchel.tools.search import (
    Dialect,
    FilterCompileError,
    MapResolver,
    ResolveError,
    Sql,
    build_order_by,
    build_where,
    parse_list_params,
)

__all__ = ["get_log", "list_logs", "log_stats"]

TABLE = "_logs"
COLUMNS = ("id", "created", "level", "message")
SELECT = "SELECT `id`, `created`, `data`, `message`, `level` FROM `_logs`"
INVALID_FILTER = "Invalid filter format."


def _resolver(dialect: Dialect) -> MapResolver:
    return MapResolver(TABLE, COLUMNS, dialect, json=("data",))


def _item(row: tuple[Any, ...]) -> dict[str, Any]:
    return {"id": row[0], "created": row[1], "data": orjson.loads(row[2] or "{}"), "message": row[3],
            "level": row[4]}


def _where(filter_text: str, dialect: Dialect, message: str = "") -> Sql:
    try:
        return build_where(filter_text, _resolver(dialect), dialect)
    except (FilterSyntaxError, FilterCompileError, ResolveError) as exc:
        raise BadRequestError(message) from exc


def _list(conn: apsw.Connection, dialect: Dialect, query: Mapping[str, str]) -> dict[str, Any]:
    params = parse_list_params(query)
    where, order, values = "", " ORDER BY `rowid`", {}
    if params.filter:
        sql = _where(params.filter, dialect)
        where, values = f" WHERE {sql.text}", dict(sql.params)
    if params.sort:
        try:
            sql = build_order_by(params.sort, _resolver(dialect), dialect, rowid_alias=TABLE)
        except (FilterCompileError, ResolveError) as exc:
            raise BadRequestError() from exc
        order, values = f" ORDER BY {sql.text}", {**values, **sql.params}
    rows = conn.execute(f"{SELECT}{where}{order} LIMIT :_limit OFFSET :_offset",
                        {**values, "_limit": params.per_page, "_offset": params.offset}).fetchall()
    total = pages = -1
    if not params.skip_total:
        row = conn.execute(f"SELECT COUNT(*) FROM `_logs`{where}", values).fetchone()
        total = int(row[0]) if row else 0
        pages = (total + params.per_page - 1) // params.per_page
    return {
        "items": pick_fields([_item(r) for r in rows], params.fields),
        "page": params.page,
        "perPage": params.per_page,
        "totalItems": total,
        "totalPages": pages,
    }


async def list_logs(aux_db: Database, dialect: Dialect, query: Mapping[str, str]) -> dict[str, Any]:
    return await aux_db.read(lambda conn: _list(conn, dialect, query))


async def get_log(aux_db: Database, log_id: str) -> dict[str, Any] | None:
    def run(conn: apsw.Connection) -> dict[str, Any] | None:
        row = conn.execute(f"{SELECT} WHERE `id` = ?", (log_id,)).fetchone()
        return _item(row) if row else None

    return await aux_db.read(run)


def _stats(conn: apsw.Connection, dialect: Dialect, filter_text: str) -> list[dict[str, Any]]:
    where, values = "", {}
    if filter_text:
        sql = _where(filter_text, dialect, INVALID_FILTER)
        where, values = f" WHERE {sql.text}", dict(sql.params)
    # the expression of idx_logs_created_hour, so the grouping can use that index
    hour = "strftime('%Y-%m-%d %H:00:00', `created`)"
    rows = conn.execute(f"SELECT {hour} AS `date`, COUNT(`id`) FROM `_logs`{where} GROUP BY `date` ORDER BY `date`",
                        values).fetchall()
    return [{"date": f"{date}.000Z", "total": int(str(total))} for date, total in rows]


async def log_stats(aux_db: Database, dialect: Dialect, filter_text: str) -> list[dict[str, Any]]:
    return await aux_db.read(lambda conn: _stats(conn, dialect, filter_text))
