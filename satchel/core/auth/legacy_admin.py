"""PocketBase 0.22's admin tokens, issued for and checked against ``_superusers`` records.

SDK 0.21 (the user's guide) logs in with ``/api/admins/auth-with-password`` and then
sends that token everywhere a superuser may go.  Its claims are ``{exp, id, type:"admin"}``
(no ``collectionId``); the key is the record's tokenKey + the ``_superusers``
authToken secret, or the fileToken secret for the file token 0.22 gave admins, so a
password change or a new secret revokes them exactly like v0.40 superuser tokens.
Pure: loading the record is the caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from satchel.core.auth.tokens import TokenError, create_token, secret_key_for, unverified_payload
from satchel.core.collections.model import Collection

__all__ = ["ADMIN_TYPE", "admin_claims", "admin_key", "admin_token"]

ADMIN_TYPE = "admin"


def admin_claims(token: str) -> dict[str, Any]:
    """Unverified claims of a 0.22 admin token (auth or file); TokenError for anything else."""
    claims = unverified_payload(token)
    if claims.get("type") != ADMIN_TYPE or not isinstance(claims.get("id"), str) or not claims["id"]:
        raise TokenError("not an admin token")
    return claims


def admin_key(c: Collection, record: Mapping[str, Any], kind: str = "auth") -> str:
    """The signing key of an admin token of ``kind`` (``auth`` or ``file``); "" when unset."""
    secret, _ = secret_key_for(c.options, kind)
    return str(record.get("tokenKey") or "") + secret if secret else ""


def admin_token(c: Collection, record: Mapping[str, Any], kind: str = "auth") -> str:
    """A 0.22-shaped admin token of ``kind``, living as long as the collection's token of that kind."""
    _, duration = secret_key_for(c.options, kind)
    return create_token({"id": record["id"], "type": ADMIN_TYPE}, admin_key(c, record, kind), duration)
