"""The route table and the ASGI application of an App."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any

from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from satchel.api.lazy_route import LazyPathRoute
from satchel.api.legacy_errors import LegacyRoute, legacy_error
from satchel.api.middleware import ERROR_BODY_KEY, STATUS_KEY, SatchelMiddleware
from satchel.api.request import ERROR_KEY, get_app
from satchel.api.request_log import RequestLogMiddleware
from satchel.api.responses import error_response
from satchel.api.user_routes import UserRoutesFirst
from satchel.core.body_limits import batch_body_limit, record_body_limit
from satchel.core.hook_events import BootstrapEvent, ServeEvent, TerminateEvent
from satchel.errors import ApiError, NotFoundError
from satchel.tools.hook import Hook
from satchel.tools.registrations import Owned
from satchel.tools.route_pattern import Pattern, parse_pattern

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["build_asgi", "builtin_patterns", "import_all", "routes"]

log = logging.getLogger("satchel.api")

BACKUP_UPLOAD_LIMIT = 1 << 40


# the superusers' collection, whose counters the legacy admin routes share
SUPERUSERS = "_superusers"

# the targets that run as the last link of a request hook (satchel.api.hook_routes, which
# only they import; tests/api/test_lazy_routes.py checks the two lists agree)
HOOKED = frozenset({
    "collections.get_collection", "collections.create_collection", "collections.update_collection",
    "collections.delete_collection", "settings.patch_settings", "batch.batch", "realtime.set_subscriptions",
    "files.serve_file", "record_auth.auth_refresh", "record_auth_email.request_verification",
    "record_auth_email.request_password_reset", "record_auth_email.request_email_change",
})


def route(path: str, target: str, methods: list[str], tags: tuple[str, ...] = ()) -> Route:
    """``target``: ``"module.function"`` of a handler in :mod:`satchel.api`, imported on the
    route's first request; ``tags``: the rate-limit tags of a ``{collection}`` route
    (``list``, ``auth``…)."""
    return ApiRoute(path, Endpoint(target, path, tags), methods=methods)


def admin_routes() -> list[Route]:
    """The legacy ``/api/admins/*`` (:mod:`satchel.api.admins`): limited as their v0.40
    ``_superusers`` twins (same tags, same counters), their 429 in the v0.22 error body."""
    a, c, r = "/api/admins", "/api/collections/{collection}", "/api/collections/{collection}/records"
    # (path, handler, methods, rate-limit tags, the v0.40 twin's pattern)
    table: list[tuple[str, str, list[str], tuple[str, ...], str]] = [
        (f"{a}/auth-with-password", "auth_with_password", ["POST"], ("authWithPassword", "auth"),
         f"{c}/auth-with-password"),
        (f"{a}/auth-refresh", "auth_refresh", ["POST"], ("authRefresh",), f"{c}/auth-refresh"),
        (f"{a}/request-password-reset", "request_password_reset", ["POST"], ("requestPasswordReset",),
         f"{c}/request-password-reset"),
        (f"{a}/confirm-password-reset", "confirm_password_reset", ["POST"], ("confirmPasswordReset",),
         f"{c}/confirm-password-reset"),
        (a, "list_admins", ["GET"], ("list",), r),
        (a, "create_admin", ["POST"], ("create",), r),
        (f"{a}/{{id}}", "view_admin", ["GET"], ("view",), f"{r}/{{id}}"),
        (f"{a}/{{id}}", "update_admin", ["PATCH"], ("update",), f"{r}/{{id}}"),
        (f"{a}/{{id}}", "delete_admin", ["DELETE"], ("delete",), f"{r}/{{id}}"),
    ]
    return [
        # a wrong method answers 0.22's 404 body, not v0.40's
        LegacyRoute(path, Endpoint(f"admins.{name}", twin, tags, SUPERUSERS, legacy_error), methods=methods)
        for path, name, methods, tags, twin in table
    ]


def import_all() -> None:
    """Import every handler module of the route table now (``serve --workers`` before it
    forks, so that the workers share those pages; ``python -m satchel.precompile``)."""
    for r in routes():
        endpoint = getattr(r, "app", None)
        if isinstance(endpoint, Endpoint):
            endpoint.resolve()
    import_module("satchel.api.realtime")


def routes() -> list[Route]:
    c = "/api/collections"
    return [
        route("/api/health", "health.health", methods=["GET"]),
        # the busiest routes first: Starlette tries routes in order (a view matched after
        # 16 regexes, a file after 65 before 2026-12-06); none of these paths can be
        # matched by a route further down
        *record_routes(),
        route("/api/files/{collection}/{recordId}/{filename}", "files.serve_file", methods=["GET", "HEAD"],
              tags=("file",)),
        route(f"{c}/{{collection}}/auth-with-password", "record_auth.auth_with_password", methods=["POST"],
              tags=("authWithPassword", "auth")),
        route(f"{c}/{{collection}}/auth-refresh", "record_auth.auth_refresh", methods=["POST"], tags=("authRefresh",)),
        route(c, "collections.list_collections_endpoint", methods=["GET"]),
        route(c, "collections.create_collection", methods=["POST"]),
        route(f"{c}/import", "collections.import_collections", methods=["PUT"]),
        route(f"{c}/meta/scaffolds", "collections.scaffolds", methods=["GET"]),
        route(f"{c}/meta/dry-run-view", "collections.dry_run_view", methods=["POST"]),
        route(f"{c}/meta/oauth2-providers", "oauth2.oauth2_providers_list", methods=["GET"]),
        route(f"{c}/{{collection}}", "collections.get_collection", methods=["GET"]),
        route(f"{c}/{{collection}}", "collections.update_collection", methods=["PATCH"]),
        route(f"{c}/{{collection}}", "collections.delete_collection", methods=["DELETE"]),
        route(f"{c}/{{collection}}/truncate", "collections.truncate_collection", methods=["DELETE"]),
        *auth_routes(),
        route("/api/realtime", "realtime.set_subscriptions", methods=["POST"]),
        route("/api/realtime/stats", "realtime_stats.realtime_stats", methods=["GET"]),
        route("/api/settings", "settings.get_settings", methods=["GET"]),
        route("/api/settings", "settings.patch_settings", methods=["PATCH"]),
        route("/api/settings/test/s3", "settings_s3.test_s3", methods=["POST"]),
        *logs_routes(),
        route("/api/crons", "crons.list_crons", methods=["GET"]),
        route("/api/crons/{id}", "crons.run_cron", methods=["POST"]),
        route("/api/backups", "backups.list_backups", methods=["GET"]),
        route("/api/backups", "backups.create_backup", methods=["POST"]),
        route("/api/backups/upload", "backups.upload_backup", methods=["POST"]),
        route("/api/backups/{key}", "backups.download_backup", methods=["GET", "HEAD"]),
        route("/api/backups/{key}", "backups.delete_backup", methods=["DELETE"]),
        route("/api/backups/{key}/restore", "backups.restore_backup", methods=["POST"]),
        route("/api/sql", "sql.run_sql", methods=["POST"]),
        route("/_", "dashboard.dashboard_redirect", methods=["GET"]),
        route("/_/{path:path}", "dashboard.serve_dashboard", methods=["GET"]),
        # registered last, like PocketBase's static catch-all
        route("/{path:path}", "static.serve_public", methods=["GET"]),
    ]


def logs_routes() -> list[Route]:
    """Request and application logs (spec 12 §3)."""
    return [
        route("/api/logs", "logs.list_logs_endpoint", methods=["GET"]),
        route("/api/logs", "logs.delete_logs", methods=["DELETE"]),
        route("/api/logs/stats", "logs.log_stats_endpoint", methods=["GET"]),
        route("/api/logs/{id}", "logs.view_log", methods=["GET"]),
    ]


def record_routes() -> list[Route]:
    """Records CRUD and batch (spec 03)."""
    c = "/api/collections/{collection}/records"
    return [
        route(c, "records.list_records", methods=["GET"], tags=("list",)),
        route(c, "records.create_record", methods=["POST"], tags=("create",)),
        route(f"{c}/{{id}}", "records.view_record", methods=["GET"], tags=("view",)),
        route(f"{c}/{{id}}", "records.update_record", methods=["PATCH"], tags=("update",)),
        route(f"{c}/{{id}}", "records.delete_record", methods=["DELETE"], tags=("delete",)),
        route(f"{c}/{{id}}/external-auths", "external_auths.list_external_auths", methods=["GET"]),
        route(f"{c}/{{id}}/external-auths/{{provider}}", "external_auths.unlink_external_auth", methods=["DELETE"]),
        route("/api/batch", "batch.batch", methods=["POST"]),
    ]


def auth_routes() -> list[Route]:
    """Auth flows of auth collections (spec 10 §5) and the token endpoints."""
    c = "/api/collections/{collection}"
    return [
        route(f"{c}/auth-methods", "record_auth.auth_methods", methods=["GET"], tags=("listAuthMethods",)),
        route(f"{c}/request-otp", "record_auth.request_otp", methods=["POST"], tags=("requestOTP",)),
        route(f"{c}/auth-with-otp", "record_auth.auth_with_otp", methods=["POST"], tags=("authWithOTP", "auth")),
        route(f"{c}/auth-anonymously", "record_auth_anonymous.auth_anonymously", methods=["POST"],
              tags=("authAnonymously", "auth")),
        route(f"{c}/anonymous-upgrade", "record_auth_anonymous.anonymous_upgrade", methods=["POST"],
              tags=("anonymousUpgrade",)),
        route(f"{c}/impersonate/{{id}}", "record_auth.impersonate", methods=["POST"]),
        route(f"{c}/auth-with-oauth2", "oauth2.auth_with_oauth2", methods=["POST"], tags=("authWithOAuth2", "auth")),
        route("/api/oauth2-redirect", "oauth2.oauth2_redirect", methods=["GET", "POST"]),
        route(f"{c}/request-verification", "record_auth_email.request_verification", methods=["POST"], tags=("requestVerification",)),
        route(f"{c}/confirm-verification", "record_auth_email.confirm_verification", methods=["POST"], tags=("confirmVerification",)),
        route(f"{c}/request-password-reset", "record_auth_email.request_password_reset", methods=["POST"], tags=("requestPasswordReset",)),
        route(f"{c}/confirm-password-reset", "record_auth_email.confirm_password_reset", methods=["POST"], tags=("confirmPasswordReset",)),
        route(f"{c}/request-email-change", "record_auth_email.request_email_change", methods=["POST"], tags=("requestEmailChange",)),
        route(f"{c}/confirm-email-change", "record_auth_email.confirm_email_change", methods=["POST"], tags=("confirmEmailChange",)),
        route("/api/files/token", "record_auth.file_token_endpoint", methods=["POST"]),
        route("/api/settings/test/email", "settings_test.test_email", methods=["POST"]),
        route("/api/settings/apple/generate-client-secret", "settings_apple.generate_client_secret", methods=["POST"]),
        *admin_routes(),
    ]


def builtin_patterns() -> list[Pattern]:
    """The built-in routes in PocketBase's pattern syntax, for ranking custom routes against them."""
    patterns = [Pattern("GET /api/realtime", "GET", parse_pattern("/api/realtime").segments)]
    for r in routes():
        path = r.path.replace(":path}", "...}")
        for method in sorted(r.methods or ()):
            if method != "HEAD" or "GET" not in (r.methods or ()):
                patterns.append(parse_pattern(path, method))
    return patterns


def body_limit_for(app: App) -> Callable[[str, str], int | None]:
    """Record writes may carry their fields' maxima; batch has its own setting; a custom
    route its ``body_limit(n)``."""

    user = app.user_router

    def limit(method: str, path: str) -> int | None:
        if user.routes:
            custom = user.body_limit(method, path)
            if custom is not None:
                return custom
        if path == "/api/batch":
            return batch_body_limit(app.settings.current.batch.max_body_size)
        if path == "/api/backups/upload":
            return BACKUP_UPLOAD_LIMIT  # PocketBase sets none; uploads spool to disk
        parts = path.split("/")
        # /api/collections/{c}/records[/{id}]
        if len(parts) in (5, 6) and parts[1:3] == ["api", "collections"] and parts[4] == "records":
            c = app.registry.get(parts[3])
            return record_body_limit(c) if c is not None else None
        return None

    return limit


class ApiRoute(LazyPathRoute):
    """A route whose wrong-method answer is PocketBase's 404 (never 405)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            await error_response(NotFoundError())(scope, receive, send)
            return
        await self.app(scope, receive, send)


_resolving = threading.Lock()


class Endpoint:
    """Calls an ``async def handler(request) -> Response`` as a bare ASGI app.

    The handler is named by its target, ``"module.function"`` in :mod:`satchel.api`, and
    imported on the first request (serving ``/api/health`` at start-up imports no other
    handler module: docs/performance.md); an import error is answered and logged as any
    other unexpected error of a handler (a 500 in PocketBase's shape), on every request
    of that route until the import succeeds.

    Starlette's own wrapper adds two exception-handling layers per request;
    :func:`satchel.api.request.endpoint` already converts every exception.
    """

    __slots__ = ("_handler", "collection", "error", "pattern", "tags", "target")

    def __init__(self, target: str, pattern: str = "", tags: tuple[str, ...] = (), collection: str = "",
                 error: Callable[[ApiError], Response] = error_response) -> None:
        self.target = target
        self._handler: Callable[[Request], Awaitable[Response]] | None = None
        self.pattern = pattern
        self.tags = tags
        self.collection = collection
        self.error = error

    def resolve(self) -> Callable[[Request], Awaitable[Response]]:
        """The handler, imported (and wrapped in its request hook) once."""
        handler = self._handler
        if handler is None:
            with _resolving:  # one wrapper per route, whichever thread asks first
                handler = self._handler
                if handler is None:
                    module, name = self.target.rsplit(".", 1)
                    handler = getattr(import_module(f"satchel.api.{module}"), name)
                    if self.target in HOOKED:
                        from satchel.api.hook_routes import with_hook

                        handler = with_hook(self.target, handler)
                    self._handler = handler
        return handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        if get_app(request).settings.current.rate_limits.enabled:  # no coroutine per request while off
            # imported with the first rule check: a start-up with rate limits off does not
            from satchel.api.rate_limit import check_rate_limit

            try:
                await check_rate_limit(request, self.pattern, self.tags, self.collection)
            except ApiError as exc:
                scope[ERROR_KEY] = exc  # the request log's "details"
                await self.error(exc)(scope, receive, send)
                return
        handler = self._handler
        if handler is None:
            try:
                handler = self.resolve()
            except Exception as exc:  # what endpoint() answers for a handler's own error
                log.exception("cannot import the handler of %s %s (%s)", scope["method"], scope["path"], self.target)
                scope[ERROR_KEY] = exc
                await self.error(ApiError(500))(scope, receive, send)
                return
        response = await handler(request)
        await response(scope, receive, send)


#: seconds between the start of serving and the start of the cron scheduler
CRON_START_DELAY = 1.0


def start_crons(app: App) -> None:
    """Only on one worker of ``serve --workers`` (the one ``cron_leader`` names).

    The scheduler (``app.cron`` with the built-in jobs) is made and started a moment after
    serving begins, so the first requests do not wait for it; a minute boundary that falls
    in between still runs its jobs (``since``).  Its modules are imported now: a start a
    second later must not need to open a file (a server out of file descriptors by then
    would never run its crons)."""
    if not app.state.get("cron_leader", True):
        return
    import_module("satchel.core.ops.cron")
    import_module("satchel.core.ops.jobs")
    since = datetime.now(UTC)
    # cancelled by App.aclose if the server stops first
    app.state["cron_start"] = asyncio.get_running_loop().call_later(
        CRON_START_DELAY, lambda: app.cron.start(since=since)
    )


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await error_response(NotFoundError())(scope, receive, send)


def watch_hook_files(app: App, server: object) -> None:
    """Reload the hook files on change; around a reload their own ``on_terminate``
    (``is_restart``) runs for the old version, ``on_bootstrap`` and ``on_serve`` for the new
    one, as a PocketBase restart would run them (the other handlers are not run again)."""
    files, hooks = app.hook_files, app.hooks

    def of_files(hook: Hook[Any]) -> Hook[Any]:
        mine: Hook[Any] = Hook(hook.name)
        for h in hook.handlers:
            if isinstance(h.func, Owned) and h.func.registrations is files.registrations:
                mine.bind(h.func, id=h.id, priority=h.priority, on_error=h.on_error)
        return mine

    async def before() -> None:
        await of_files(hooks.on_terminate).trigger(TerminateEvent(app=hooks.app, is_restart=True))

    async def after() -> None:
        await of_files(hooks.on_bootstrap).trigger(BootstrapEvent(app=hooks.app))
        await of_files(hooks.on_serve).trigger(ServeEvent(app=hooks.app, server=server, router=app.user_router))

    files.before_reload, files.after_reload = before, after
    files.start_watching()


class SatchelASGI:
    """The ASGI application of an App: the middleware, then the route table.

    ``GET /api/realtime`` is served before both: its coroutine lives as long as the
    connection, and every frame of the middleware and router kept alive under it
    would cost memory per idle client (docs/performance.md).

    Deliberately not a ``Starlette`` application: its server-error and
    exception middlewares cost ~15% of a small request here and we convert
    errors ourselves (see docs/performance.md).
    """

    def __init__(self, app: App) -> None:
        self.state = State()
        self.state.satchel = app

        @asynccontextmanager
        async def lifespan(_: object) -> AsyncIterator[None]:
            hooks = app.hooks
            facade = hooks.app
            await hooks.on_bootstrap.trigger(BootstrapEvent(app=facade))
            await hooks.on_serve.trigger(
                ServeEvent(app=facade, server=self, router=getattr(facade, "router", None)), lambda _: start_crons(app)
            )
            watch_hook_files(app, self)
            yield
            restart = bool(app.state.get("restart_requested"))
            await hooks.on_terminate.trigger(TerminateEvent(app=facade, is_restart=restart))
            await app.aclose()

        router = Router(routes=routes(), default=_not_found, lifespan=lifespan)
        self._middleware = SatchelMiddleware(UserRoutesFirst(router, app), origins=app.config.origins, limit_for=body_limit_for(app))
        self._stack = RequestLogMiddleware(self._middleware, app)
        self._logged_refusal = RequestLogMiddleware(self._refuse_stream, app)
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/api/realtime":
            if self._app.settings.current.rate_limits.enabled and not await self._stream_allowed(scope, receive, send):
                return
            from satchel.api.realtime import serve_stream  # on the first stream (start-up)

            await serve_stream(self._app, scope, receive, send, self._middleware.added_headers(scope))
            return
        await self._stack(scope, receive, send)

    async def _stream_allowed(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """The rate limit of the SSE stream.  The 429 is a failure, so it is logged, as
        PocketBase logs a stream request only when it fails."""
        from satchel.api.rate_limit import check_rate_limit

        try:
            await check_rate_limit(Request(scope, receive, send), "/api/realtime")
        except ApiError as exc:
            scope[ERROR_KEY] = exc
            await self._logged_refusal(scope, receive, send)
            return False
        return True

    async def _refuse_stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(scope[ERROR_KEY])
        response.raw_headers.extend(self._middleware.added_headers(scope))
        scope[STATUS_KEY], scope[ERROR_BODY_KEY] = response.status_code, bytearray(response.body)  # for the log
        await response(scope, receive, send)


def build_asgi(app: App) -> SatchelASGI:
    return SatchelASGI(app)
