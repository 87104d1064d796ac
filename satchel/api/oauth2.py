"""``auth-with-oauth2`` (code exchange, linking, sign-up), ``/api/oauth2-redirect``
and ``GET /api/collections/meta/oauth2-providers`` (spec 10 §5, §8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from satchel.api.dashboard import has_dashboard
from satchel.api.hook_request import around_hook
from satchel.api.record_auth import LOAD_FAILED, SUPERUSERS, auth_collection, client_ip, finish_auth
from satchel.api.records import request_info
from satchel.api.request import endpoint, get_app, get_auth, parse_form, read_body, require_superuser
from satchel.api.responses import ordered_json_response
from satchel.core.auth import oauth2 as core
from satchel.core.auth.avatar import avatar_policy, download_avatar
from satchel.core.auth.hook_events import RecordAuthWithOAuth2RequestEvent
from satchel.core.auth.oauth2_redirect import deliver_redirect_anywhere
from satchel.core.auth.rows import delete_row, find_rows, insert_row, system_collection, update_auth_record
from satchel.core.collections.model import Collection
from satchel.core.fields import FileField
from satchel.core.files.storage import PendingFile
from satchel.core.records.model import Record
from satchel.core.records.query import RecordEnv
from satchel.core.records.resolver import RequestInfo
from satchel.core.records.write import WriteRequest, create_record_sync
from satchel.errors import ApiError, BadRequestError, ForbiddenError, ValidationError
from satchel.store.database import Tx
from satchel.tools.security import random_string

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["TRANSPORT_KEY", "auth_with_oauth2", "oauth2_providers_list", "oauth2_redirect"]

TRANSPORT_KEY = "oauth2_transport"


def _provider_entry(c: Collection, name: str) -> Mapping[str, Any] | None:
    for entry in (c.options.get("oauth2") or {}).get("providers") or []:
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return entry
    return None


def _create_payload(c: Collection, user: core.AuthUser, create_data: Mapping[str, Any],
                    avatar: PendingFile | None = None) -> dict[str, Any]:
    """The sign-up body (PocketBase): ``createData`` + the OAuth2 email (unless one was
    submitted) + the mapped fields not explicitly in ``createData``; without a submitted
    password a random one (with its confirmation) is added, as PocketBase does.  An
    avatar mapped to a file field is the downloaded ``avatar`` (skipped when missing)."""
    payload = dict(create_data)
    if not isinstance(payload.get("email"), str) or not payload.get("email"):
        payload["email"] = user.email
    mapped = (c.options.get("oauth2") or {}).get("mappedFields") or {}
    for key, value in (("id", user.id), ("name", user.name), ("username", user.username)):
        target = str(mapped.get(key) or "")
        if target and target not in payload:
            payload[target] = value
    target = str(mapped.get("avatarURL") or "")
    if target and target not in payload and user.avatar_url:
        if _avatar_file_field(c) is None:
            payload[target] = user.avatar_url
        elif avatar is not None:
            payload[target] = avatar
    if "password" not in payload:
        payload["password"] = payload["passwordConfirm"] = random_string(30)
    return payload


def _avatar_file_field(c: Collection) -> FileField | None:
    """The file field ``mappedFields.avatarURL`` names, if it names one."""
    target = str(((c.options.get("oauth2") or {}).get("mappedFields") or {}).get("avatarURL") or "")
    f = c.field(target) if target else None
    return f if isinstance(f, FileField) else None


def _create(app: App, tx: Tx, c: Collection, user: core.AuthUser, info: RequestInfo,
            create_data: Mapping[str, Any], avatar: PendingFile | None) -> dict[str, Any]:
    """Create the record through the records write path (createRule with
    ``@request.context = "oauth2"``, validation, realtime), then verify it when its email
    is the provider's (verified) one."""
    payload = _create_payload(c, user, create_data, avatar)
    env = RecordEnv.from_app(app)
    out = create_record_sync(tx, env, c, WriteRequest(replace(info, body=payload), payload))
    record = app.records.find_by_field_sync(tx.conn, c, "id", str(out["id"]))
    if record is None:  # pragma: no cover - just inserted
        raise BadRequestError("Failed to authenticate.")
    if user.email and record.get("email") == user.email and not record.get("verified"):
        record = update_auth_record(app, tx, c, record, {"verified": True})
    return record


def _link(app: App, tx: Tx, c: Collection, record: Mapping[str, Any], provider: str, provider_id: str) -> None:
    ext = system_collection(app, "_externalAuths")
    rows = find_rows(app, tx.conn, ext, {"collectionRef": c.id, "recordRef": record["id"], "provider": provider})
    if not rows:
        insert_row(app, tx, ext, {"collectionRef": c.id, "recordRef": record["id"], "provider": provider,
                                  "providerId": provider_id})


