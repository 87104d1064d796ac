"""The v0.22 collection shape: reading it into the model and writing it back.

The user's guide posts collections with ``schema`` and nested field
``options``; SDK 0.21 reads ``schema`` and ``options``.  Both are converted
here with the mapping PocketBase's own v0.23 upgrade migration uses
(spec 11 §B.5, 14 §1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from satchel.core.fields import Field, legacy_schema_to_fields

if TYPE_CHECKING:
    from satchel.core.collections.model import Collection

__all__ = ["apply_legacy_payload", "is_legacy_payload", "legacy_collection_keys"]

IMPLICIT_BASE = ("id", "created", "updated")
IMPLICIT_AUTH = ("password", "tokenKey", "email", "emailVisibility", "verified")


def is_legacy_payload(payload: Mapping[str, Any]) -> bool:
    return "fields" not in payload and ("schema" in payload or isinstance(payload.get("options"), Mapping))


def _legacy_auth_options(c: Collection, opts: Mapping[str, Any]) -> None:
    o = c.options
    if "manageRule" in opts:
        o["manageRule"] = opts["manageRule"]
    if "onlyVerified" in opts:
        o["authRule"] = "verified=true" if opts["onlyVerified"] else ""
    email_auth = opts.get("allowEmailAuth")
    username_auth = opts.get("allowUsernameAuth")
    if email_auth is not None or username_auth is not None:
        identity: list[str] = []
        if email_auth:
            identity.append("email")
        if username_auth and c.field("username") is not None:
            identity.append("username")
        o.setdefault("passwordAuth", {})["identityFields"] = identity or ["email"]
        o["passwordAuth"]["enabled"] = bool(email_auth or username_auth)
    if "allowOAuth2Auth" in opts:
        o.setdefault("oauth2", {})["enabled"] = bool(opts["allowOAuth2Auth"])
    email = c.field("email")
    if email is not None:
        if "requireEmail" in opts:
            email.required = bool(opts["requireEmail"])  # type: ignore[attr-defined]
        if opts.get("onlyEmailDomains") is not None:
            email.onlyDomains = list(opts["onlyEmailDomains"] or [])  # type: ignore[attr-defined]
        if opts.get("exceptEmailDomains") is not None:
            email.exceptDomains = list(opts["exceptEmailDomains"] or [])  # type: ignore[attr-defined]
    password = c.field("password")
    if password is not None and isinstance(opts.get("minPasswordLength"), int):
        password.min = opts["minPasswordLength"]  # type: ignore[attr-defined]


def apply_legacy_payload(
    c: Collection,
    payload: Mapping[str, Any],
    lookup: Callable[[str], Collection | None],
    *,
    is_new: bool,
) -> None:
    """Convert ``schema``/``options`` onto ``c``: user fields replaced, implicit ones kept."""

    def resolve(ref: str) -> str | None:
        found = lookup(ref)
        return found.id if found is not None else None

    if isinstance(payload.get("schema"), list):
        converted = legacy_schema_to_fields(payload["schema"], resolve)
        implicit = IMPLICIT_BASE + (IMPLICIT_AUTH if c.is_auth else ())
        kept_head = [f for f in c.fields if f.name == "id"]
        kept_system = [f for f in c.fields if f.name in implicit and f.name not in ("id", "created", "updated")]
        old_by_name = {f.name.lower(): f for f in c.fields}
        user_fields: list[Field] = []
        for f in converted:
            if f.name in implicit:
                continue
            same = old_by_name.get(f.name.lower())
            if same is not None and same.type == f.type and not f.id:
                f.id = same.id
            user_fields.append(f)
        tail = [f for f in c.fields if f.name in ("created", "updated") and f.type == "autodate"]
        if is_new or not tail:
            from satchel.core.fields.defaults import autodate_fields

            tail = autodate_fields() if not c.is_view else []
        c.fields = kept_head + kept_system + user_fields + tail
    opts = payload.get("options")
    if isinstance(opts, Mapping):
        if c.is_view and "query" in opts:
            c.options["viewQuery"] = str(opts["query"] or "")
        if c.is_auth:
            _legacy_auth_options(c, opts)


def legacy_collection_keys(c: Collection) -> dict[str, Any]:
    """``schema`` (user fields, nested options) and ``options`` as SDK 0.21 reads them."""
    implicit = IMPLICIT_BASE + (IMPLICIT_AUTH if c.is_auth else ())
    schema = [f.to_legacy_dict() for f in c.fields if not (f.system and f.name in implicit) and f.name not in implicit]
    options: dict[str, Any]
    if c.is_view:
        options = {"query": c.view_query}
    elif c.is_auth:
        o = c.options
        identity = (o.get("passwordAuth") or {}).get("identityFields") or []
        enabled = bool((o.get("passwordAuth") or {}).get("enabled"))
        email = c.field("email")
        password = c.field("password")
        options = {
            "allowEmailAuth": enabled and "email" in identity,
            "allowOAuth2Auth": bool((o.get("oauth2") or {}).get("enabled")),
            "allowUsernameAuth": enabled and "username" in identity,
            "exceptEmailDomains": (getattr(email, "exceptDomains", None) or None) if email else None,
            "manageRule": o.get("manageRule"),
            "minPasswordLength": getattr(password, "min", 8) if password else 8,
            "onlyEmailDomains": (getattr(email, "onlyDomains", None) or None) if email else None,
            "onlyVerified": o.get("authRule") == "verified=true",
            "requireEmail": bool(getattr(email, "required", False)) if email else False,
        }
    else:
        options = {}
    return {"schema": schema, "options": options}
