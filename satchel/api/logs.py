"""``/api/logs`` (superusers only): list, one entry, hourly stats, delete all."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, get_app, require_superuser
from satchel.api.responses import ordered_json_response
from satchel.core.logs import delete_all_logs, get_log, list_logs, log_stats
from satchel.errors import NotFoundError

__all__ = ["delete_logs", "list_logs_endpoint", "log_stats_endpoint", "view_log"]


@endpoint
async def list_logs_endpoint(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    return ordered_json_response(await list_logs(app.aux_db, app.aux_dialect, dict(request.query_params)))


@endpoint
async def log_stats_endpoint(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    return ordered_json_response(await log_stats(app.aux_db, app.aux_dialect, request.query_params.get("filter", "")))


@endpoint
async def view_log(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    item = await get_log(app.aux_db, request.path_params["id"])
    if item is None:
        raise NotFoundError()
    return ordered_json_response(item)


@endpoint
async def delete_logs(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    await app.aux_db.on_writer(delete_all_logs, app.aux_db)
    return Response(status_code=204)
