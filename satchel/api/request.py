"""Per-request helpers: the App, the auth record, body parsing, and guards.

Handlers are plain ``async def handler(request) -> Response`` functions wrapped
by :func:`endpoint`, which turns every exception into PocketBase's error shape
in one place.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message, Receive

from satchel.api.middleware import BodyTooLarge
from satchel.api.responses import error_response
from satchel.core.auth.legacy_admin import admin_claims, admin_key
from satchel.core.auth.tokens import TokenError, read_unverified, verify
from satchel.core.collections.model import Collection
from satchel.errors import ApiError, BadRequestError, ForbiddenError, TooLargeError, UnauthorizedError
from satchel.store.errors import WriteFailed

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "ERROR_KEY",
    "AuthState",
    "endpoint",
    "get_app",
    "get_auth",
    "is_form",
    "parse_form",
    "read_body",
    "require_auth",
    "require_superuser",
]

log = logging.getLogger("satchel.api")
Handler = Callable[[Request], Awaitable[Response]]
SUPERUSERS = "_superusers"
#: scope key of the exception a handler ended with (read by the request log)
ERROR_KEY = "satchel.error"
_NUMBER_RE = re.compile(r"^-?(0|[1-9]\d*)(\.\d*[1-9])?$")


@dataclass(frozen=True, slots=True)
class AuthState:
    """Who is calling: an auth record of an auth collection, or a guest."""

    record: dict[str, Any] | None = None
    collection: Collection | None = None
    token_claims: dict[str, Any] | None = None
    # a superuser who came with a PocketBase 0.22 admin token (SDK 0.21, the guide)
    legacy_admin: bool = False

    @property
    def is_guest(self) -> bool:
        return self.record is None

    @property
    def is_superuser(self) -> bool:
        return self.collection is not None and self.collection.name == SUPERUSERS


GUEST = AuthState()


def get_app(request: Request) -> App:
    app: App = request.app.state.satchel
    return app


def endpoint(handler: Handler) -> Handler:
    """Convert ApiError and unexpected exceptions into the JSON error body."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            request.scope[ERROR_KEY] = exc  # the request log's "details"
            return error_response(exc)
        except BodyTooLarge:
            response = error_response(TooLargeError())
            response.headers["connection"] = "close"
            return response
        except ClientDisconnect:  # the client left (or was dropped by the read timeout) mid-body
            return error_response(BadRequestError("Failed to read the submitted data."))
        except WriteFailed as exc:
            # rolled back by the store (uploads removed); PocketBase's answer to a failed write
            log.error("write rolled back in %s %s: %s", request.method, request.url.path, exc)
            return error_response(BadRequestError())
        except Exception as exc:
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            request.scope[ERROR_KEY] = exc
            return error_response(ApiError(500))

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


# -- auth --------------------------------------------------------------------


def _token_from_header(value: str) -> str:
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value


async def get_auth(request: Request) -> AuthState:
    """The auth record of the ``Authorization`` token; a guest on any problem."""
    cached: AuthState | None = getattr(request.state, "auth", None)
    if cached is not None:
        return cached
    state = GUEST
    header = request.headers.get("authorization")
    if header:
        state = await authenticate_token(get_app(request), _token_from_header(header), ("auth",))
    request.state.auth = state
    return state


async def authenticate_token(app: App, token: str, types: tuple[str, ...]) -> AuthState:
    """Check a token against its record's tokenKey and its collection's secret."""
    if not token:
        return GUEST
    try:
        parsed = read_unverified(token)
    except TokenError:
        return await _legacy_admin(app, token, types)
    claims = parsed.claims
    token_type = claims["type"]
    if token_type not in types:
        return GUEST
    collection = app.registry.by_id(claims["collectionId"])
    if collection is None or not collection.is_auth:
        return GUEST
    option = {"auth": "authToken", "file": "fileToken"}.get(token_type, token_type + "Token")
    secret = str((collection.options.get(option) or {}).get("secret") or "")
    # a primary-key lookup: on the loop thread for SQLite (cheaper than a hop), pooled for PostgreSQL
    record = await app.db.read_small(lambda conn: app.records.find_by_field_sync(conn, collection, "id", claims["id"]))
    if record is None or not secret or not parsed.signed_with(str(record.get("tokenKey", "")) + secret):
        return GUEST
    return AuthState(record=record, collection=collection, token_claims=claims)


