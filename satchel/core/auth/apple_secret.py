"""The client secret of "Sign in with Apple": an ES256 JWT signed with the team's key
(``POST /api/settings/apple/generate-client-secret``), checked as PocketBase 0.40.6 checks
its form (codes, messages and params captured from the binary)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from satchel.errors import ValidationError

__all__ = ["AppleSecretForm", "AppleSecretLoadError", "MAX_DURATION", "generate", "load_form", "validate"]

MAX_DURATION = 15777000  # seconds: Apple's limit of six months
_PEM = re.compile(r"-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----")
_LEN = {"teamId": 10, "keyId": 10}


class AppleSecretLoadError(ValueError):
    """A key of the wrong JSON type (PocketBase cannot decode the body)."""


@dataclass(frozen=True, slots=True)
class AppleSecretForm:
    clientId: str = ""  # noqa: N815 - the JSON keys
    teamId: str = ""  # noqa: N815
    keyId: str = ""  # noqa: N815
    privateKey: str = ""  # noqa: N815
    duration: int = 0


def load_form(body: Mapping[str, Any]) -> AppleSecretForm:
    """The form from a JSON body; null keeps the zero value, as Go's decoder does."""
    values: dict[str, Any] = {}
    for key in ("clientId", "teamId", "keyId", "privateKey"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise AppleSecretLoadError(key)
        values[key] = value or ""
    duration = body.get("duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int)):
        raise AppleSecretLoadError("duration")
    values["duration"] = duration or 0
    return AppleSecretForm(**values)


def validate(form: AppleSecretForm) -> dict[str, ValidationError]:
    errors: dict[str, ValidationError] = {}
    for key in ("clientId", "teamId", "keyId", "privateKey"):
        value: str = getattr(form, key)
        if not value:
            errors[key] = ValidationError("validation_required", "Cannot be blank.")
        elif key in _LEN and len(value) != _LEN[key]:
            n = _LEN[key]
            errors[key] = ValidationError("validation_length_invalid", f"The length must be exactly {n}.",
                                          {"max": n, "min": n})
        elif key == "privateKey" and not _PEM.search(value):
            errors[key] = ValidationError("validation_match_invalid", "Must be in a valid format.")
    if not form.duration:
        errors["duration"] = ValidationError("validation_required", "Cannot be blank.")
    elif form.duration < 1:
        errors["duration"] = ValidationError("validation_min_greater_equal_than_required", "Must be no less than 1.",
                                             {"threshold": 1})
    elif form.duration > MAX_DURATION:
        errors["duration"] = ValidationError("validation_max_less_equal_than_required",
                                             f"Must be no greater than {MAX_DURATION}.", {"threshold": MAX_DURATION})
    return dict(sorted(errors.items()))


def generate(form: AppleSecretForm, now: float | None = None) -> str:
    """The signed secret; raises ValueError when the key cannot be used."""
    import jwt  # PyJWT with cryptography: ~70 ms of imports, only for this endpoint
    issued = int(now if now is not None else time.time())
    claims = {"aud": "https://appleid.apple.com", "exp": issued + form.duration, "iat": issued,
              "iss": form.teamId, "sub": form.clientId}
    try:
        return jwt.encode(claims, form.privateKey, algorithm="ES256", headers={"kid": form.keyId})
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc
