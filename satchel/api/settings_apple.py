"""``POST /api/settings/apple/generate-client-secret`` (superusers only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, read_body, require_superuser
from satchel.api.responses import json_response
from satchel.core.auth.apple_secret import AppleSecretLoadError, generate, load_form, validate
from satchel.errors import ApiError, BadRequestError

__all__ = ["generate_client_secret"]

LOAD_FAILED = "An error occurred while loading the submitted data."


@endpoint
async def generate_client_secret(request: Request) -> Response:
    await require_superuser(request)
    body = await read_body(request, invalid_message=LOAD_FAILED, infer=False)
    try:
        form = load_form(body)
    except AppleSecretLoadError as exc:
        raise BadRequestError(LOAD_FAILED) from exc
    errors = validate(form)
    if errors:
        raise ApiError(400, "Invalid client secret data.", errors)
    try:
        secret = generate(form)
    except ValueError as exc:
        raise BadRequestError(f"Failed to generate client secret. Raw error: \n{exc}.") from exc
    return json_response({"secret": secret})
