"""Every HTTP request into ``_logs`` as PocketBase's request logger does (spec 12 §3).

A pure-ASGI wrapper around the middleware stack: it times the request and reads what
the stack noted in the scope -- the status and a failure's body
(:data:`~satchel.api.middleware.STATUS_KEY`, ``ERROR_BODY_KEY``, set by
:class:`~satchel.api.middleware.SatchelMiddleware` as the response passes, so no
``send`` wrapper of its own) and the exception the handler raised (:data:`ERROR_KEY`,
set by :func:`satchel.api.request.endpoint`) -- then queues raw facts; formatting and
the write happen on the log writer's thread.  Not logged, as in PocketBase: CORS
preflights, and on success ``/api/logs*``, ``/api/oauth2-redirect`` and everything
outside ``/api/`` (static files, the dashboard).
"""

from __future__ import annotations

from time import perf_counter_ns, time
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from satchel.api.middleware import ERROR_BODY_KEY, STATUS_KEY
from satchel.api.request import ERROR_KEY, AuthState, get_auth
from satchel.core.logs import ERROR, INFO, error_details

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["RequestLogMiddleware"]

INTERNAL_ERROR = "Something went wrong while processing your request."


def _error_message(body: bytes) -> str:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    message = parsed.get("message") if isinstance(parsed, dict) else None
    return message if isinstance(message, str) else ""


#: the first 9 characters of the paths whose successful requests are logged (all that
#: ``/api/`` and ``/api/logs`` need to be told apart): few, those of the API's routes
_LOGGED_HEADS: set[str] = set()


def _logged_head(head: str) -> bool:
    """Whether the successful requests of paths starting with ``head`` are logged,
    noted in :data:`_LOGGED_HEADS` when they are."""
    if not head.startswith("/api/") or head.startswith("/api/logs"):
        return False
    if len(_LOGGED_HEADS) >= 256:  # bounded whatever paths clients send
        _LOGGED_HEADS.clear()
    _LOGGED_HEADS.add(head)
    return True


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, satchel: App) -> None:
        self.app = app
        self.satchel = satchel
        self._settings = satchel.settings  # the service: its ``current`` changes, not itself
        self._writer = satchel.logs.writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service = self._settings
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or (
            service.current.logs.max_days <= 0 and scope["path"] != "/api/settings"
        ):  # logs off: nothing to note, unless this request may turn them on (and is then logged)
            await self.app(scope, receive, send)
            return
        start = perf_counter_ns()
        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # the server answers 500; log it as one (a cancel is not logged)
            scope.setdefault(ERROR_KEY, exc)
            status = scope.get(STATUS_KEY, 0)
            await self._note_failure(scope, status if status >= 400 else 500, perf_counter_ns() - start)
            raise
        exec_ns = perf_counter_ns() - start
        status = scope.get(STATUS_KEY, 0)  # noted by the app's middleware as the response started
        if status >= 400:
            await self._note_failure(scope, status, exec_ns)
            return
        settings = service.current  # as the request ended: it may have changed them
        config = settings.logs
        path = scope["path"]
        head = path[:9]  # all that decides but for one path: a set lookup, not two startswith (~2 k instructions)
        if (config.max_days <= 0 or config.min_level > INFO or path == "/api/oauth2-redirect"
                or (head not in _LOGGED_HEADS and not _logged_head(head))):
            return
        # the raw facts, nothing formatted (the writer thread's work): RequestFacts
        state = scope.get("state")
        auth: AuthState | None = state.get("auth") if state else None
        if auth is None:
            auth = await self._unchecked_auth(scope)
        record = auth.record
        self._writer.add((
            scope["method"], scope.get("raw_path") or path.encode(), scope.get("query_string"), status, exec_ns,
            scope.get("client"), scope["headers"], settings,
            auth.collection.name if auth.collection is not None else "",
            str(record.get("id", "")) if record is not None else "", None, None, time(),
        ))

    async def _note_failure(self, scope: Scope, status: int, exec_ns: int) -> None:
        """Queue a failed request (any path), with the error message of its body and the
        details of the exception its handler raised."""
        settings = self._settings.current
        config = settings.logs
        if config.max_days <= 0 or config.min_level > ERROR:
            return
        state = scope.get("state")
        auth: AuthState | None = state.get("auth") if state else None
        if auth is None:
            auth = await self._unchecked_auth(scope)
        cause = scope.get(ERROR_KEY)
        body = scope.get(ERROR_BODY_KEY)
        error = (_error_message(bytes(body)) if body else "") or INTERNAL_ERROR
        record = auth.record
        self._writer.add((
            scope["method"], scope.get("raw_path") or scope["path"].encode(), scope.get("query_string"), status,
            exec_ns, scope.get("client"), scope["headers"], settings,
            auth.collection.name if auth.collection is not None else "",
            str(record.get("id", "")) if record is not None else "",
            error, error_details(cause) if cause is not None else None, time(),
        ))

    @staticmethod
    async def _unchecked_auth(scope: Scope) -> AuthState:
        """A token the handler never looked at is checked here, as PocketBase loads it
        for every request."""
        if not any(key == b"authorization" for key, _ in scope["headers"]):
            return AuthState()
        try:
            return await get_auth(Request(scope))
        except Exception:  # a broken token is a guest, as for the handler
            return AuthState()
