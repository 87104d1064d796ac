"""Custom routes added by hooks (``app.router.get(...)``), served beside the built-in ones.

A route is a handler and middlewares chained as PocketBase chains them: each receives
the :class:`RouteEvent` and calls ``e.next()`` to continue; the handler answers with
``e.json(...)``, ``e.string(...)``... Plain functions run on a worker thread (a slow
handler never blocks the server), coroutine functions on the event loop; both may be
mixed in one chain.

Matching follows PocketBase (Go's mux): the most specific pattern wins between custom
and built-in routes; a pattern that matches the same requests as another one is refused
when it is added (:class:`~satchel.tools.route_pattern.PatternConflict`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from satchel.api.middleware import BodyTooLarge
from satchel.api.request import ERROR_KEY, AuthState, get_auth
from satchel.api.responses import error_response
from satchel.core.records.model import Record
from satchel.core.records.rows import public_record
from satchel.errors import ApiError, BadRequestError, ForbiddenError, TooLargeError, UnauthorizedError
from satchel.tools.registrations import note_undo
from satchel.tools.route_pattern import Pattern, PatternConflict, Relation, parse_pattern, relation

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "BodyLimit",
    "Middleware",
    "RouteEvent",
    "RouteGroup",
    "RouteRequestInfo",
    "UserRoute",
    "UserRouter",
    "body_limit",
    "require_auth",
    "require_guest_only",
    "require_superuser_auth",
    "require_superuser_or_owner_auth",
]

log = logging.getLogger("satchel.hooks")

#: a handler or a middleware: ``fn(e)``, plain or ``async``
RouteFn = Callable[["RouteEvent"], Any]
F = TypeVar("F", bound=RouteFn)


# -- the event a route handler receives ----------------------------------------


@dataclass(slots=True)
class RouteRequestInfo:
    """``e.request_info()``: what PocketBase's ``RequestInfo`` holds (first value per key;
    header names lower-case with ``-`` as ``_``)."""

    query: dict[str, str]  # fields in PocketBase's JSON order
    headers: dict[str, str]
    body: dict[str, Any]
    auth: dict[str, Any] | None
    method: str
    context: str = "default"

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "headers": self.headers, "body": self.body, "auth": self.auth,
                "method": self.method, "context": self.context}


def _first_values(items: Iterable[tuple[str, str]], header: bool = False) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in items:
        out.setdefault(key.lower().replace("-", "_") if header else key, value)
    return out


def _encode(data: Any) -> bytes:
    def default(value: Any) -> Any:
        if isinstance(value, Record):  # PocketBase's public export: no hidden fields, no tokenKey
            return value.to_dict()
        to_dict = getattr(value, "to_dict", None)  # request infos, records
        if callable(to_dict):
            return to_dict()
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")

    return orjson.dumps(data, default=default)


class RouteEvent:
    """What a custom route's handler and middlewares receive.

    ``e.next()``, ``e.body()`` and ``e.request_info()`` are awaited in ``async``
    handlers and called plainly in plain ones (which run on a worker thread).
    """

    def __init__(self, app: Any, request: Request, auth: AuthState, chain: tuple[RouteFn, ...],
                 loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.request = request
        self.auth_state = auth
        self.response: Response | None = None
        #: headers added to whatever response the route gives
        self.response_headers: dict[str, str] = {}
        self._chain = chain
        self._index = -1
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._body: dict[str, Any] | None = None
        self._auth: Record | None = None

    @property
    def auth(self) -> Record | None:
        """The authenticated record, or ``None`` for a guest."""
        state = self.auth_state
        if self._auth is None and state.record is not None and state.collection is not None:
            self._auth = Record.from_stored(state.collection, state.record)
        return self._auth

    def has_superuser_auth(self) -> bool:
        return self.auth_state.is_superuser

    # -- running the chain -------------------------------------------------

    def _on_loop(self) -> bool:
        return threading.get_ident() == self._loop_thread

    def _dual(self, coro: Awaitable[Any]) -> Any:
        """An awaitable on the loop; the result on a worker thread (a plain handler)."""
        if self._on_loop():
            return coro
        return asyncio.run_coroutine_threadsafe(_as_coroutine(coro), self._loop).result()

    def next(self) -> Any:
        """Run the rest of the chain (``await e.next()`` in an ``async`` function)."""
        self._index += 1
        on_loop = self._on_loop()
        if self._index >= len(self._chain):
            return _done() if on_loop else None
        fn = self._chain[self._index]
        if on_loop:
            return self._call_from_loop(fn)
        if _is_async(fn):
            return asyncio.run_coroutine_threadsafe(fn(self), self._loop).result()
        return fn(self)  # a plain function calling the next plain one: same thread

    async def _call_from_loop(self, fn: RouteFn) -> Any:
        if _is_async(fn):
            return await fn(self)
        result = await asyncio.to_thread(fn, self)
        if inspect.isawaitable(result):
            result = await result
        return result

    # -- request -----------------------------------------------------------

    def body(self) -> Any:
        """The request body as a dict (JSON, multipart or urlencoded), read once."""
        return self._dual(self._read_body())

    bind_body = body

    async def _read_body(self) -> dict[str, Any]:
        if self._body is None:
            from satchel.api.request import read_body

            self._body = await read_body(self.request)
        return self._body

    def request_info(self) -> Any:
        """The body, headers, query and auth of the request (:class:`RouteRequestInfo`)."""
        return self._dual(self._request_info())

    async def _request_info(self) -> RouteRequestInfo:
        body = await self._read_body() if self.request.method not in ("GET", "HEAD") else {}
        state = self.auth_state
        auth = public_record(state.collection, state.record) if state.record and state.collection else None
        return RouteRequestInfo(
            query=_first_values(self.request.query_params.multi_items()),
            headers=_first_values(self.request.headers.items(), header=True),
            body=dict(body),
            auth=auth,
            method=self.request.method,
        )

    # -- responses (each also becomes e.response) ---------------------------

    def _answer(self, response: Response) -> Response:
        self.response = response
        return response

    def json(self, status: int, data: Any) -> Response:
        return self._answer(Response(_encode(data), status, media_type="application/json"))

    def string(self, status: int, text: str) -> Response:
        return self._answer(Response(text, status, media_type="text/plain; charset=utf-8"))

    def html(self, status: int, html: str) -> Response:
        return self._answer(Response(html, status, media_type="text/html; charset=utf-8"))

    def blob(self, status: int, content_type: str, data: bytes) -> Response:
        return self._answer(Response(data, status, media_type=content_type))

    def redirect(self, status: int, url: str) -> Response:
        if not 300 <= status <= 399:
            raise ValueError("redirect status must be 3xx")
        return self._answer(RedirectResponse(url, status))

    def no_content(self, status: int = 204) -> Response:
        return self._answer(Response(status_code=status))

    def file(self, path: str | Path, filename: str | None = None) -> Response:
        """A file from disk (ranges and HEAD handled); ``filename`` sets an attachment name."""
        if not Path(path).is_file():
            raise ApiError(404)
        return self._answer(FileResponse(path, filename=filename))


def _is_async(fn: RouteFn) -> bool:
    """A coroutine function, or an object whose ``__call__`` is one (the built-in middlewares)."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)


