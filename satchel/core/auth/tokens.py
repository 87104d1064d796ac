"""PocketBase's JWTs: HS256, alphabetical claims, key = record tokenKey + collection secret.

Creating and checking tokens is pure; loading the record a token names is the
caller's job (:func:`unverified_claims` first, then :func:`verify` with the key).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt

__all__ = [
    "TOKEN_TYPES",
    "TokenError",
    "create_token",
    "secret_key_for",
    "signing_key",
    "unverified_claims",
    "verify",
]

# token type -> the collection option holding its secret and duration
TOKEN_TYPES: dict[str, str] = {
    "auth": "authToken",
    "file": "fileToken",
    "verification": "verificationToken",
    "passwordReset": "passwordResetToken",
    "emailChange": "emailChangeToken",
}


class TokenError(Exception):
    """The token is malformed, expired, of the wrong type or badly signed."""


def signing_key(token_key: str, secret: str) -> str:
    return token_key + secret


def secret_key_for(options: Mapping[str, Any], token_type: str) -> tuple[str, int]:
    """(secret, duration) of ``token_type`` from an auth collection's options."""
    option = TOKEN_TYPES.get(token_type)
    if option is None:
        raise TokenError(f"unknown token type {token_type!r}")
    config = options.get(option) or {}
    return str(config.get("secret") or ""), int(config.get("duration") or 0)


def create_token(claims: Mapping[str, Any], key: str, duration: float, *, now: float | None = None) -> str:
    """Sign ``claims`` plus ``exp``; claims are emitted in alphabetical order."""
    payload = dict(claims)
    payload["exp"] = int((time.time() if now is None else now) + duration)
    ordered = {k: payload[k] for k in sorted(payload)}
    return jwt.encode(ordered, key, algorithm="HS256")


def unverified_claims(token: str) -> dict[str, Any]:
    """Claims without checking the signature; rejects expired and incomplete tokens."""
    try:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False, "verify_exp": True})
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    for required in ("id", "collectionId", "type"):
        if not isinstance(claims.get(required), str) or not claims[required]:
            raise TokenError(f"missing {required} claim")
    return claims


def verify(token: str, key: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=["HS256"])
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    return claims
