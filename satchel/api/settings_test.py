"""``POST /api/settings/test/email``: send a template to an address (superusers only)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, get_app, read_body, require_superuser
from satchel.api.responses import no_content
from satchel.core.auth.record_tokens import email_change_token, password_reset_token, verification_token
from satchel.core.collections.model import Collection
from satchel.core.mail.sender import MailError, get_mailer, send_template
from satchel.errors import ApiError, ValidationError
from satchel.tools.timeutil import now_text

__all__ = ["TEMPLATES", "test_email"]

FAILED = "Failed to send the test email."
# template name -> (collection option, extra placeholders)
TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    "verification": ("verificationTemplate", {}),
    "password-reset": ("resetPasswordTemplate", {}),
    "email-change": ("confirmEmailChangeTemplate", {}),
    "otp": ("otp", {"{OTP}": "123456", "{OTP_ID}": "_PB_TEST_OTP_ID_"}),
    "login-alert": ("authAlert", {}),
}
# as PocketBase: a real token of the template's kind for the stand-in record
_TOKENS: dict[str, Callable[[Collection, dict[str, Any]], str]] = {
    "verification": verification_token,
    "password-reset": password_reset_token,
    "email-change": lambda c, record: email_change_token(c, record, str(record["email"])),
}


@endpoint
async def test_email(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    body = await read_body(request, invalid_message="An error occurred while loading the submitted data.", infer=False)
    errors: dict[str, Any] = {}
    email, template = str(body.get("email") or ""), str(body.get("template") or "")
    collection_ref = str(body.get("collection") or "_superusers")
    if not email:
        errors["email"] = ValidationError("validation_required", "Cannot be blank.")
    elif "@" not in email:
        errors["email"] = ValidationError("validation_is_email", "Must be a valid email address.")
    if not template:
        errors["template"] = ValidationError("validation_required", "Cannot be blank.")
    elif template not in TEMPLATES:
        errors["template"] = ValidationError("validation_in_invalid", "Must be a valid value.")
    c = app.registry.get(collection_ref)
    if c is None or not c.is_auth:
        errors["collection"] = ValidationError("validation_invalid_auth_collection", "Must be a valid auth collection id or name.")
    if errors:
        raise ApiError(400, FAILED, errors)
    assert c is not None
    # PocketBase sets "__pb_test_<name>__" on every field; typed fields turn it into their zero value
    zero: dict[str, Any] = {"bool": False, "number": 0, "date": "", "autodate": ""}
    record: dict[str, Any] = {f.name: zero.get(f.type, f"__pb_test_{f.name}__") for f in c.fields if not f.hidden}
    record.update(id="__pb_test_id__", email=email, tokenKey=secrets.token_urlsafe(24))
    option, extra = TEMPLATES[template]
    extra = dict(extra)
    if template in _TOKENS:
        extra["{TOKEN}"] = _TOKENS[template](c, record)
    if template == "login-alert":
        extra["{ALERT_INFO}"] = f"{now_text()} - TEST_IP TEST_USER_AGENT"
    message = send_template(app, c, record, option, email, extra)
    try:
        await get_mailer(app).send(message)
    except MailError as exc:
        raise ApiError(400, f"{FAILED} Raw error: \n{exc}") from exc
    return no_content()
