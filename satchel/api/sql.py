"""``POST /api/sql`` (superusers only, spec 12 §8)."""

from __future__ import annotations

import time

import apsw
from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, get_app, read_body, require_superuser
from satchel.api.responses import ordered_json_response
from satchel.core.ops.sql_console import (
    MAX_QUERY_LENGTH,
    TIMEOUT,
    is_write_query,
    select_rows,
    sqlite_error_text,
    write_changes,
)
from satchel.errors import ApiError, BadRequestError
from satchel.store.connection import QueryTimeout

__all__ = ["run_sql"]

INVALID_DATA = "An error occurred while validating the submitted data."


@endpoint
async def run_sql(request: Request) -> Response:
    await require_superuser(request)
    body = await read_body(request, invalid_message="An error occurred while loading the submitted data.")
    query = body.get("query")
    if not isinstance(query, str) or not query:
        raise ApiError(400, INVALID_DATA, {"query": {"code": "validation_required", "message": "Cannot be blank."}})
    if len(query) > MAX_QUERY_LENGTH:
        raise ApiError(400, INVALID_DATA, {"query": {
            "code": "validation_length_too_long", "message": f"The length must be no more than {MAX_QUERY_LENGTH}.",
            "params": {"max": MAX_QUERY_LENGTH, "min": 0}}})
    app = get_app(request)
    started = time.monotonic()
    try:
        if is_write_query(query):
            result = await app.db.write(lambda tx: write_changes(tx, query))
        else:
            result = await app.db.read(lambda conn: select_rows(conn, query), timeout=TIMEOUT)
    except QueryTimeout as exc:
        raise BadRequestError("Failed to execute query. Raw error:\ninterrupted (9).") from exc
    except apsw.Error as exc:
        raise BadRequestError(f"Failed to execute query. Raw error:\n{sqlite_error_text(exc)}.") from exc
    result.exec_time_ms = int((time.monotonic() - started) * 1000)
    return ordered_json_response(result.to_api())
