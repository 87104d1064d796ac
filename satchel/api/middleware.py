"""One pure-ASGI middleware for what every response carries: security headers,
CORS (PocketBase's defaults) and the request body limit.

Pure ASGI rather than ``BaseHTTPMiddleware``: it adds no task or queue per
request, which matters on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from satchel.api.responses import error_response
from satchel.config import DEFAULT_BODY_LIMIT
from satchel.errors import TooLargeError

__all__ = ["ERROR_BODY_KEY", "MAX_ERROR_BODY", "STATUS_KEY", "BodyTooLarge", "SatchelMiddleware", "keep_error_body"]

#: scope keys of the response's status and (for a failure) the start of its body, noted
#: as they pass here for the request log, which then needs no ``send`` wrapper of its own
STATUS_KEY = "satchel.status"
ERROR_BODY_KEY = "satchel.error_body"
MAX_ERROR_BODY = 65536

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"vary", b"Origin"),
]
ALLOW_METHODS = b"GET,HEAD,PUT,PATCH,POST,DELETE"


class BodyTooLarge(Exception):
    """Raised from ``receive`` when the body passes the limit while streaming."""


def keep_error_body(scope: Scope, message: Message) -> None:
    """Add a failed response's body message to :data:`ERROR_BODY_KEY` (its first 64 KiB)."""
    kept = scope.get(ERROR_BODY_KEY)
    if kept is None:
        kept = scope[ERROR_BODY_KEY] = bytearray()
    if len(kept) < MAX_ERROR_BODY:
        kept.extend(message.get("body", b""))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class SatchelMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        origins: Sequence[str] = ("*",),
        body_limit: int = DEFAULT_BODY_LIMIT,
        limit_for: Callable[[str, str], int | None] | None = None,
    ) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = {o.encode() for o in origins}
        self.body_limit = body_limit
        # (method, path) -> a route's own body limit (record writes, batch), or None
        self.limit_for = limit_for

    def _allowed_origin(self, origin: bytes | None) -> bytes | None:
        if origin is None:
            return None
        if self.any_origin:
            return b"*"
        return origin if origin in self.origins else None

    def added_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        """The headers :meth:`__call__` adds, for a stream served ahead of it (the SSE one)."""
        headers = list(SECURITY_HEADERS)
        origin = self._allowed_origin(_header(scope, b"origin"))
        if origin is not None:
            headers.append((b"access-control-allow-origin", origin))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = self._allowed_origin(_header(scope, b"origin"))
        method = scope["method"]
        if method == "OPTIONS":
            preflight = _header(scope, b"access-control-request-method") is not None
            await self._preflight(scope, origin if preflight else None, send, full=preflight)
            return

        limit = self.body_limit
        if self.limit_for is not None and method in ("POST", "PATCH", "PUT"):
            limit = self.limit_for(method, scope["path"]) or limit
        is_files = scope["path"].startswith("/api/files/")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = scope[STATUS_KEY] = message["status"]
                headers = list(message.get("headers", []))
                # a served file may be embedded (PocketBase drops the header once the file
                # is found: its JSON errors keep it)
                embeddable = is_files and (b"content-type", b"application/json") not in headers
                for key, value in SECURITY_HEADERS:
                    if embeddable and key == b"x-frame-options":
                        continue
                    headers.append((key, value))
                if origin is not None:
                    headers.append((b"access-control-allow-origin", origin))
                message = {**message, "headers": headers}
            elif status >= 400:
                keep_error_body(scope, message)
            await send(message)

        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            response = error_response(TooLargeError())
            response.headers["connection"] = "close"
            await response(scope, receive, send_with_headers)
            return

        await self.app(scope, limited_receive, send_with_headers)

    async def _preflight(self, scope: Scope, origin: bytes | None, send: Send, *, full: bool) -> None:
        """Every OPTIONS is answered here with 204, CORS headers for real preflights."""
        headers: list[tuple[bytes, bytes]] = []
        if origin is not None:
            requested = _header(scope, b"access-control-request-headers")
            if requested:
                headers.append((b"access-control-allow-headers", requested))
            headers.append((b"access-control-allow-methods", ALLOW_METHODS))
            headers.append((b"access-control-allow-origin", origin))
        headers.append((b"vary", b"Origin"))
        if full:
            headers.append((b"vary", b"Access-Control-Request-Method"))
            headers.append((b"vary", b"Access-Control-Request-Headers"))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
