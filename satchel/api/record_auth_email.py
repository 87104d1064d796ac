"""Verification, password reset and email change (request + confirm), spec 10 §5."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.hook_request import around_hook
from satchel.api.record_auth import (
    LOAD_FAILED,
    SUPERUSERS,
    VALIDATION_FAILED,
    _email_errors,
    _length_error,
    auth_collection,
)
from satchel.api.request import endpoint, get_app, read_body, require_auth
from satchel.api.responses import no_content
from satchel.core.auth.hook_events import RecordConfirmEmailChangeRequestEvent
from satchel.core.auth.record_tokens import (
    email_change_token,
    find_record_by_token,
    password_reset_token,
    verification_token,
)
from satchel.core.auth.rows import update_auth_record
from satchel.core.auth.tokens import TokenError, unverified_claims
from satchel.core.collections.model import Collection
from satchel.core.leader import on_leader
from satchel.core.mail.sender import MailError, get_mailer, send_template
from satchel.core.records.hook_events import RecordRequestEvent
from satchel.core.records.model import Record
from satchel.core.records.rows import check_password
from satchel.errors import ApiError, BadRequestError, ForbiddenError, ValidationError
from satchel.tools.security import random_string

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "confirm_email_change",
    "confirm_password_reset",
    "confirm_verification",
    "recently_sent",
    "recently_sent_here",
    "request_email_change",
    "request_password_reset",
    "request_verification",
]

RESEND_INTERVAL = 120.0
RECENTLY_SENT = "mail.recently_sent"
INSTALLER_EMAIL = "__pbinstaller@example.com"


async def recently_sent(app: App, kind: str, record_id: str) -> bool:
    """At most one mail of a kind per record every 2 minutes (kept in memory, by worker 0
    among workers; the legacy ``/api/admins`` reset shares it, so alternating routes sends
    no more)."""
    return bool(await on_leader(app, RECENTLY_SENT, recently_sent_here, {"kind": kind, "id": record_id}))


def recently_sent_here(app: App, payload: Mapping[str, Any]) -> bool:
    kind, record_id = str(payload.get("kind", "")), str(payload.get("id", ""))
    sent: dict[str, float] = app.state.setdefault("auth_mail_sent", {})
    key = f"{kind}:{record_id}"
    now = time.monotonic()
    if now - sent.get(key, -RESEND_INTERVAL) < RESEND_INTERVAL:
        return True
    sent[key] = now
    return False


def _claims(token: str) -> dict[str, Any]:
    try:
        return unverified_claims(token)
    except TokenError:
        return {}


def _token_error(code: str, message: str) -> ApiError:
    return ApiError(400, VALIDATION_FAILED, {"token": ValidationError(code, message)})


INVALID_TOKEN = ("validation_invalid_token", "Invalid or expired token.")
COLLECTION_MISMATCH = ("validation_token_collection_mismatch", "The provided token is for different auth collection.")


def _required(body: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {
        key: ValidationError("validation_required", "Cannot be blank.")
        for key in keys
        if not isinstance(body.get(key), str) or not body.get(key)
    }


# -- verification -----------------------------------------------------------------------


@endpoint
async def request_verification(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    if c.name == SUPERUSERS:
        raise BadRequestError("All superusers are verified by default.")
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _email_errors(body)
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    email = str(body["email"])

    async def work() -> None:
        record = await app.records.find_by_field(c, "email", email)
        if record is not None and not record.get("verified") and not await recently_sent(app, "verification", record["id"]):
            token = verification_token(c, record)
            message = send_template(app, c, record, "verificationTemplate", str(record["email"]), {"{TOKEN}": token})
            get_mailer(app).send_background(message)

    get_mailer(app).later(work, "verification mail")  # same answer, same time, account or not
    return no_content()


@endpoint
async def confirm_verification(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    if c.name == SUPERUSERS:
        raise BadRequestError("All superusers are verified by default.")
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _required(body, "token")
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    token = str(body["token"])
    email = str(_claims(token).get("email") or "")
    if not email:
        raise _token_error("validation_invalid_token_claims", "Missing email token claim.")
    owner = await find_record_by_token(app, token, "verification")
    if owner is None:
        raise _token_error(*INVALID_TOKEN)
    if owner.collection.id != c.id:
        raise _token_error(*COLLECTION_MISMATCH)
    if str(owner.record.get("email") or "").lower() != email.lower():
        raise _token_error("validation_token_email_mismatch", "The verification email is different from the one in the token.")
    record = owner.record

    async def verify(e: RecordRequestEvent | None) -> Response:
        if not record.get("verified"):
            password_enabled = bool((c.options.get("passwordAuth") or {}).get("enabled"))
            password = None if password_enabled else random_string(30)
            await app.db.write(lambda tx: update_auth_record(app, tx, c, record, {"verified": True}, password=password))
        return no_content()

    return await around_hook(request, "on_record_confirm_verification_request", RecordRequestEvent, verify, body,
                             collection=c, record=Record.from_stored(c, record))  # fmt: skip


# -- password reset ----------------------------------------------------------------------


def _require_password_auth(c: Collection) -> None:
    if not (c.options.get("passwordAuth") or {}).get("enabled"):
        raise BadRequestError("The collection is not configured to allow password authentication.")


@endpoint
async def request_password_reset(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    _require_password_auth(c)
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _email_errors(body)
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    email = str(body["email"])

    async def work() -> None:
        record = await app.records.find_by_field(c, "email", email)
        if (
            record is not None
            and not (c.name == SUPERUSERS and email == INSTALLER_EMAIL)
            and not await recently_sent(app, "passwordReset", record["id"])
        ):
            token = password_reset_token(c, record)
            message = send_template(app, c, record, "resetPasswordTemplate", email, {"{TOKEN}": token})
            get_mailer(app).send_background(message)

    get_mailer(app).later(work, "password reset mail")  # same answer, same time, account or not
    return no_content()


def _password_min(c: Collection) -> int:
    f = c.field("password")
    return int(getattr(f, "min", 0) or 8) if f is not None else 8


@endpoint
async def confirm_password_reset(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _required(body, "token", "password", "passwordConfirm")
    token, password = str(body.get("token") or ""), str(body.get("password") or "")
    owner = None
    if "token" not in errors:
        owner = await find_record_by_token(app, token, "passwordReset")
        if owner is None:
            errors["token"] = ValidationError(*INVALID_TOKEN)
        elif owner.collection.id != c.id:
            errors["token"] = ValidationError(*COLLECTION_MISMATCH)
    lo = _password_min(c)
    if "password" not in errors and not lo <= len(password) <= 255:
        errors["password"] = _length_error(lo, 255)
    elif "password" not in errors and len(password.encode()) > 71:
        errors["password"] = ValidationError("validation_length_too_long", "Must be less than 72 bytes.")
    if "passwordConfirm" not in errors and body.get("passwordConfirm") != password:
        errors["passwordConfirm"] = ValidationError("validation_values_mismatch", "Values don't match.")
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    assert owner is not None
    record = owner.record
    changes: dict[str, Any] = {}
    if not record.get("verified") and owner.claims.get("email") == record.get("email"):
        changes["verified"] = True

    async def reset(e: RecordRequestEvent | None) -> Response:
        await app.db.write(lambda tx: update_auth_record(app, tx, c, record, changes, password=password))
        return no_content()

    return await around_hook(request, "on_record_confirm_password_reset_request", RecordRequestEvent, reset, body,
                             collection=c, record=Record.from_stored(c, record))  # fmt: skip


# -- email change ---------------------------------------------------------------------------


@endpoint
async def request_email_change(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    auth = await require_auth(request)
    assert auth.collection is not None and auth.record is not None
    if auth.collection.id != c.id:
        raise ForbiddenError(f"The request requires auth record from {auth.collection.name} collection.")
    if c.name == SUPERUSERS:
        raise BadRequestError("All superusers can change their emails directly.")
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _email_errors(body, "newEmail")
    new_email = str(body.get("newEmail") or "")
    if not errors:
        if new_email == auth.record.get("email"):
            errors["newEmail"] = ValidationError("validation_not_in_invalid", "Must not be in list.")
        elif await app.records.find_by_field(c, "email", new_email) is not None:
            errors["newEmail"] = ValidationError("validation_invalid_new_email", "Invalid new email address.")
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    token = email_change_token(c, auth.record, new_email)
    message = send_template(app, c, auth.record, "confirmEmailChangeTemplate", new_email, {"{TOKEN}": token})
    try:
        await get_mailer(app).send(message)
    except MailError as exc:
        raise BadRequestError("Failed to request email change.") from exc
    return no_content()


@endpoint
async def confirm_email_change(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    if c.name == SUPERUSERS:
        raise BadRequestError("All superusers can change their emails directly.")
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _required(body, "token", "password")
    token, password = str(body.get("token") or ""), str(body.get("password") or "")
    owner = None
    if "token" not in errors:
        new_email = str(_claims(token).get("newEmail") or "")
        if not new_email:
            errors["token"] = ValidationError("validation_invalid_token_payload", "Invalid token payload - newEmail must be set.")
        elif await app.records.find_by_field(c, "email", new_email) is not None:
            errors["token"] = ValidationError(
                "validation_invalid_token_email", f"The new email address is already registered: {new_email}"
            )
        else:
            owner = await find_record_by_token(app, token, "emailChange")
            if owner is None:
                errors["token"] = ValidationError(*INVALID_TOKEN)
            elif owner.collection.id != c.id:
                errors["token"] = ValidationError(*COLLECTION_MISMATCH)
    if "password" not in errors and owner is not None:
        hashed = str(owner.record.get("password") or "") or None
        if not await asyncio.to_thread(check_password, password, hashed):
            errors["password"] = ValidationError("validation_invalid_password", "Missing or invalid auth record password.")
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    assert owner is not None
    record = owner.record

    async def change(e: RecordConfirmEmailChangeRequestEvent | None) -> Response:
        new_email = e.new_email if e is not None else str(owner.claims["newEmail"])
        await app.db.write(lambda tx: update_auth_record(app, tx, c, record, {"email": new_email, "verified": True}))
        return no_content()

    return await around_hook(request, "on_record_confirm_email_change_request", RecordConfirmEmailChangeRequestEvent,
                             change, body, collection=c, record=Record.from_stored(c, record),
                             new_email=str(owner.claims["newEmail"]))  # fmt: skip