def _find_existing(
    app: App, conn: Any, c: Collection, user: core.AuthUser, provider: str, requester: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """The record an OAuth2 user signs in to: the linked one, else the requester
    (same collection), else the one with the provider's (verified) email."""
    ext = system_collection(app, "_externalAuths")
    links = find_rows(app, conn, ext, {"collectionRef": c.id, "provider": provider, "providerId": user.id})
    record = None
    if links:
        record = app.records.find_by_field_sync(conn, c, "id", links[0]["recordRef"])
    if record is None and requester is not None and requester.get("collectionId") == c.id:
        record = app.records.find_by_field_sync(conn, c, "id", requester["id"])
    if record is None and user.email:
        record = app.records.find_by_field_sync(conn, c, "email", user.email)
    return record


def _sign_in(
    app: App, tx: Tx, c: Collection, user: core.AuthUser, provider: str,
    info: RequestInfo, create_data: Mapping[str, Any], avatar: PendingFile | None = None,
) -> tuple[dict[str, Any], bool]:
    """Find, link or create the record of an OAuth2 user -> (record, is new)."""
    requester = info.auth
    record = _find_existing(app, tx.conn, c, user, provider, requester)
    if record is None:
        if c.name == SUPERUSERS:
            raise BadRequestError("Failed to authenticate.")
        record = _create(app, tx, c, user, info, create_data, avatar)
        _link(app, tx, c, record, provider, user.id)
        return record, True
    record = _secure_existing(app, tx, c, record, user, provider, requester)
    _link(app, tx, c, record, provider, user.id)
    return record, False


async def _new_account_avatar(
    app: App, c: Collection, user: core.AuthUser, provider: str, info: RequestInfo, create_data: Mapping[str, Any],
) -> PendingFile | None:
    """The avatar download of a sign-up (PocketBase fetches it for new records only).

    Done before the write transaction, not inside it (the writer must not wait on
    the network): a read decides whether the sign-in would create a record; if a
    concurrent request changes that, the write simply uses or ignores the file."""
    f = _avatar_file_field(c)
    if f is None or not user.avatar_url or f.name in create_data or c.name == SUPERUSERS:
        return None
    existing = await app.db.read(lambda conn: _find_existing(app, conn, c, user, provider, info.auth))
    if existing is not None:
        return None
    return await download_avatar(user.avatar_url, f, avatar_policy(app.state))


def _secure_existing(
    app: App, tx: Tx, c: Collection, record: dict[str, Any], user: core.AuthUser, provider: str,
    requester: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Pre-hijacking protection (PocketBase 0.37.4): an unverified account matched by
    email loses whatever password and other links someone may have planted."""
    changes: dict[str, Any] = {}
    password = None
    if not record.get("verified"):
        if requester is None or requester.get("id") != record["id"]:
            password = random_string(30)
        ext = system_collection(app, "_externalAuths")
        for row in find_rows(app, tx.conn, ext, {"collectionRef": c.id, "recordRef": record["id"]}):
            if row.get("provider") != provider:
                delete_row(app, tx, ext, row)
    if not record.get("email") and user.email:
        changes["email"] = user.email
    email = changes.get("email", record.get("email"))
    if not record.get("verified") and user.email and (email == user.email or not email):
        changes["verified"] = True
    if changes or password is not None:
        return update_auth_record(app, tx, c, record, changes, password=password)
    return record


@endpoint
async def auth_with_oauth2(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    if not (c.options.get("oauth2") or {}).get("enabled"):
        raise ForbiddenError("The collection is not configured to allow OAuth2 authentication.")
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    errors: dict[str, Any] = {}
    for key in ("provider", "code"):
        if not isinstance(body.get(key), str) or not body.get(key):
            errors[key] = ValidationError("validation_required", "Cannot be blank.")
    if errors:
        raise ApiError(400, LOAD_FAILED, errors)
    name = str(body["provider"])
    entry = _provider_entry(c, name)
    if entry is None:
        raise ApiError(400, LOAD_FAILED, {"provider": ValidationError(
            "validation_invalid_provider", f"Provider with name {name} is missing or is not enabled.", {"name": name})})
    config = core.provider_config(entry)
    redirect_url = str(body.get("redirectURL") or body.get("redirectUrl") or "")
    transport = app.state.get(TRANSPORT_KEY)
    try:
        token = await core.exchange_code(config, str(body["code"]), str(body.get("codeVerifier") or ""),
                                         redirect_url, transport)
    except core.OAuth2Error as exc:
        raise BadRequestError("Failed to fetch OAuth2 token.") from exc
    try:
        user = await core.fetch_auth_user(config, token, transport)
    except core.OAuth2Error as exc:
        raise BadRequestError("Failed to fetch OAuth2 user.") from exc
    raw_create = body.get("createData")
    create_data: dict[str, Any] = dict(raw_create) if isinstance(raw_create, Mapping) else {}
    info = request_info(request, await get_auth(request), method="POST", context="oauth2")
    mfa_id = str(request.query_params.get("mfaId") or body.get("mfaId") or "")

    async def sign_in(e: RecordAuthWithOAuth2RequestEvent | None) -> Response:
        oauth2_user, data = (user, create_data) if e is None else (e.o_auth2_user, e.create_data)
        avatar = await _new_account_avatar(app, c, oauth2_user, name, info, data)
        try:
            record, is_new = await app.db.write(lambda tx: _sign_in(app, tx, c, oauth2_user, name, info, data, avatar))
        except ApiError as exc:
            if exc.message == "Failed to authenticate.":
                raise
            raise BadRequestError("Failed to authenticate.", exc.data) from exc
        meta = oauth2_user.meta(is_new if e is None else e.is_new_record)
        return await finish_auth(request, c, record, "oauth2", mfa_id=mfa_id, meta=meta)

    if not app.hooks.on_record_auth_with_oauth2_request.handlers:
        return await sign_in(None)
    # the event carries the account the sign-in would use (None: a sign-up), as PocketBase's
    existing = await app.db.read(lambda conn: _find_existing(app, conn, c, user, name, info.auth))
    return await around_hook(
        request, "on_record_auth_with_oauth2_request", RecordAuthWithOAuth2RequestEvent, sign_in, body,
        collection=c, provider_name=name, provider_client=config, o_auth2_user=user, create_data=create_data,
        record=None if existing is None else Record.from_stored(c, existing), is_new_record=existing is None,
    )  # fmt: skip


# -- redirect ---------------------------------------------------------------------------------


_CLOSE_PAGE = "<!DOCTYPE html><html><body><p>OAuth2 {outcome}. You can close this window.</p></body></html>"


async def _redirect(request: Request, data: Mapping[str, Any], status: int) -> Response:
    app = get_app(request)
    state = str(data.get("state") or "")
    code = str(data.get("code") or "")
    error = str(data.get("error") or "")
    message: dict[str, Any] = {"state": state, "code": code}
    if error:
        message["error"] = error
    ok = bool(state) and bool(code) and not error and await deliver_redirect_anywhere(
        app, state, message, client_ip(request)
    )
    if not ok and state and error:
        await deliver_redirect_anywhere(app, state, message, client_ip(request))
    if not has_dashboard():
        return HTMLResponse(_CLOSE_PAGE.format(outcome="succeeded" if ok else "failed"), 200)
    target = "../_/#/auth/oauth2-redirect-success" if ok else "../_/#/auth/oauth2-redirect-failure"
    return RedirectResponse(target, status_code=status)


@endpoint
async def oauth2_redirect(request: Request) -> Response:
    if request.method == "POST":
        try:
            form = await parse_form(request, "")
        except BadRequestError:  # PocketBase reads an unreadable form as an empty one: "failed"
            return await _redirect(request, {}, 303)
        data = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        return await _redirect(request, data, 303)
    # PocketBase answers 307 to a GET only (a HEAD gets 303 like a POST)
    return await _redirect(request, dict(request.query_params), 307 if request.method == "GET" else 303)


# -- providers list ---------------------------------------------------------------------------


# PocketBase's display order (the providers' ``order``), as the endpoint returns them.
PROVIDERS_ORDER = ["apple", "google", "microsoft", "yandex", "facebook", "instagram2", "github", "gitlab", "bitbucket", "gitee", "gitea", "discord", "twitter", "kakao", "vk", "linear", "notion", "monday", "lark", "box", "spotify", "trakt", "twitch", "patreon", "strava", "wakatime", "livechat", "mailcow", "planningcenter", "oidc", "oidc2", "oidc3"]


@endpoint
async def oauth2_providers_list(request: Request) -> Response:
    """``GET /api/collections/meta/oauth2-providers`` (superusers): ``[{name, displayName, logo}]``."""
    await require_superuser(request)
    out = []
    for name in PROVIDERS_ORDER:
        d = core.provider_defaults(name)
        out.append({"name": name, "displayName": d.get("displayName", name), "logo": d.get("logo", "")})
    return ordered_json_response(out)
