"""Anonymous auth, a Satchel extension PocketBase lacks (spec 14 §7).

``POST /api/collections/{c}/auth-anonymously`` creates a fresh anonymous record
and answers the standard auth response; ``POST /api/collections/{c}/anonymous-upgrade``
attaches an email and a password to it, keeping its id.  Both need the
collection option ``anonymousAuth.enabled``; the rules live in
:mod:`satchel.core.auth.anonymous`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.record_auth import LOAD_FAILED, VALIDATION_FAILED, auth_collection, client_ip, finish_auth
from satchel.api.request import endpoint, get_app, read_body, require_auth
from satchel.core.auth import anonymous
from satchel.core.auth.rows import delete_row
from satchel.core.leader import on_leader
from satchel.errors import ApiError, ForbiddenError, ValidationError

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["anonymous_upgrade", "auth_anonymously"]

SIGNUP_FAILED = "Failed to create the anonymous record: the collection has required fields it can't fill."


SIGNUP = "anonymous.signup"


def signup_allowed_here(app: App, payload: Mapping[str, Any]) -> bool:
    """The sign-up limiter's count (kept by worker 0 among workers)."""
    return anonymous.signup_limiter(app).allow(str(payload.get("ip", "")))


@endpoint
async def auth_anonymously(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    if not anonymous.anonymous_enabled(c):
        raise ForbiddenError(anonymous.NOT_ENABLED)
    if not await on_leader(app, SIGNUP, signup_allowed_here, {"ip": client_ip(request)}):
        raise ApiError(429, "Too Many Requests.")
    errors = anonymous.required_field_errors(c, {})
    if errors:
        raise ApiError(400, SIGNUP_FAILED, errors)
    values = await asyncio.to_thread(anonymous.new_anonymous_values, app, c)
    record = await app.db.write(lambda tx: anonymous.insert_anonymous_record(app, tx, c, values))
    try:
        # no MFA (a new record has no second factor) and no origin/alert tracking
        return await finish_auth(request, c, record, "")
    except ApiError:
        # e.g. an authRule the fresh record doesn't satisfy: leave no orphan behind
        await app.db.write(lambda tx: delete_row(app, tx, c, record))
        raise


@endpoint
async def anonymous_upgrade(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    auth = await require_auth(request)
    assert auth.record is not None and auth.collection is not None
    if auth.collection.id != c.id:
        raise ForbiddenError(f"The request requires auth record from {c.name} collection.")
    if not anonymous.anonymous_enabled(c):
        raise ForbiddenError(anonymous.NOT_ENABLED)
    record = auth.record
    if not await app.db.read(lambda conn: anonymous.is_anonymous_sync(app, conn, c, record)):
        raise ForbiddenError(anonymous.NOT_ANONYMOUS)
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = anonymous.upgrade_errors(c, body)
    email, password = str(body.get("email") or ""), str(body.get("password") or "")
    if not errors and await app.records.find_by_field(c, "email", email) is not None:
        errors["email"] = ValidationError("validation_not_unique", "Value must be unique.")
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    password_hash = await asyncio.to_thread(anonymous.hash_for, c, password)
    try:
        updated = await app.db.write(
            lambda tx: anonymous.upgrade_record(app, tx, c, str(record["id"]), email, password_hash)
        )
    except ApiError as exc:
        if exc.status != 400:
            raise
        raise ApiError(400, VALIDATION_FAILED, exc.data) from exc  # a concurrent sign-up took the email
    return await finish_auth(request, c, updated, "")
