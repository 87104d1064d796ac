"""``GET /api/crons`` and ``POST /api/crons/{id}`` (superusers only, spec 12 §7)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, get_app, require_superuser
from satchel.api.responses import no_content, ordered_json_response
from satchel.errors import ApiError

__all__ = ["list_crons", "run_cron"]


@endpoint
async def list_crons(request: Request) -> Response:
    await require_superuser(request)
    jobs = get_app(request).cron.jobs()
    return ordered_json_response([{"id": j.id, "expression": j.expression} for j in jobs])


@endpoint
async def run_cron(request: Request) -> Response:
    await require_superuser(request)
    if not get_app(request).cron.run_now(request.path_params["id"]):
        raise ApiError(404, "Missing or invalid cron job.")
    return no_content()
