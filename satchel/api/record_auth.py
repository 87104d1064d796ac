"""Auth endpoints of auth collections: password login and token refresh.

The other flows (OTP, OAuth2, MFA, verification, ...) belong to the auth issue
and plug in beside these.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import AuthState, endpoint, get_app, read_body, require_auth
from satchel.api.responses import json_response
from satchel.app import App
from satchel.core.auth.tokens import create_token, secret_key_for
from satchel.core.collections import Collection
from satchel.core.records import check_password, public_record
from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError, ValidationError

__all__ = ["auth_refresh", "auth_with_password", "auth_response"]

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
VALIDATION_FAILED = "An error occurred while validating the submitted data."


def auth_collection(app: App, id_or_name: str) -> Collection:
    c = app.registry.get(id_or_name)
    if c is None:
        raise NotFoundError("Missing or invalid collection context.")
    if not c.is_auth:
        raise NotFoundError("Missing or invalid auth collection context.")
    return c


def issue_auth_token(c: Collection, record: dict[str, Any], *, refreshable: bool = True) -> str:
    secret, duration = secret_key_for(c.options, "auth")
    claims = {"collectionId": c.id, "id": record["id"], "refreshable": refreshable, "type": "auth"}
    return create_token(claims, str(record.get("tokenKey", "")) + secret, duration)


def auth_response(c: Collection, record: dict[str, Any], token: str) -> dict[str, Any]:
    """``{record, token}``: the authenticated record always shows its email."""
    shown = public_record(c, record, superuser=c.name == "_superusers", owner=True)
    return {"record": shown, "token": token}


def _identity_fields(c: Collection, identity: str, requested: str) -> list[str]:
    configured = [str(x) for x in (c.options.get("passwordAuth") or {}).get("identityFields") or []]
    if requested:
        return [requested]
    ordered = sorted(configured, key=lambda name: 0 if name == "email" else 1)
    if not EMAIL_RE.match(identity):
        ordered = [name for name in ordered if name != "email"]
    return ordered


@endpoint
async def auth_with_password(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    if not (c.options.get("passwordAuth") or {}).get("enabled"):
        raise ForbiddenError("The collection is not configured to allow password authentication.")
    body = await read_body(request, invalid_message="An error occurred while loading the submitted data.", infer=False)
    identity = body.get("identity")
    password = body.get("password")
    identity_field = str(body.get("identityField") or "")
    errors: dict[str, Any] = {}
    for key, value in (("identity", identity), ("password", password)):
        if not isinstance(value, str) or not value:
            errors[key] = ValidationError("validation_required", "Cannot be blank.")
        elif len(value) > 255:
            errors[key] = ValidationError(
                "validation_length_out_of_range", "The length must be between 1 and 255.", {"max": 255, "min": 1}
            )
    configured = (c.options.get("passwordAuth") or {}).get("identityFields") or []
    if identity_field and identity_field not in configured:
        errors["identityField"] = ValidationError("validation_in_invalid", "Must be a valid value.")
    if errors:
        raise ApiError(400, VALIDATION_FAILED, errors)
    assert isinstance(identity, str) and isinstance(password, str)

    record = None
    for name in _identity_fields(c, identity, identity_field):
        if c.field(name) is None:
            continue
        record = await app.records.find_by_field(c, name, identity)
        if record is not None:
            break
    hashed = str(record.get("password") or "") if record else None
    ok = await asyncio.to_thread(check_password, password, hashed)
    if record is None or not ok:
        raise BadRequestError("Failed to authenticate.")
    if c.options.get("authRule") is None:
        raise ForbiddenError("The request doesn't satisfy the collection requirements to authenticate.")
    token = issue_auth_token(c, record)
    return json_response(auth_response(c, record, token))


@endpoint
async def auth_refresh(request: Request) -> Response:
    app = get_app(request)
    c = auth_collection(app, request.path_params["collection"])
    auth: AuthState = await require_auth(request)
    assert auth.record is not None and auth.collection is not None and auth.token_claims is not None
    if auth.collection.id != c.id:
        raise ForbiddenError(f"The request requires auth record from {auth.collection.name} collection.")
    if auth.token_claims.get("refreshable"):
        token = issue_auth_token(c, auth.record)
    else:
        header = request.headers.get("authorization", "").strip()
        token = header[7:].strip() if header[:7].lower() == "bearer " else header
    return json_response(auth_response(c, auth.record, token))
