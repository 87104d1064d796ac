"""The route table and the ASGI application of an App."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from satchel.api import collections, health, record_auth, settings, static
from satchel.api.middleware import SatchelMiddleware
from satchel.api.responses import error_response
from satchel.errors import ApiError, NotFoundError

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["build_asgi", "routes"]


def routes() -> list[Route]:
    c = "/api/collections"
    return [
        Route("/api/health", health.health, methods=["GET"]),
        Route(c, collections.list_collections_endpoint, methods=["GET"]),
        Route(c, collections.create_collection, methods=["POST"]),
        Route(f"{c}/import", collections.import_collections, methods=["PUT"]),
        Route(f"{c}/meta/scaffolds", collections.scaffolds, methods=["GET"]),
        Route(f"{c}/meta/dry-run-view", collections.dry_run_view, methods=["POST"]),
        Route(f"{c}/{{collection}}", collections.get_collection, methods=["GET"]),
        Route(f"{c}/{{collection}}", collections.update_collection, methods=["PATCH"]),
        Route(f"{c}/{{collection}}", collections.delete_collection, methods=["DELETE"]),
        Route(f"{c}/{{collection}}/truncate", collections.truncate_collection, methods=["DELETE"]),
        Route(f"{c}/{{collection}}/auth-with-password", record_auth.auth_with_password, methods=["POST"]),
        Route(f"{c}/{{collection}}/auth-refresh", record_auth.auth_refresh, methods=["POST"]),
        Route("/api/settings", settings.get_settings, methods=["GET"]),
        Route("/api/settings", settings.patch_settings, methods=["PATCH"]),
        # registered last, like PocketBase's static catch-all
        Route("/{path:path}", static.serve_public, methods=["GET"]),
    ]


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Unmatched routes and methods: PocketBase answers 404, never 405."""
    if isinstance(exc, HTTPException) and exc.status_code not in (404, 405):
        return error_response(ApiError(exc.status_code, str(exc.detail or "")))
    return error_response(NotFoundError())


def build_asgi(app: App) -> Starlette:
    asgi = Starlette(routes=routes(), exception_handlers={HTTPException: _http_exception})
    asgi.state.satchel = app
    asgi.add_middleware(SatchelMiddleware, origins=app.config.origins)
    return asgi
