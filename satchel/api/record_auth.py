"""Auth endpoints of auth collections (spec 10 §5): auth-methods, password, OTP,
refresh, impersonate, file tokens, and the steps every login shares
(:func:`finish_auth`: superuser IPs, authRule, MFA, response, new-login alert).

Verification / password reset / email change live in ``record_auth_email``,
OAuth2 in ``oauth2``, anonymous auth in ``record_auth_anonymous``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.client_ip import client_ip, ip_in_list
from satchel.api.hook_request import (
    around_hook,
    auth_record,
    new_request_event,
    request_data,
    run_request_hook,
)
from satchel.api.request import (
    AuthState,
    endpoint,
    get_app,
    get_auth,
    read_body,
    require_auth,
    require_superuser,
)
from satchel.api.responses import json_response, ordered_json_response
from satchel.core.auth import oauth2 as oauth2_core
from satchel.core.auth.anonymous import anonymous_enabled
from satchel.core.auth.hook_events import (
    RecordAuthRequestEvent,
    RecordAuthWithOTPRequestEvent,
    RecordCreateOTPRequestEvent,
)
from satchel.core.auth.legacy_admin import admin_token
from satchel.core.auth.mfa import check_mfa
from satchel.core.auth.origins import track_origin
from satchel.core.auth.otp import create_otp, delete_otp, get_limiter, new_otp_code, otp_matches
from satchel.core.auth.record_tokens import auth_token, file_token
from satchel.core.auth.rows import system_collection, update_auth_record
from satchel.core.auth.rule_check import record_matches_rule
from satchel.core.collections.model import Collection
from satchel.core.fields import PasswordValue
from satchel.core.files.hook_events import FileTokenRequestEvent
from satchel.core.leader import on_leader
from satchel.core.mail.sender import get_mailer, send_template
from satchel.core.records.hooks import enrich
from satchel.core.records.model import Record
from satchel.core.records.picking import pick_fields
from satchel.core.records.rows import check_password, public_record
from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError, ValidationError
from satchel.tools.search import ListParamsError, parse_fields
from satchel.tools.security import random_string

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "VALIDATION_FAILED",
    "auth_collection",
    "auth_methods",
    "auth_refresh",
    "auth_response",
    "auth_with_otp",
    "auth_with_password",
    "client_ip",
    "file_token_endpoint",
    "finish_auth",
    "impersonate",
    "ip_in_list",
    "issue_auth_token",
    "request_otp",
]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
VALIDATION_FAILED = "An error occurred while validating the submitted data."
LOAD_FAILED = "An error occurred while loading the submitted data."
SUPERUSERS = "_superusers"
OTP_ATTEMPTS, OTP_WINDOW = 5, 180.0
OTP_ATTEMPT = "otp.attempt"


def otp_attempt_here(app: App, payload: Mapping[str, Any]) -> bool:
    """One OTP attempt counted (by worker 0 among workers); False past the limit."""
    return get_limiter(app, "otp", OTP_ATTEMPTS, OTP_WINDOW).allow(str(payload.get("key", "")))


def auth_collection(app: App, id_or_name: str) -> Collection:
    c = app.registry.get(id_or_name)
    if c is None:
        raise NotFoundError("Missing or invalid collection context.")
    if not c.is_auth:
        raise NotFoundError("Missing or invalid auth collection context.")
    return c


def issue_auth_token(c: Collection, record: dict[str, Any], *, refreshable: bool = True) -> str:
    return auth_token(c, record, refreshable=refreshable)


def auth_response(c: Collection, record: Mapping[str, Any], token: str, meta: Any = None) -> dict[str, Any]:
    """``{meta?, record, token}``: the authenticated record always shows its email;
    a superuser sees its own hidden fields."""
    shown = public_record(c, record, superuser=c.name == SUPERUSERS, owner=True)
    out: dict[str, Any] = {}
    if meta is not None:
        out["meta"] = meta
    out["record"] = shown
    out["token"] = token
    return out


# -- request details ---------------------------------------------------------------


async def mfa_id_of(request: Request, body: Mapping[str, Any]) -> str:
    return str(request.query_params.get("mfaId") or body.get("mfaId") or "")


def _picks(request: Request) -> Any:
    raw = request.query_params.get("fields", "")
    if not raw:
        return ()
    try:
        return parse_fields(raw)
    except ListParamsError:
        return ()


async def finish_auth(
    request: Request,
    c: Collection,
    record: Mapping[str, Any],
    method: str,
    *,
    mfa_id: str = "",
    meta: Any = None,
    token: str | None = None,
) -> Response:
    """The common steps before a token is returned (spec 10 §4)."""
    app = get_app(request)
    ip = client_ip(request)
    if c.name == SUPERUSERS:
        allowed = app.settings.current.superuser_ips
        if allowed and not ip_in_list(ip, allowed):
            raise ForbiddenError()
    requester = await get_auth(request)
    if not await record_matches_rule(app, c, record, c.rule("authRule"), requester.record):
        raise ForbiddenError("The request doesn't satisfy the collection requirements to authenticate.")
    new_mfa = await check_mfa(app, c, record, method, mfa_id, requester.record)
    if new_mfa:
        return json_response({"mfaId": new_mfa}, 401)
    if token is None:
        token = auth_token(c, record)
    hook = app.hooks.on_record_auth_request
    if hook.handlers:
        return await _auth_with_hooks(request, c, record, method, meta, token, requester)
    return await _auth_answer(request, c, record, method, meta, token, ip)


async def _auth_answer(
    request: Request, c: Collection, record: Mapping[str, Any], method: str, meta: Any, token: str, ip: str
) -> Response:
    app = get_app(request)
    if method:
        await track_origin(app, c, record, ip, request.headers.get("user-agent", ""))
    body = auth_response(c, record, token, meta)
    expand = request.query_params.get("expand", "")
    if expand:
        body["record"] = await _expanded(request, c, record, body["record"], expand)
    if app.hooks.on_record_enrich.handlers:
        body["record"] = await asyncio.to_thread(enrich, app.hooks, c, record, body["record"], None)
    return json_response(pick_fields(body, _picks(request)))


async def _auth_with_hooks(
    request: Request, c: Collection, record: Mapping[str, Any], method: str, meta: Any, token: str, requester: AuthState
) -> Response:
    """``on_record_auth_request``: e.record, e.token, e.meta, e.auth_method; the answer
    (origin check, body) is the final link."""
    app = get_app(request)
    event = RecordAuthRequestEvent(
        app=app.hooks.app,
        request=request_data(request),
        auth=auth_record(requester),
        collection=c,
        record=Record.from_stored(c, record),
        token=token,
        meta=meta,
        auth_method=method,
    )

    async def final(e: RecordAuthRequestEvent) -> None:
        target = stored_dict(e.record) if e.record is not None else record
        e.response = await _auth_answer(request, c, target, e.auth_method, e.meta, e.token, client_ip(request))

    return await run_request_hook(app.hooks.on_record_auth_request, event, final)


def stored_dict(record: Record) -> dict[str, Any]:
    """A hook's Record as the auth code's record dict (the password as its stored hash)."""
    out: dict[str, Any] = {}
    for name, value in record.values.items():
        out[name] = value.hash if isinstance(value, PasswordValue) else value
    out["collectionId"] = record.collection.id
    out["collectionName"] = record.collection.name
    return out


async def _expanded(
    request: Request, c: Collection, record: Mapping[str, Any], shown: dict[str, Any], expand: str
) -> dict[str, Any]:
    """``?expand=`` of an auth response: fetched as the authenticated record (PocketBase sets
    ``requestInfo.Auth`` to it) and shown through the records Presenter; failures are dropped."""
    from satchel.api.records import request_info
    from satchel.core.records.expand import expand_records
    from satchel.core.records.query import Presenter, RecordEnv

    app = get_app(request)
    info = request_info(request, AuthState(record=dict(record), collection=c))
    env = RecordEnv.from_app(app)

    def run(conn: Any) -> Any:
        target = dict(record)
        target.pop("expand", None)
        expand_records(conn, env, c, [target], expand, info)
        if not isinstance(target.get("expand"), dict):
            return None
        return Presenter(env, conn, info).present_one(c, target).get("expand")

    expanded = await app.db.read(run)
    return {**shown, "expand": expanded} if expanded is not None else shown


def _length_error(lo: int, hi: int) -> ValidationError:
    return ValidationError(
        "validation_length_out_of_range", f"The length must be between {lo} and {hi}.", {"max": hi, "min": lo}
    )


def _required_strings(body: Mapping[str, Any], limits: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for key, (lo, hi) in limits.items():
        value = body.get(key)
        if not isinstance(value, str) or not value:
            errors[key] = ValidationError("validation_required", "Cannot be blank.")
        elif not lo <= len(value) <= hi:
            errors[key] = _length_error(lo, hi)
    return errors


# -- auth-methods ----------------------------------------------------------------------


def _provider_item(entry: Mapping[str, Any], *, legacy: bool) -> dict[str, Any]:
    config = oauth2_core.provider_config(entry)
    url = oauth2_core.auth_url(config)
    return {
        "name": config.name,
        "displayName": config.display_name,
        "logo": "" if legacy else config.logo,
        "state": url["state"],
        "authURL": url["authURL"],
        "authUrl": url["authURL"],
        "codeVerifier": url["codeVerifier"],
        "codeChallenge": url["codeChallenge"],
        "codeChallengeMethod": url["codeChallengeMethod"],
    }


def auth_methods_body(c: Collection) -> dict[str, Any]:
    o = c.options
    password = o.get("passwordAuth") or {}
    oauth2 = o.get("oauth2") or {}
    mfa = o.get("mfa") or {}
    otp = o.get("otp") or {}
    identity = [str(x) for x in password.get("identityFields") or []] if password.get("enabled") else []
    providers: list[dict[str, Any]] = []
    legacy: list[dict[str, Any]] = []
    if oauth2.get("enabled"):
        for entry in oauth2.get("providers") or []:
            item = _provider_item(entry, legacy=False)
            providers.append(item)
            legacy.append({**item, "logo": ""})
    body: dict[str, Any] = {
        "password": {"identityFields": identity, "enabled": bool(password.get("enabled"))},
        "oauth2": {"providers": providers, "enabled": bool(oauth2.get("enabled"))},
        "mfa": {"enabled": bool(mfa.get("enabled")), "duration": int(mfa.get("duration") or 0) if mfa.get("enabled") else 0},
        "otp": {"enabled": bool(otp.get("enabled")), "duration": int(otp.get("duration") or 0) if otp.get("enabled") else 0},
    }
    if anonymous_enabled(c):
        # Satchel's extension: advertised only when on, so the body stays PocketBase's otherwise
        body["anonymous"] = {"enabled": True}
    body.update({
        "authProviders": legacy,
        "usernamePassword": "username" in identity,
        "emailPassword": "email" in identity,
    })
    return body


@endpoint
async def auth_methods(request: Request) -> Response:
    c = auth_collection(get_app(request), request.path_params["collection"])
    body = auth_methods_body(c)
    picks = _picks(request)
    return ordered_json_response(pick_fields(body, picks) if picks else body)


# -- password ---------------------------------------------------------------------------


def _identity_fields(c: Collection, identity: str, requested: str) -> list[str]:
    configured = [str(x) for x in (c.options.get("passwordAuth") or {}).get("identityFields") or []]
    if requested:
        return [requested]
    ordered = sorted(configured, key=lambda name: 0 if name == "email" else 1)
    if not EMAIL_RE.match(identity):
        ordered = [name for name in ordered if name != "email"]
    return ordered


async def find_by_identity(app: App, c: Collection, identity: str, identity_field: str = "") -> dict[str, Any] | None:
    for name in _identity_fields(c, identity, identity_field):
        if c.field(name) is None:
            continue
        record = await app.records.find_by_field(c, name, identity)
        if record is not None:
            return record
    return None


async def verify_password(app: App, record: Mapping[str, Any] | None, password: str) -> bool:
    """bcrypt off the event loop; unknown records are checked against a dummy hash."""
    import asyncio

    hashed = str(record.get("password") or "") if record else None
    return await asyncio.to_thread(check_password, password, hashed or None) and record is not None


@endpoint
async def auth_with_password(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    if not (c.options.get("passwordAuth") or {}).get("enabled"):
        raise ForbiddenError("The collection is not configured to allow password authentication.")
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _required_strings(body, {"identity": (1, 255), "password": (1, 255)})
    identity_field = str(body.get("identityField") or "")
    configured = (c.options.get("passwordAuth") or {}).get("identityFields") or []
    if identity_field and identity_field not in configured:
        errors["identityField"] = ValidationError("validation_in_invalid", "Must be a valid value.")
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    record = await find_by_identity(app, c, str(body["identity"]), identity_field)
    hook = app.hooks.on_record_auth_with_password_request
    if hook.handlers:
        return await _password_with_hooks(request, c, body, record)
    if not await verify_password(app, record, str(body["password"])):
        raise BadRequestError("Failed to authenticate.")
    assert record is not None
    return await finish_auth(request, c, record, "password", mfa_id=await mfa_id_of(request, body))


async def _password_with_hooks(
    request: Request, c: Collection, body: Mapping[str, Any], record: dict[str, Any] | None
) -> Response:
    """``on_record_auth_with_password_request``: e.record (None for an unknown identity),
    e.identity, e.password; the password check and the answer are the final link."""
    app = get_app(request)
    event = RecordAuthRequestEvent(
        app=app.hooks.app,
        request=request_data(request, body),
        auth=auth_record(await get_auth(request)),
        collection=c,
        record=Record.from_stored(c, record) if record is not None else None,
        identity=str(body["identity"]),
        identity_field=str(body.get("identityField") or ""),
        password=str(body["password"]),
        auth_method="password",
    )

    async def final(e: RecordAuthRequestEvent) -> None:
        target = stored_dict(e.record) if e.record is not None else None
        if not await verify_password(app, target, e.password):
            raise BadRequestError("Failed to authenticate.")
        assert target is not None
        e.response = await finish_auth(request, c, target, "password", mfa_id=await mfa_id_of(request, body))

    return await run_request_hook(app.hooks.on_record_auth_with_password_request, event, final)


# -- refresh / impersonate / file token --------------------------------------------------


def _raw_token(request: Request) -> str:
    header = request.headers.get("authorization", "").strip()
    return header[7:].strip() if header[:7].lower() == "bearer " else header


@endpoint
async def auth_refresh(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    auth: AuthState = await require_auth(request)
    assert auth.record is not None and auth.collection is not None and auth.token_claims is not None
    if auth.collection.id != c.id:
        raise ForbiddenError(f"The request requires auth record from {auth.collection.name} collection.")
    # a 0.22 admin token is traded for a v0.40 one: this is the v0.40 route
    refresh = auth.token_claims.get("refreshable") or auth.legacy_admin
    token = auth_token(c, auth.record) if refresh else _raw_token(request)
    return await finish_auth(request, c, auth.record, "", token=token)


@endpoint
async def impersonate(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    body = await read_body(request, invalid_message=LOAD_FAILED)
    duration = body.get("duration", 0)
    if isinstance(duration, bool) or not isinstance(duration, int | float):
        raise ApiError(400, LOAD_FAILED)
    if duration < 0:
        raise ApiError(400, VALIDATION_FAILED, {"duration": ValidationError(
            "validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0})})
    record = await app.records.find_auth_record(c, request.path_params["id"])
    if record is None:
        raise NotFoundError()
    token = auth_token(c, record, refreshable=False, duration=float(duration) or None)
    return await finish_auth(request, c, record, "", token=token)


@endpoint
async def file_token_endpoint(request: Request) -> Response:
    auth = await require_auth(request)
    assert auth.collection is not None and auth.record is not None
    if auth.legacy_admin:  # what 0.22 gave an admin: its own file token shape
        token = admin_token(auth.collection, auth.record, "file")
    else:
        token = file_token(auth.collection, auth.record)
    hook = get_app(request).hooks.on_file_token_request
    if not hook.handlers:
        return json_response({"token": token})
    record = Record.from_stored(auth.collection, auth.record)
    event = await new_request_event(request, FileTokenRequestEvent, record=record, token=token)
    return await run_request_hook(hook, event, lambda e: e.json(200, {"token": e.token}))


# -- OTP -------------------------------------------------------------------------------------


def _require_otp(c: Collection) -> None:
    if not (c.options.get("otp") or {}).get("enabled"):
        raise ForbiddenError("The collection is not configured to allow OTP authentication.")


def _email_errors(body: Mapping[str, Any], key: str = "email") -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        return {key: ValidationError("validation_required", "Cannot be blank.")}
    if len(value) > 255:
        return {key: _length_error(1, 255)}
    if not EMAIL_RE.match(value):
        return {key: ValidationError("validation_is_email", "Must be a valid email address.")}
    return {}


@endpoint
async def request_otp(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    _require_otp(c)
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _email_errors(body)
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    email = str(body["email"])
    found = await app.records.find_by_field(c, "email", email)

    async def create(e: RecordCreateOTPRequestEvent | None) -> Response:
        record, code = (found, new_otp_code(c)) if e is None else (_stored_or_none(e.record), e.password)
        if record is None:
            return json_response({"otpId": random_string(15, "abcdefghijklmnopqrstuvwxyz0123456789")})
        row, created = await app.db.write(lambda tx: create_otp(app, tx, c, record, code))
        if created:
            send_otp_mail(app, c, record, row, code, email)
        return json_response({"otpId": row["id"]})

    if not app.hooks.on_record_request_otp_request.handlers:
        return await create(None)
    return await around_hook(request, "on_record_request_otp_request", RecordCreateOTPRequestEvent, create, body,
                             collection=c, record=None if found is None else Record.from_stored(c, found),
                             password=new_otp_code(c))  # fmt: skip


def _stored_or_none(record: Record | None) -> dict[str, Any] | None:
    return None if record is None else stored_dict(record)


def send_otp_mail(app: App, c: Collection, record: Mapping[str, Any], row: Mapping[str, Any], code: str, to: str) -> None:
    """Send in the background; record ``sentTo`` on success, drop the OTP on failure."""
    message = send_template(app, c, record, "otp", to, {"{OTP}": code, "{OTP_ID}": str(row["id"])})
    otps = system_collection(app, "_otps")

    async def done(error: BaseException | None) -> None:
        if error is not None:
            await app.db.try_write(lambda tx: delete_otp(app, tx, row), "removal of an unsent OTP")
        else:
            update = {"sentTo": to}
            await app.db.try_write(lambda tx: app.records.update_sync(tx, otps, str(row["id"]), update), "OTP sentTo")

    get_mailer(app).send_background(message, on_done=done)


@endpoint
async def auth_with_otp(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    _require_otp(c)
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors = _required_strings(body, {"otpId": (1, 255), "password": (1, 71)})
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    invalid = BadRequestError("Invalid or expired OTP.")
    otps = system_collection(app, "_otps")
    row = await app.records.find_by_field(otps, "id", str(body["otpId"]))
    if row is None or row.get("collectionRef") != c.id:
        raise invalid
    from satchel.core.auth.mfa import expired

    if expired(str(row.get("created") or ""), float((c.options.get("otp") or {}).get("duration") or 180)):
        await app.db.try_write(lambda tx: delete_otp(app, tx, row), "removal of an expired OTP")
        raise invalid
    record = await app.records.find_auth_record(c, str(row.get("recordRef") or ""))
    if record is None:
        raise invalid
    if not await on_leader(app, OTP_ATTEMPT, otp_attempt_here, {"key": f"{c.id}:{record['id']}"}):
        raise ApiError(429, "Too many attempts, please try again later with a new OTP.")
    import asyncio

    if not await asyncio.to_thread(otp_matches, row, str(body["password"])):
        raise invalid
    found = record

    async def sign_in(e: RecordAuthWithOTPRequestEvent | None) -> Response:
        record = await _verify_by_otp(app, c, found, row)
        response = await finish_auth(request, c, record, "otp", mfa_id=await mfa_id_of(request, body))
        if response.status_code == 200:
            await app.db.try_write(lambda tx: delete_otp(app, tx, row), "removal of a used OTP")
        return response

    return await around_hook(request, "on_record_auth_with_otp_request", RecordAuthWithOTPRequestEvent, sign_in,
                             body, collection=c, record=Record.from_stored(c, found),
                             otp=Record.from_stored(otps, row))  # fmt: skip


async def _verify_by_otp(app: App, c: Collection, record: dict[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """An OTP sent to the record's own email proves it: mark it verified (and, without
    MFA, drop the old password so nobody who set it before can use it)."""
    sent_to = str(row.get("sentTo") or "")
    if record.get("verified") or not sent_to or sent_to != record.get("email"):
        return record
    password = None if (c.options.get("mfa") or {}).get("enabled") else random_string(30)
    return await app.db.write(lambda tx: update_auth_record(app, tx, c, record, {"verified": True}, password=password))