async def _done() -> None:
    return None


async def _as_coroutine(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


# -- PocketBase's route middlewares ---------------------------------------------


class Middleware:
    """A built-in middleware: ``check`` raises to refuse, else the chain goes on."""

    priority = 0

    async def __call__(self, e: RouteEvent) -> Any:
        self.check(e)
        return await e.next()

    def check(self, e: RouteEvent) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


_AUTH_REQUIRED = "The request requires valid record authorization token."
_NOT_ALLOWED = "The authorized record is not allowed to perform this action."


class _RequireAuth(Middleware):
    def __init__(self, collections: tuple[str, ...]) -> None:
        self.collections = collections

    def check(self, e: RouteEvent) -> None:
        c = e.auth_state.collection
        if e.auth_state.is_guest or c is None:
            raise UnauthorizedError(_AUTH_REQUIRED)
        if self.collections and c.name not in self.collections and c.id not in self.collections:
            raise ForbiddenError(_NOT_ALLOWED)


class _RequireSuperuser(Middleware):
    def check(self, e: RouteEvent) -> None:
        if e.auth_state.is_guest:
            raise UnauthorizedError(_AUTH_REQUIRED)
        if not e.auth_state.is_superuser:
            raise ForbiddenError(_NOT_ALLOWED)


class _RequireSuperuserOrOwner(Middleware):
    def __init__(self, param: str) -> None:
        self.param = param

    def check(self, e: RouteEvent) -> None:
        state = e.auth_state
        if state.record is None:
            raise UnauthorizedError("The request requires superuser or record authorization token.")
        if state.is_superuser:
            return
        owner = e.request.path_params.get(self.param)
        if not owner or owner != state.record.get("id"):
            raise ForbiddenError()


class _RequireGuestOnly(Middleware):
    def check(self, e: RouteEvent) -> None:
        if not e.auth_state.is_guest:
            raise BadRequestError("The request can be accessed only by guests.")


class BodyLimit(Middleware):
    """The largest request body the route takes, in bytes (applied while it streams in)."""

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("body limit must be positive")
        self.limit = limit

    def check(self, e: RouteEvent) -> None:
        pass  # enforced by the server's body limit, which asks the route (see UserRouter.body_limit)


def require_auth(*collections: str) -> Middleware:
    """401 for guests; 403 for an auth record outside ``collections`` (names or ids), if given."""
    return _RequireAuth(collections)


def require_superuser_auth() -> Middleware:
    return _RequireSuperuser()


def require_superuser_or_owner_auth(owner_id_param: str = "id") -> Middleware:
    """A superuser, or the auth record whose id is the path parameter ``owner_id_param``."""
    return _RequireSuperuserOrOwner(owner_id_param)


def require_guest_only() -> Middleware:
    return _RequireGuestOnly()


def body_limit(limit: int) -> Middleware:
    return BodyLimit(limit)


# -- the route table ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRoute:
    """A custom route of a hook file: its pattern, handler and middlewares."""
    pattern: Pattern
    handler: RouteFn
    middlewares: tuple[RouteFn, ...]
    #: built-in patterns more specific than this one: they win where both match
    shadowed_by: tuple[Pattern, ...] = ()
    body_limit: int | None = None
    chain: tuple[RouteFn, ...] = field(default=())


class _MethodDecorators:
    """``get``/``post``/``patch``/``put``/``delete`` decorators over ``add`` (routers and groups)."""

    def add(self, method: str, path: str, handler: RouteFn, *middlewares: RouteFn) -> UserRoute:
        raise NotImplementedError

    def _decorator(self, method: str, path: str, middlewares: tuple[RouteFn, ...]) -> Callable[[F], F]:
        def register(handler: F) -> F:
            self.add(method, path, handler, *middlewares)
            return handler

        return register

    def get(self, path: str, *middlewares: RouteFn) -> Callable[[F], F]:
        return self._decorator("GET", path, middlewares)

    def post(self, path: str, *middlewares: RouteFn) -> Callable[[F], F]:
        return self._decorator("POST", path, middlewares)

    def patch(self, path: str, *middlewares: RouteFn) -> Callable[[F], F]:
        return self._decorator("PATCH", path, middlewares)

    def put(self, path: str, *middlewares: RouteFn) -> Callable[[F], F]:
        return self._decorator("PUT", path, middlewares)

    def delete(self, path: str, *middlewares: RouteFn) -> Callable[[F], F]:
        return self._decorator("DELETE", path, middlewares)


class UserRouter(_MethodDecorators):
    """``app.router``: the custom routes; reads take a snapshot, so adding or removing
    routes (a hook reload) never disturbs a request in flight."""

    def __init__(self, builtin: Callable[[], list[Pattern]]) -> None:
        self._builtin_source = builtin
        self._builtin: list[Pattern] | None = None
        self._lock = threading.Lock()
        self.routes: tuple[UserRoute, ...] = ()
        # method -> the routes that may serve it (GET's serve HEAD, method-less ones every method)
        self._by_method: dict[str, tuple[UserRoute, ...]] = {}
        self._any_method: tuple[UserRoute, ...] = ()

    def _builtin_patterns(self) -> list[Pattern]:
        if self._builtin is None:
            self._builtin = self._builtin_source()
        return self._builtin

    def add(self, method: str, path: str, handler: RouteFn, *middlewares: RouteFn) -> UserRoute:
        """Serve ``method path`` (``method`` ``""`` or ``"*"``: any) with ``handler``."""
        pattern = parse_pattern(path, "" if method in ("", "*") else method)
        shadowed = []
        for other in self._builtin_patterns():
            rel = relation(pattern, other)
            if rel in (Relation.EQUAL, Relation.OVERLAP):
                raise PatternConflict(f'pattern "{pattern.text}" conflicts with the built-in route "{other.text}"')
            if rel is Relation.LESS:
                shadowed.append(other)
        limits = [m.limit for m in middlewares if isinstance(m, BodyLimit)]
        route = UserRoute(pattern, handler, tuple(middlewares), tuple(shadowed), limits[-1] if limits else None,
                          (*middlewares, handler))
        with self._lock:
            for existing in self.routes:
                if relation(pattern, existing.pattern) in (Relation.EQUAL, Relation.OVERLAP):
                    raise PatternConflict(f'pattern "{pattern.text}" conflicts with pattern "{existing.pattern.text}"')
            self._set_routes((*self.routes, route))
        note_undo(lambda: self.remove(route))
        return route

    def remove(self, route: UserRoute) -> None:
        with self._lock:
            self._set_routes(tuple(r for r in self.routes if r is not route))

    def _set_routes(self, routes: tuple[UserRoute, ...]) -> None:
        by_method: dict[str, list[UserRoute]] = {}
        for r in routes:
            for method in (r.pattern.method, "HEAD") if r.pattern.method == "GET" else (r.pattern.method,):
                by_method.setdefault(method, []).append(r)
        self._any_method = tuple(by_method.pop("", ()))
        self._by_method = {m: (*rs, *self._any_method) for m, rs in by_method.items()}
        self.routes = routes


    def group(self, prefix: str, *middlewares: RouteFn) -> RouteGroup:
        """Routes under ``prefix`` sharing ``middlewares`` (PocketBase's ``Router.Group``)."""
        return RouteGroup(self, prefix, middlewares)

    def match(self, method: str, path: str) -> tuple[UserRoute, dict[str, str]] | None:
        """The custom route serving ``method path``, unless a built-in one is more specific."""
        candidates = self._by_method.get(method, self._any_method)
        if not candidates or not path.startswith("/"):
            return None
        parts = path[1:].split("/")
        best: tuple[UserRoute, dict[str, str]] | None = None
        for route in candidates:
            params = route.pattern.match_parts(parts)
            if params is None:
                continue
            if best is None or relation(route.pattern, best[0].pattern) is Relation.MORE:
                best = (route, params)
        if best is None:
            return None
        if any(p.match(method, path) is not None for p in best[0].shadowed_by):
            return None
        return best

    def body_limit(self, method: str, path: str) -> int | None:
        found = self.match(method, path) if self.routes else None
        return found[0].body_limit if found is not None else None


class RouteGroup(_MethodDecorators):
    """``app.router.group("/api/blog", require_auth())``: its routes' paths start with the
    prefix and their chains with the group's middlewares (then the route's own)."""

    def __init__(self, router: UserRouter, prefix: str, middlewares: tuple[RouteFn, ...]) -> None:
        self.router = router
        self.prefix = prefix.rstrip("/")
        self.middlewares = middlewares

    def group(self, prefix: str, *middlewares: RouteFn) -> RouteGroup:
        return RouteGroup(self.router, self.prefix + prefix, (*self.middlewares, *middlewares))

    def add(self, method: str, path: str, handler: RouteFn, *middlewares: RouteFn) -> UserRoute:
        return self.router.add(method, self.prefix + path, handler, *self.middlewares, *middlewares)



# -- serving --------------------------------------------------------------------


def error_answer(scope: Scope, exc: BaseException) -> Response:
    """PocketBase's answer to what a custom route raised: its ApiError, else a 400."""
    if isinstance(exc, ApiError):
        scope[ERROR_KEY] = exc
        return error_response(exc)
    if isinstance(exc, BodyTooLarge):
        response = error_response(TooLargeError())
        response.headers["connection"] = "close"
        return response
    if isinstance(exc, ClientDisconnect):
        return error_response(BadRequestError("Failed to read the submitted data."))
    log.error("custom route %s %s failed", scope["method"], scope["path"], exc_info=exc)
    scope[ERROR_KEY] = exc
    return error_response(BadRequestError())


async def serve_route(app: App, hook_app: Any, route: UserRoute, params: Mapping[str, str],
                      scope: Scope, receive: Receive, send: Send) -> None:
    scope["path_params"] = dict(params)
    request = Request(scope, receive, send)
    try:
        if app.settings.current.rate_limits.enabled:
            from satchel.api.rate_limit import check_rate_limit  # with the first rule check

            await check_rate_limit(request, route.pattern.text)
        auth = await get_auth(request)
        e = RouteEvent(hook_app, request, auth, route.chain, asyncio.get_running_loop())
        result = await e.next()
        response = result if isinstance(result, Response) else e.response or Response(status_code=200)
        for key, value in e.response_headers.items():
            response.headers[key] = value
    except Exception as exc:
        response = error_answer(scope, exc)
    await response(scope, receive, send)


class UserRoutesFirst:
    """In front of the built-in router: a request a custom route serves goes to it."""

    def __init__(self, router: Callable[[Scope, Receive, Send], Awaitable[None]], app: App) -> None:
        self._router = router
        self._app = app
        self._user = app.user_router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = self._user
        if user.routes and scope["type"] == "http":  # one attribute test while there are none
            found = user.match(scope["method"], scope["path"])
            if found is not None:
                await serve_route(self._app, self._app.hook_app, found[0], found[1], scope, receive, send)
                return
        await self._router(scope, receive, send)

