"""``GET /api/health``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.client_ip import client_ip
from satchel.api.request import endpoint, get_app, get_auth
from satchel.api.responses import ordered_json_response
from satchel.core.logs import possible_proxy_header

__all__ = ["health"]


@endpoint
async def health(request: Request) -> Response:
    auth = await get_auth(request)
    data: dict[str, object] = {}
    if auth.is_superuser:
        app = get_app(request)
        proxy = app.settings.current.trusted_proxy
        data = {
            "canBackup": not app.backups.busy,
            "realIP": client_ip(request),
            "possibleProxyHeader": possible_proxy_header(request.headers, proxy),
        }
    return ordered_json_response({"message": "API is healthy.", "code": 200, "data": data})
