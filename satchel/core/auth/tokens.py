"""PocketBase's JWTs: HS256, alphabetical claims, key = record tokenKey + collection secret.

Creating and checking tokens is pure; loading the record a token names is the
caller's job (:func:`unverified_claims` first, then :func:`verify` with the key).
"""

from __future__ import annotations

import base64
import hmac
import time
from collections.abc import Mapping
from typing import Any

import orjson

__all__ = [
    "TOKEN_TYPES",
    "TokenError",
    "UnverifiedToken",
    "create_token",
    "secret_key_for",
    "signing_key",
    "read_unverified",
    "unverified_claims",
    "unverified_payload",
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
    return encode_hs256(payload, key)


_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


def encode_hs256(claims: Mapping[str, Any], key: str) -> str:
    """A compact HS256 JWT with alphabetical, compact claims (PocketBase's bytes)."""
    payload = base64.urlsafe_b64encode(orjson.dumps(claims, option=orjson.OPT_SORT_KEYS)).rstrip(b"=")
    signing_input = _HEADER + b"." + payload
    signature = base64.urlsafe_b64encode(hmac.digest(key.encode(), signing_input, "sha256")).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


# Decoding and checking are hand-written: PyJWT's decode took 11% of an auth-refresh
# request in the benchmark's profile (twice per request); this is base64 + orjson + one HMAC.


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact HS256 JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("token must have three segments")
    try:
        header = orjson.loads(_b64decode(parts[0]))
        claims = orjson.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise TokenError("malformed token") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenError("malformed token")
    if header.get("alg") != "HS256":
        raise TokenError("unsupported algorithm")
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def _check_times(claims: Mapping[str, Any]) -> None:
    exp = claims.get("exp")
    if exp is not None:
        if isinstance(exp, bool) or not isinstance(exp, int | float):
            raise TokenError("invalid exp claim")
        if exp <= time.time():
            raise TokenError("token expired")


def unverified_payload(token: str) -> dict[str, Any]:
    """Claims without checking the signature or which claims are there; rejects expired tokens."""
    _, claims, _, _ = _split(token)
    _check_times(claims)
    return claims


def unverified_claims(token: str) -> dict[str, Any]:
    """Claims without checking the signature; rejects expired and incomplete tokens."""
    claims = unverified_payload(token)
    for required in ("id", "collectionId", "type"):
        if not isinstance(claims.get(required), str) or not claims[required]:
            raise TokenError(f"missing {required} claim")
    return claims


class UnverifiedToken:
    """A token decoded once: its claims (times and required claims checked) and what
    :meth:`signed_with` needs, so a request's auth decodes its token one time."""

    __slots__ = ("claims", "_signature", "_signing_input", "_verified_key")

    def __init__(self, claims: dict[str, Any], signing_input: bytes, signature: bytes) -> None:
        self.claims = claims
        self._signing_input = signing_input
        self._signature = signature
        self._verified_key: str | None = None

    def signed_with(self, key: str) -> bool:
        """HS256 with ``key`` (timing-safe comparison)."""
        if key == self._verified_key:  # this token checked against this very key before
            return True
        # hmac.digest: OpenSSL's one-shot HMAC, no HMAC object (~30k instructions with
        # OpenSSL 3's algorithm fetch: hence the memo above)
        expected = hmac.digest(key.encode(), self._signing_input, "sha256")
        if not hmac.compare_digest(expected, self._signature):
            return False
        self._verified_key = key
        return True


# tokens seen lately, decoded (a client sends the same token with every request); the
# expiry is checked on every use, the signature against the key of every use
_DECODED: dict[str, UnverifiedToken] = {}
_DECODED_MAX = 4096


def read_unverified(token: str) -> UnverifiedToken:
    """:func:`unverified_claims` keeping the parts for a later signature check."""
    found = _DECODED.get(token)
    if found is None:
        _, claims, signing_input, signature = _split(token)
        for required in ("id", "collectionId", "type"):
            if not isinstance(claims.get(required), str) or not claims[required]:
                raise TokenError(f"missing {required} claim")
        found = UnverifiedToken(claims, signing_input, signature)
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        _DECODED[token] = found
    _check_times(found.claims)
    return found


def verify(token: str, key: str) -> dict[str, Any]:
    """Claims of a token signed with ``key`` (HS256, timing-safe comparison)."""
    _, claims, signing_input, signature = _split(token)
    expected = hmac.digest(key.encode(), signing_input, "sha256")
    if not hmac.compare_digest(expected, signature):
        raise TokenError("signature mismatch")
    _check_times(claims)
    return claims
