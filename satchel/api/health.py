"""``GET /api/health``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, get_auth
from satchel.api.responses import ordered_json_response

__all__ = ["health"]

PROXY_HEADERS = ("cf-connecting-ip", "fly-client-ip", "x-forwarded-for")


@endpoint
async def health(request: Request) -> Response:
    auth = await get_auth(request)
    data: dict[str, object] = {}
    if auth.is_superuser:
        client = request.client
        possible = next((h for h in PROXY_HEADERS if request.headers.get(h)), "")
        data = {
            "canBackup": True,
            "realIP": client.host if client else "",
            "possibleProxyHeader": possible.title() if possible else "",
        }
    return ordered_json_response({"message": "API is healthy.", "code": 200, "data": data})
