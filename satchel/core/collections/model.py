"""The collection model: what a collection is, and its JSON shapes.

A collection is kept as one :class:`Collection` value.  ``options`` holds the
type-specific keys exactly as PocketBase stores them in ``_collections.options``
(``viewQuery`` for views, the auth options with their secrets for auth
collections); the API view strips the secrets.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from satchel.core.fields import Field, field_from_dict

__all__ = [
    "AUTH_OPTION_KEYS",
    "BASE",
    "AUTH",
    "VIEW",
    "COLLECTION_TYPES",
    "HIDDEN_WHEN_DEFAULT",
    "RULE_KEYS",
    "TOKEN_KEYS",
    "Collection",
    "default_collection_id",
    "strip_secrets",
]

BASE, AUTH, VIEW = "base", "auth", "view"
COLLECTION_TYPES = (BASE, AUTH, VIEW)
RULE_KEYS = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")
TOKEN_KEYS = ("authToken", "passwordResetToken", "emailChangeToken", "verificationToken", "fileToken")
# Struct order of the auth options as PocketBase emits them.
AUTH_OPTION_KEYS = (
    "authRule",
    "manageRule",
    "authAlert",
    "oauth2",
    "passwordAuth",
    "mfa",
    "otp",
    "authToken",
    "passwordResetToken",
    "emailChangeToken",
    "verificationToken",
    "fileToken",
    "verificationTemplate",
    "resetPasswordTemplate",
    "confirmEmailChangeTemplate",
    # Satchel's extension (spec 14 §7), last so PocketBase's own order is untouched;
    # shown only when it differs from its default (see ``to_api_dict``).
    "anonymousAuth",
)
# Extension options and the value at which the API leaves them out, so that
# PocketBase-shaped output stays identical for everyone who doesn't use them.
HIDDEN_WHEN_DEFAULT: dict[str, Any] = {"anonymousAuth": {"enabled": False}}


def default_collection_id(type_: str, name: str, taken: Iterable[str] = ()) -> str:
    """``pbc_`` + decimal CRC-32 of type+name, with 2, 3, ... appended on a clash."""
    base = f"pbc_{zlib.crc32((type_ + name).encode())}"
    taken_set = set(taken)
    candidate, n = base, 2
    while candidate in taken_set:
        candidate = f"{base}{n}"
        n += 1
    return candidate


def strip_secrets(options: Mapping[str, Any]) -> dict[str, Any]:
    """Auth options as the API shows them: token secrets and OAuth2 client secrets removed."""
    out = copy.deepcopy(dict(options))
    for key in TOKEN_KEYS:
        token = out.get(key)
        if isinstance(token, dict):
            token.pop("secret", None)
    oauth2 = out.get("oauth2")
    if isinstance(oauth2, dict) and isinstance(oauth2.get("providers"), list):
        oauth2["providers"] = [_provider_view(p) if isinstance(p, dict) else p for p in oauth2["providers"]]
    return out


def _provider_view(provider: Mapping[str, Any]) -> dict[str, Any]:
    """An OAuth2 provider as PocketBase shows it: every key of its struct, in its order,
    the ones never set at their zero value (``pkce`` stays null: "not set"); no secret."""
    view: dict[str, Any] = {"pkce": provider.get("pkce")}
    view.update((key, provider.get(key) or "") for key in _PROVIDER_TEXT_KEYS)
    view["extra"] = provider.get("extra") or {}
    return view


_PROVIDER_TEXT_KEYS = ("name", "clientId", "authURL", "tokenURL", "userInfoURL", "displayName")


@dataclass
class Collection:
    """One collection: its fields, rules, indexes and type-specific options."""
    id: str
    name: str
    type: str = BASE
    system: bool = False
    fields: list[Field] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    listRule: str | None = None
    viewRule: str | None = None
    createRule: str | None = None
    updateRule: str | None = None
    deleteRule: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    updated: str = ""

    # -- lookups -----------------------------------------------------------

    @property
    def is_auth(self) -> bool:
        return self.type == AUTH

    @property
    def is_view(self) -> bool:
        return self.type == VIEW

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def field_by_id(self, field_id: str) -> Field | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None

    def rule(self, key: str) -> str | None:
        value = getattr(self, key, None)
        if key in ("authRule", "manageRule"):
            value = self.options.get(key)
        return value if value is None else str(value)

    @property
    def view_query(self) -> str:
        return str(self.options.get("viewQuery", ""))

    # -- serialization -----------------------------------------------------

    def to_api_dict(self, *, legacy_keys: bool = False) -> dict[str, Any]:
        """The collection JSON of the API, in PocketBase's struct order.

        With ``legacy_keys`` the v0.22 keys ``schema`` and ``options`` follow, for
        the legacy clients only (SDK 0.21 reads them); everyone else gets
        PocketBase 0.40's body exactly.
        """
        out: dict[str, Any] = {
            "id": self.id,
            "listRule": self.listRule,
            "viewRule": self.viewRule,
            "createRule": self.createRule,
            "updateRule": self.updateRule,
            "deleteRule": self.deleteRule,
            "name": self.name,
            "type": self.type,
            "fields": [f.to_dict() for f in self.fields],
            "indexes": list(self.indexes),
            "created": self.created,
            "updated": self.updated,
            "system": self.system,
        }
        if self.is_view:
            out["viewQuery"] = self.view_query
        elif self.is_auth:
            public = strip_secrets(self.options)
            for key in AUTH_OPTION_KEYS:
                if key in public and not (key in HIDDEN_WHEN_DEFAULT and public[key] == HIDDEN_WHEN_DEFAULT[key]):
                    out[key] = public[key]
        if legacy_keys:
            from satchel.core.collections.legacy import legacy_collection_keys

            out.update(legacy_collection_keys(self))
        return out

    def to_row(self) -> dict[str, Any]:
        """Column values of the ``_collections`` row (fields/indexes/options as Python data)."""
        return {
            "id": self.id,
            "system": self.system,
            "type": self.type,
            "name": self.name,
            "fields": [f.to_dict() for f in self.fields],
            "indexes": list(self.indexes),
            "listRule": self.listRule,
            "viewRule": self.viewRule,
            "createRule": self.createRule,
            "updateRule": self.updateRule,
            "deleteRule": self.deleteRule,
            "options": self.options,
            "created": self.created,
            "updated": self.updated,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Collection:
        """Build from a ``_collections`` row whose JSON columns are already decoded."""
        options = dict(row.get("options") or {})
        return cls(
            id=str(row["id"]),
            name=str(row["name"]),
            type=str(row.get("type") or BASE),
            system=bool(row.get("system")),
            fields=[field_from_dict(f) for f in (row.get("fields") or [])],
            indexes=[str(i) for i in (row.get("indexes") or [])],
            listRule=row.get("listRule"),
            viewRule=row.get("viewRule"),
            createRule=row.get("createRule"),
            updateRule=row.get("updateRule"),
            deleteRule=row.get("deleteRule"),
            options=options,
            created=str(row.get("created") or ""),
            updated=str(row.get("updated") or ""),
        )

    def clone(self) -> Collection:
        return copy.deepcopy(self)