async def _legacy_admin(app: App, token: str, types: tuple[str, ...]) -> AuthState:
    """A superuser from a 0.22 admin token: its auth form where ``auth`` tokens are
    accepted, its file form where ``file`` tokens are (told apart by the secret)."""
    kind = "auth" if "auth" in types else "file" if "file" in types else ""
    collection = app.registry.get(SUPERUSERS)
    if not kind or collection is None:
        return GUEST
    try:
        claims = admin_claims(token)
    except TokenError:
        return GUEST
    record = await app.db.read_small(lambda conn: app.records.find_by_field_sync(conn, collection, "id", claims["id"]))
    key = admin_key(collection, record, kind) if record is not None else ""
    if record is None or not key:
        return GUEST
    try:
        verify(token, key)
    except TokenError:
        return GUEST
    return AuthState(record=record, collection=collection, token_claims=claims, legacy_admin=True)


async def require_auth(request: Request) -> AuthState:
    auth = await get_auth(request)
    if auth.is_guest:
        raise UnauthorizedError("The request requires valid record authorization token.")
    return auth


async def require_superuser(request: Request) -> AuthState:
    auth = await require_auth(request)
    if not auth.is_superuser:
        raise ForbiddenError("The authorized record is not allowed to perform this action.")
    return auth


# -- bodies --------------------------------------------------------------------


def infer_form_value(value: str) -> Any:
    """PocketBase's form value inference: booleans and minimal decimal numbers."""
    if value == "true":
        return True
    if value == "false":
        return False
    if value and _NUMBER_RE.match(value):
        number = float(value)
        return int(number) if number.is_integer() and "." not in value else number
    return value


def is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_body(request: Request, *, invalid_message: str = "", infer: bool = True) -> dict[str, Any]:
    """The request body as a dict from JSON, multipart or urlencoded input.

    ``infer`` types form values like PocketBase does for record bodies; endpoints
    that bind a form to a struct of strings (auth forms) pass False.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(invalid_message) from exc
        if not isinstance(data, dict):
            raise BadRequestError(invalid_message)
        return data
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _read_form(request, invalid_message, infer)
    if not content_type:
        raw = await request.body()
        if not raw.strip():
            return {}
    raise BadRequestError(invalid_message or "Unsupported Content-Type.")


class _BodyTail:
    """Keeps the last bytes of a streamed body: python-multipart accepts a body cut
    before its closing boundary, Go's reader (PocketBase) rejects it."""

    def __init__(self, receive: Receive, keep: int) -> None:
        self._receive = receive
        self.keep = keep
        self.tail = b""

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.tail = (self.tail + message.get("body", b""))[-self.keep :]
        return message


def _multipart_boundary(request: Request) -> bytes | None:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "boundary":
            return value.strip().strip('"').encode("latin-1", errors="replace")
    return None


async def parse_form(request: Request, invalid_message: str) -> FormData:
    """The multipart/urlencoded form, or ``BadRequestError(invalid_message)`` for any body
    Go's reader refuses (no boundary, garbage, a cut before the closing boundary)."""
    boundary = _multipart_boundary(request)
    tail = _BodyTail(request.receive, len(boundary or b"") + 8)
    try:
        form = await Request(request.scope, tail.receive).form(max_files=10000, max_fields=10000)
    except BodyTooLarge:
        raise
    except Exception as exc:
        raise BadRequestError(invalid_message) from exc
    if boundary and not tail.tail.rstrip(b"\r\n\t ").endswith(b"--" + boundary + b"--"):
        await form.close()
        raise BadRequestError(invalid_message)
    return form


async def _read_form(request: Request, invalid_message: str, infer: bool = True) -> dict[str, Any]:
    form = await parse_form(request, invalid_message)
    data: dict[str, Any] = {}
    files: dict[str, list[UploadFile]] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            files.setdefault(key, []).append(value)
            continue
        if key == "@jsonPayload":
            continue
        inferred = infer_form_value(value) if infer else value
        if key in data:
            current = data[key]
            data[key] = [*current, inferred] if isinstance(current, list) else [current, inferred]
        else:
            data[key] = inferred
    for payload in form.getlist("@jsonPayload"):
        if isinstance(payload, str) and payload.strip():
            try:
                extra = orjson.loads(payload)
            except orjson.JSONDecodeError as exc:
                raise BadRequestError(invalid_message) from exc
            if isinstance(extra, dict):
                data.update(extra)
    if files:
        request.state.files = files
    return data
