"""Default options of auth collections and the rules forced on save.

The defaults (templates included) are the ones PocketBase 0.40.6 returns for a
new auth collection, kept as package data in ``auth_defaults.json`` (captured
from the binary, see tests/fixtures/pocketbase_040).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from satchel.core.collections.model import TOKEN_KEYS
from satchel.tools.security import random_string

__all__ = ["default_auth_options", "ensure_secrets", "force_superuser_options", "new_secret"]

SECRET_LENGTH = 50


@cache
def _defaults() -> dict[str, Any]:
    raw = Path(__file__).with_name("auth_defaults.json").read_bytes()
    data: dict[str, Any] = orjson.loads(raw)
    return data


def default_auth_options() -> dict[str, Any]:
    """A fresh copy of the options of a new auth collection (no secrets yet)."""
    return copy.deepcopy(_defaults()["options"])


def default_users_options() -> dict[str, Any]:
    """Options of the stock ``users`` collection (name/avatar OAuth2 mappings)."""
    options = default_auth_options()
    options["oauth2"]["mappedFields"].update({"name": "name", "avatarURL": "avatar"})
    return options


def new_secret() -> str:
    return random_string(SECRET_LENGTH)


def ensure_secrets(options: dict[str, Any]) -> None:
    """Give every token config a secret if it has none (new collections)."""
    for key in TOKEN_KEYS:
        token = options.setdefault(key, {})
        if isinstance(token, dict) and not token.get("secret"):
            token["secret"] = new_secret()


def force_superuser_options(options: dict[str, Any]) -> None:
    """``_superusers`` always has password auth on, no OAuth2, and MFA with OTP."""
    oauth2 = options.setdefault("oauth2", {})
    oauth2["enabled"] = False
    oauth2["providers"] = []
    password_auth = options.setdefault("passwordAuth", {})
    password_auth["enabled"] = True
    if (options.get("otp") or {}).get("enabled"):
        options.setdefault("mfa", {})["enabled"] = True
