"""The legacy v0.22 admin API (spec 11 Part B) backed by ``_superusers`` records.

These routes issue the old ``type:"admin"`` token (claims ``{exp, id, type}``,
see :mod:`satchel.core.auth.legacy_admin`), which every superuser route accepts
too, so SDK 0.21's ``pb.admins.*`` and ``authStore.isAdmin`` work while SDK 0.28
keeps using ``/api/collections/_superusers/...``.  Errors use the v0.22 body
``{"code","message","data"}``.  List supports page/perPage/skipTotal (filter and
sort are not applied).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from satchel.api.legacy_errors import LegacyRoute, legacy_error
from satchel.api.middleware import BodyTooLarge
from satchel.api.record_auth_email import recently_sent
from satchel.api.request import get_app, get_auth, read_body
from satchel.core.auth.legacy_admin import admin_token
from satchel.core.auth.record_tokens import find_record_by_token, password_reset_token
from satchel.core.auth.rows import delete_row, update_auth_record
from satchel.core.collections.model import Collection
from satchel.core.mail.sender import get_mailer, send_template
from satchel.core.records.rows import check_password, row_to_record
from satchel.errors import (
    ApiError,
    TooLargeError,
    ValidationError,
)
from satchel.tools.search import parse_list_params

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["SUPERUSERS", "LegacyRoute", "legacy_error"]

log = logging.getLogger("satchel.api")
SUPERUSERS = "_superusers"
ADMIN_MIN_PASSWORD, ADMIN_MAX_PASSWORD = 10, 72


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


Handler = Callable[[Request], Awaitable[Response]]


def legacy_endpoint(handler: Handler) -> Handler:
    """:func:`satchel.api.request.endpoint` with the v0.22 error body."""

    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as exc:
            return legacy_error(exc)
        except BodyTooLarge:
            response = legacy_error(TooLargeError())
            response.headers["connection"] = "close"
            return response
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.url.path)
            return legacy_error(ApiError(500))

    wrapped.__name__ = handler.__name__
    return wrapped


def _superusers(app: App) -> Collection:
    c = app.registry.get(SUPERUSERS)
    assert c is not None
    return c


def admin_json(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "created": record.get("created", ""), "updated": record.get("updated", ""),
            "avatar": 0, "email": record.get("email", "")}


async def current_admin(request: Request) -> dict[str, Any] | None:
    """A superuser from a legacy ``admin`` token or a v0.40 superuser ``auth`` token."""
    state = await get_auth(request)
    return state.record if state.is_superuser else None


async def _require_admin(request: Request) -> dict[str, Any]:
    admin = await current_admin(request)
    if admin is None:
        raise ApiError(401, "The request requires valid admin authorization token to be set.")
    return admin


# -- auth ------------------------------------------------------------------------------------


@legacy_endpoint
async def auth_with_password(request: Request) -> Response:
    app = get_app(request)
    c = _superusers(app)
    body = await read_body(request, invalid_message="Failed to load the submitted data due to invalid formatting.",
                           infer=False)
    errors = {k: ValidationError("validation_required", "Cannot be blank.")
              for k in ("identity", "password") if not isinstance(body.get(k), str) or not body.get(k)}
    if errors:
        raise ApiError(400, "Failed to authenticate.", errors)
    record = await app.records.find_by_field(c, "email", str(body["identity"]))
    hashed = str(record.get("password") or "") if record else None
    ok = await asyncio.to_thread(check_password, str(body["password"]), hashed or None)
    if record is None or not ok:
        raise ApiError(400, "Failed to authenticate.")
    return _json({"admin": admin_json(record), "token": admin_token(c, record)})


@legacy_endpoint
async def auth_refresh(request: Request) -> Response:
    admin = await _require_admin(request)
    c = _superusers(get_app(request))
    return _json({"admin": admin_json(admin), "token": admin_token(c, admin)})


@legacy_endpoint
async def request_password_reset(request: Request) -> Response:
    app = get_app(request)
    c = _superusers(app)
    body = await read_body(request, infer=False)
    email = str(body.get("email") or "")
    if not email:
        raise ApiError(400, "An error occurred while validating the submitted data.",
                       {"email": ValidationError("validation_required", "Cannot be blank.")})

    async def work() -> None:
        record = await app.records.find_by_field(c, "email", email)
        # the v0.40 route's two-minute resend guard, with the same memory
        if record is not None and email != "__pbinstaller@example.com" and not await recently_sent(app, "passwordReset", record["id"]):
            token = password_reset_token(c, record)
            message = send_template(app, c, record, "resetPasswordTemplate", email, {"{TOKEN}": token})
            get_mailer(app).send_background(message)

    get_mailer(app).later(work, "password reset mail")  # same answer, same time, admin or not
    return Response(status_code=204)


def _password_errors(body: Mapping[str, Any], required: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    password = body.get("password")
    if password in (None, ""):
        if required:
            errors["password"] = ValidationError("validation_required", "Cannot be blank.")
        return errors
    if not isinstance(password, str) or not ADMIN_MIN_PASSWORD <= len(password) <= ADMIN_MAX_PASSWORD:
        errors["password"] = ValidationError(
            "validation_length_out_of_range", f"The length must be between {ADMIN_MIN_PASSWORD} and {ADMIN_MAX_PASSWORD}.",
            {"max": ADMIN_MAX_PASSWORD, "min": ADMIN_MIN_PASSWORD})
    if body.get("passwordConfirm") != password:
        errors["passwordConfirm"] = ValidationError("validation_values_mismatch", "Values don't match.")
    return errors


@legacy_endpoint
async def confirm_password_reset(request: Request) -> Response:
    app = get_app(request)
    c = _superusers(app)
    body = await read_body(request, infer=False)
    errors = _password_errors(body, required=True)
    owner = await find_record_by_token(app, str(body.get("token") or ""), "passwordReset")
    if owner is None or owner.collection.id != c.id:
        errors["token"] = ValidationError("validation_invalid_token", "Invalid or expired token.")
    if errors:
        raise ApiError(400, "An error occurred while validating the submitted data.", errors)
    assert owner is not None
    record = owner.record
    await app.db.write(lambda tx: update_auth_record(app, tx, c, record, {}, password=str(body["password"])))
    return Response(status_code=204)


# -- CRUD --------------------------------------------------------------------------------------


@legacy_endpoint
async def list_admins(request: Request) -> Response:
    await _require_admin(request)
    app = get_app(request)
    c = _superusers(app)
    # page/perPage as on the v0.40 lists: a non-number or one past int64 is a 400, as in 0.22
    params = parse_list_params({k: v for k, v in request.query_params.items() if k in ("page", "perPage")})
    page, per_page, offset = params.page, params.per_page, params.offset

    def run(conn: Any) -> tuple[list[dict[str, Any]], int]:
        cur = conn.cursor()
        cur.execute("SELECT * FROM `_superusers` WHERE `email` != '__pbinstaller@example.com' "
                    "ORDER BY `created`, `id` LIMIT :l OFFSET :o", {"l": per_page, "o": offset})
        names: list[str] = []
        rows = []
        for row in cur:
            names = names or [d[0] for d in cur.getdescription()]
            rows.append(row_to_record(c, dict(zip(names, row, strict=True))))
        total = app.records.count_sync(conn, c, "`email` != '__pbinstaller@example.com'")
        return rows, total

    rows, total = await app.db.read(run)
    skip_total = request.query_params.get("skipTotal") in ("1", "true")
    return _json({"page": page, "perPage": per_page, "totalItems": -1 if skip_total else total,
                  "totalPages": -1 if skip_total else math.ceil(total / per_page), "items": [admin_json(r) for r in rows]})


async def _find(request: Request) -> tuple[App, Collection, dict[str, Any]]:
    app = get_app(request)
    c = _superusers(app)
    record = await app.records.find_auth_record(c, request.path_params["id"])
    if record is None:
        raise ApiError(404, "The requested resource wasn't found.")
    return app, c, record


@legacy_endpoint
async def view_admin(request: Request) -> Response:
    await _require_admin(request)
    _, _, record = await _find(request)
    return _json(admin_json(record))


async def _has_admins(app: App, c: Collection) -> bool:
    return bool(await app.db.read(lambda conn: app.records.count_sync(
        conn, c, "`email` != '__pbinstaller@example.com'")))


@legacy_endpoint
async def create_admin(request: Request) -> Response:
    app = get_app(request)
    c = _superusers(app)
    if await _has_admins(app, c):
        await _require_admin(request)
    body = await read_body(request, infer=False)
    errors = _password_errors(body, required=True)
    email = str(body.get("email") or "")
    if not email:
        errors["email"] = ValidationError("validation_required", "Cannot be blank.")
    elif await app.records.find_by_field(c, "email", email) is not None:
        errors["email"] = ValidationError("validation_admin_email_exists", "Admin email already exists.")
    if errors:
        raise ApiError(400, "Failed to create admin.", errors)
    values = app.records.new_auth_values(c, email, str(body["password"]))

    def run(tx: Any) -> dict[str, Any]:
        record = app.records.insert_sync(tx, c, values)
        tx.execute("DELETE FROM `_superusers` WHERE `email` = '__pbinstaller@example.com'")
        return record

    record = await app.db.write(run)
    return _json(admin_json(record))


@legacy_endpoint
async def update_admin(request: Request) -> Response:
    await _require_admin(request)
    app, c, record = await _find(request)
    body = await read_body(request, infer=False)
    errors = _password_errors(body, required=False)
    changes: dict[str, Any] = {}
    email = body.get("email")
    if isinstance(email, str) and email and email != record.get("email"):
        if await app.records.find_by_field(c, "email", email) is not None:
            errors["email"] = ValidationError("validation_admin_email_exists", "Admin email already exists.")
        changes["email"] = email
    if errors:
        raise ApiError(400, "Failed to update admin.", errors)
    password = str(body["password"]) if body.get("password") else None
    updated = await app.db.write(lambda tx: update_auth_record(app, tx, c, record, changes, password=password))
    return _json(admin_json(updated))


@legacy_endpoint
async def delete_admin(request: Request) -> Response:
    await _require_admin(request)
    app, c, record = await _find(request)

    def run(tx: Any) -> None:
        if app.records.count_sync(tx.conn, c) <= 1:
            raise ApiError(400, "You can't delete the only existing superuser.")
        delete_row(app, tx, c, record)

    await app.db.write(run)
    return Response(status_code=204)
