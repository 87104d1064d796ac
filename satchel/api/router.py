"""The route table and the ASGI application of an App."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from satchel.api import (
    admins,
    batch,
    collections,
    health,
    oauth2,
    realtime,
    record_auth,
    record_auth_email,
    records,
    settings,
    settings_test,
    static,
)
from satchel.api.middleware import SatchelMiddleware
from satchel.api.responses import error_response
from satchel.core.body_limits import batch_body_limit, record_body_limit
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
        Route(f"{c}/meta/oauth2-providers", oauth2.oauth2_providers_list, methods=["GET"]),
        Route(f"{c}/{{collection}}", collections.get_collection, methods=["GET"]),
        Route(f"{c}/{{collection}}", collections.update_collection, methods=["PATCH"]),
        Route(f"{c}/{{collection}}", collections.delete_collection, methods=["DELETE"]),
        Route(f"{c}/{{collection}}/truncate", collections.truncate_collection, methods=["DELETE"]),
        Route(f"{c}/{{collection}}/auth-with-password", record_auth.auth_with_password, methods=["POST"]),
        Route(f"{c}/{{collection}}/auth-refresh", record_auth.auth_refresh, methods=["POST"]),
        *record_routes(),
        *auth_routes(),
        Route("/api/realtime", realtime.connect, methods=["GET"]),
        Route("/api/realtime", realtime.set_subscriptions, methods=["POST"]),
        Route("/api/settings", settings.get_settings, methods=["GET"]),
        Route("/api/settings", settings.patch_settings, methods=["PATCH"]),
        # registered last, like PocketBase's static catch-all
        Route("/{path:path}", static.serve_public, methods=["GET"]),
    ]


def record_routes() -> list[Route]:
    """Records CRUD and batch (spec 03)."""
    c = "/api/collections/{collection}/records"
    return [
        Route(c, records.list_records, methods=["GET"]),
        Route(c, records.create_record, methods=["POST"]),
        Route(f"{c}/{{id}}", records.view_record, methods=["GET"]),
        Route(f"{c}/{{id}}", records.update_record, methods=["PATCH"]),
        Route(f"{c}/{{id}}", records.delete_record, methods=["DELETE"]),
        Route("/api/batch", batch.batch, methods=["POST"]),
    ]


def auth_routes() -> list[Route]:
    """Auth flows of auth collections (spec 10 §5) and the token endpoints."""
    c = "/api/collections/{collection}"
    ra, em = record_auth, record_auth_email
    return [
        Route(f"{c}/auth-methods", ra.auth_methods, methods=["GET"]),
        Route(f"{c}/request-otp", ra.request_otp, methods=["POST"]),
        Route(f"{c}/auth-with-otp", ra.auth_with_otp, methods=["POST"]),
        Route(f"{c}/impersonate/{{id}}", ra.impersonate, methods=["POST"]),
        Route(f"{c}/auth-with-oauth2", oauth2.auth_with_oauth2, methods=["POST"]),
        Route("/api/oauth2-redirect", oauth2.oauth2_redirect, methods=["GET", "POST"]),
        Route(f"{c}/request-verification", em.request_verification, methods=["POST"]),
        Route(f"{c}/confirm-verification", em.confirm_verification, methods=["POST"]),
        Route(f"{c}/request-password-reset", em.request_password_reset, methods=["POST"]),
        Route(f"{c}/confirm-password-reset", em.confirm_password_reset, methods=["POST"]),
        Route(f"{c}/request-email-change", em.request_email_change, methods=["POST"]),
        Route(f"{c}/confirm-email-change", em.confirm_email_change, methods=["POST"]),
        Route("/api/files/token", ra.file_token_endpoint, methods=["POST"]),
        Route("/api/settings/test/email", settings_test.test_email, methods=["POST"]),
        *(Route(path, handler, methods=methods) for path, handler, methods in admins.routes_table()),
    ]


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Unmatched routes and methods: PocketBase answers 404, never 405."""
    if isinstance(exc, HTTPException) and exc.status_code not in (404, 405):
        return error_response(ApiError(exc.status_code, str(exc.detail or "")))
    return error_response(NotFoundError())


def body_limit_for(app: App) -> Callable[[str, str], int | None]:
    """Record writes may carry their fields' maxima; batch has its own setting."""

    def limit(method: str, path: str) -> int | None:
        if path == "/api/batch":
            return batch_body_limit(app.settings.current.batch.max_body_size)
        parts = path.split("/")
        # /api/collections/{c}/records[/{id}]
        if len(parts) in (5, 6) and parts[1:3] == ["api", "collections"] and parts[4] == "records":
            c = app.registry.get(parts[3])
            return record_body_limit(c) if c is not None else None
        return None

    return limit


def build_asgi(app: App) -> Starlette:
    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await app.aclose()

    asgi = Starlette(routes=routes(), exception_handlers={HTTPException: _http_exception}, lifespan=lifespan)
    asgi.state.satchel = app
    asgi.add_middleware(SatchelMiddleware, origins=app.config.origins, limit_for=body_limit_for(app))
    return asgi
