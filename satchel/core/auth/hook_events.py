"""The hook event of the record auth endpoints (``on_record_auth_request`` and the auth-with-* hooks).

Re-exported by the package's face and by :mod:`satchel.hooks` (docs/hooks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from satchel.core.records.hook_events import RecordRequestEvent
from satchel.core.records.model import Record

__all__ = [
    "RecordAuthRequestEvent",
    "RecordAuthWithOAuth2RequestEvent",
    "RecordAuthWithOTPRequestEvent",
    "RecordConfirmEmailChangeRequestEvent",
    "RecordCreateOTPRequestEvent",
]


@dataclass(eq=False, kw_only=True)
class RecordAuthRequestEvent(RecordRequestEvent):
    """``onRecordAuthRequest``: the auth record, its token and how it signed in."""
    token: str = ""
    meta: Any = None
    auth_method: str = ""
    identity: str = ""
    identity_field: str = ""  # the body's identityField ("" when not given)
    password: str = ""


@dataclass(eq=False, kw_only=True)
class RecordAuthWithOAuth2RequestEvent(RecordRequestEvent):
    """``auth-with-oauth2`` once the provider answered: ``e.record`` is the account the
    sign-in would use (``None`` for a sign-up, ``e.is_new_record``); ``e.next()`` signs in
    ``e.o_auth2_user`` (creating the account from ``e.create_data``) and answers."""

    provider_name: str = ""
    provider_client: Any = None
    o_auth2_user: Any = None
    create_data: dict[str, Any] = field(default_factory=dict)
    is_new_record: bool = False


@dataclass(eq=False, kw_only=True)
class RecordCreateOTPRequestEvent(RecordRequestEvent):
    """``request-otp`` (after the body's check): ``e.record`` is the account of the email
    (``None`` if unknown: ``e.next()`` then answers a made-up otpId, telling nothing);
    ``e.password`` is the code ``e.next()`` stores and mails (a handler may change it)."""

    password: str = ""


@dataclass(eq=False, kw_only=True)
class RecordAuthWithOTPRequestEvent(RecordRequestEvent):
    """``auth-with-otp`` once the OTP is checked: ``e.record`` signs in, ``e.otp`` (the
    ``_otps`` record) is used up by ``e.next()``."""

    otp: Record | None = None


@dataclass(eq=False, kw_only=True)
class RecordConfirmEmailChangeRequestEvent(RecordRequestEvent):
    """``confirm-email-change`` once the token and password are checked: ``e.next()``
    sets ``e.new_email`` on ``e.record``."""

    new_email: str = ""
