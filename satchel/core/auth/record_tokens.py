"""Tokens of auth records: creating each type with PocketBase's exact claims, and
finding the record a token belongs to (``FindAuthRecordByToken``).

Signing key = record tokenKey + the collection's ``<type>Token.secret``, so a
password/email change (new tokenKey) or a new collection secret invalidates the
tokens already issued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from satchel.core.auth.tokens import TokenError, create_token, secret_key_for, unverified_claims, verify
from satchel.core.collections.model import Collection

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "TokenOwner",
    "auth_token",
    "email_change_token",
    "file_token",
    "find_record_by_token",
    "password_reset_token",
    "verification_token",
]


def _sign(c: Collection, record: Mapping[str, Any], token_type: str, claims: dict[str, Any], duration: float | None) -> str:
    secret, default_duration = secret_key_for(c.options, token_type)
    claims = {"collectionId": c.id, "id": record["id"], "type": token_type, **claims}
    return create_token(claims, str(record.get("tokenKey") or "") + secret, duration or default_duration)


def auth_token(c: Collection, record: Mapping[str, Any], *, refreshable: bool = True, duration: float | None = None) -> str:
    return _sign(c, record, "auth", {"refreshable": refreshable}, duration)


def file_token(c: Collection, record: Mapping[str, Any]) -> str:
    return _sign(c, record, "file", {}, None)


def verification_token(c: Collection, record: Mapping[str, Any]) -> str:
    return _sign(c, record, "verification", {"email": record.get("email", "")}, None)


def password_reset_token(c: Collection, record: Mapping[str, Any]) -> str:
    return _sign(c, record, "passwordReset", {"email": record.get("email", "")}, None)


def email_change_token(c: Collection, record: Mapping[str, Any], new_email: str) -> str:
    return _sign(c, record, "emailChange", {"email": record.get("email", ""), "newEmail": new_email}, None)


@dataclass(frozen=True, slots=True)
class TokenOwner:
    collection: Collection
    record: dict[str, Any]
    claims: dict[str, Any]


async def find_record_by_token(app: App, token: str, *types: str) -> TokenOwner | None:
    """The auth record a valid, unexpired token of one of ``types`` was issued for."""
    try:
        claims = unverified_claims(token)
    except TokenError:
        return None
    if types and claims["type"] not in types:
        return None
    c = app.registry.by_id(claims["collectionId"])
    if c is None or not c.is_auth:
        return None
    try:
        secret, _ = secret_key_for(c.options, claims["type"])
    except TokenError:
        return None
    if not secret:
        return None
    record = await app.records.find_auth_record(c, claims["id"])
    if record is None:
        return None
    try:
        verify(token, str(record.get("tokenKey") or "") + secret)
    except TokenError:
        return None
    return TokenOwner(c, record, claims)
