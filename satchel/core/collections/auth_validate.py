"""Validation of the auth collection options (spec 10 §1), PocketBase's codes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from satchel.core.collections import rules
from satchel.core.collections.model import TOKEN_KEYS, Collection
from satchel.errors import ErrorTree, ValidationError
from satchel.tools.dbutils import find_single_column_unique_index

__all__ = ["KNOWN_PROVIDERS", "validate_auth_options"]

REQUIRED = ValidationError("validation_required", "Cannot be blank.")
TEMPLATE_KEYS = ("verificationTemplate", "resetPasswordTemplate", "confirmEmailChangeTemplate")
KNOWN_PROVIDERS = (
    "apple", "google", "microsoft", "yandex", "facebook", "instagram2", "github", "gitlab", "bitbucket",
    "gitee", "gitea", "discord", "twitter", "kakao", "vk", "linear", "notion", "monday", "box", "spotify",
    "trakt", "twitch", "patreon", "strava", "wakatime", "livechat", "mailcow", "planningcenter", "oidc",
    "oidc2", "oidc3", "lark",
)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    return 0


def _range(value: Any, lo: int, hi: int) -> ValidationError | None:
    n = _int(value)
    if n == 0:
        return REQUIRED
    if n < lo:
        return ValidationError("validation_min_greater_equal_than_required", f"Must be no less than {lo}.", {"threshold": lo})
    if n > hi:
        return ValidationError("validation_max_less_equal_than_required", f"Must be no greater than {hi}.", {"threshold": hi})
    return None


def _template(t: Any) -> ErrorTree:
    t = t if isinstance(t, Mapping) else {}
    errs: ErrorTree = {}
    for key in ("subject", "body"):
        if not str(t.get(key) or "").strip():
            errs[key] = REQUIRED
    return errs


def _token(t: Any) -> ErrorTree:
    t = t if isinstance(t, Mapping) else {}
    errs: ErrorTree = {}
    secret = str(t.get("secret") or "")
    if not secret:
        errs["secret"] = REQUIRED
    elif not 30 <= len(secret) <= 255:
        errs["secret"] = ValidationError(
            "validation_length_out_of_range", "The length must be between 30 and 255.", {"max": 255, "min": 30}
        )
    err = _range(t.get("duration"), 10, 94670856)
    if err:
        errs["duration"] = err
    return errs


def _providers(oauth2: Mapping[str, Any]) -> ErrorTree:
    errs: ErrorTree = {}
    seen: set[str] = set()
    for i, p in enumerate(oauth2.get("providers") or []):
        p = p if isinstance(p, Mapping) else {}
        item: ErrorTree = {}
        name = str(p.get("name") or "")
        if not name:
            item["name"] = REQUIRED
        elif name not in KNOWN_PROVIDERS:
            item["name"] = ValidationError(
                "validation_missing_provider", f"Invalid or missing provider with name {name}.", {"name": name}
            )
        elif name in seen:
            item["name"] = ValidationError(
                "validation_duplicated_provider", f"The provider {name} is already registered.", {"name": name}
            )
        seen.add(name)
        for key in ("clientId", "clientSecret"):
            if not p.get(key):
                item[key] = REQUIRED
        if item:
            errs[str(i)] = item
    return {"providers": errs} if errs else {}


def _anonymous_auth(c: Collection, value: Any) -> ErrorTree | ValidationError | None:
    """``anonymousAuth`` (Satchel's extension, spec 14 §7): ``{"enabled": bool}``,
    never enabled on ``_superusers``; a missing key means disabled."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return ValidationError("validation_invalid_value", "Must be an object with an \"enabled\" boolean.")
    enabled = value.get("enabled", False)
    if not isinstance(enabled, bool):
        return {"enabled": ValidationError("validation_invalid_value", "Must be a boolean.")}
    if enabled and c.name == "_superusers":
        return {
            "enabled": ValidationError(
                "validation_anonymous_auth_superusers", "Anonymous auth can't be enabled for the superusers collection."
            )
        }
    return None


def validate_auth_options(c: Collection, lookup: Callable[[str], Collection | None]) -> ErrorTree:
    o = c.options
    errors: ErrorTree = {}
    auth_rule = o.get("authRule")
    if auth_rule:
        problem = rules.check_rule(str(auth_rule), c, lookup)
        if problem:
            errors["authRule"] = ValidationError("validation_invalid_rule", f"Invalid rule. Raw error: {problem}.")
    manage_rule = o.get("manageRule")
    if manage_rule is not None:
        if not str(manage_rule).strip():
            errors["manageRule"] = ValidationError("validation_nil_or_not_empty_required", "Cannot be blank.")
        else:
            problem = rules.check_rule(str(manage_rule), c, lookup)
            if problem:
                errors["manageRule"] = ValidationError("validation_invalid_rule", f"Invalid rule. Raw error: {problem}.")
    alert = o.get("authAlert") or {}
    alert_errs = _template(alert.get("emailTemplate"))
    if alert_errs:
        errors["authAlert"] = {"emailTemplate": alert_errs}
    password_auth = o.get("passwordAuth") or {}
    if password_auth.get("enabled") and not password_auth.get("identityFields"):
        errors["passwordAuth"] = {"identityFields": REQUIRED}
    oauth2 = o.get("oauth2") or {}
    if oauth2.get("enabled"):
        provider_errs = _providers(oauth2)
        if provider_errs:
            errors["oauth2"] = provider_errs
    otp = o.get("otp") or {}
    otp_errs: ErrorTree = {}
    if otp.get("enabled"):
        err = _range(otp.get("duration"), 10, 86400)
        if err:
            otp_errs["duration"] = err
        length = _int(otp.get("length"))
        if length == 0:
            otp_errs["length"] = REQUIRED
        elif length < 4:
            otp_errs["length"] = ValidationError("validation_min_greater_equal_than_required", "Must be no less than 4.", {"threshold": 4})
    template_errs = _template(otp.get("emailTemplate"))
    if template_errs:
        otp_errs["emailTemplate"] = template_errs
    if otp_errs:
        errors["otp"] = otp_errs
    mfa = o.get("mfa") or {}
    if mfa.get("enabled"):
        err = _range(mfa.get("duration"), 10, 86400)
        if err:
            errors["mfa"] = {"duration": err}
    for key in TOKEN_KEYS:
        token_errs = _token(o.get(key))
        if token_errs:
            errors[key] = token_errs
    for key in TEMPLATE_KEYS:
        tmpl_errs = _template(o.get(key))
        if tmpl_errs:
            errors[key] = tmpl_errs
    anonymous_err = _anonymous_auth(c, o.get("anonymousAuth"))
    if anonymous_err:
        errors["anonymousAuth"] = anonymous_err
    if errors:
        return errors

    if mfa.get("enabled"):
        enabled = sum(bool((o.get(k) or {}).get("enabled")) for k in ("passwordAuth", "oauth2", "otp"))
        if enabled < 2:
            return {"mfa": {"enabled": ValidationError("validation_mfa_not_enough_auths", "MFA requires at least 2 auth methods to be enabled.")}}
        if mfa.get("rule"):
            problem = rules.check_rule(str(mfa["rule"]), c, lookup)
            if problem:
                return {"mfa": {"rule": ValidationError("validation_invalid_rule", f"Invalid rule. Raw error: {problem}.")}}
    if password_auth.get("enabled"):
        for name in dict.fromkeys(password_auth.get("identityFields") or []):
            if c.field(str(name)) is None:
                return {
                    "passwordAuth": {
                        "identityFields": ValidationError(
                            "validation_missing_field", f"Invalid or missing field {name}.", {"fieldName": name}
                        )
                    }
                }
            if find_single_column_unique_index(c.indexes, str(name)) is None:
                return {
                    "passwordAuth": {
                        "identityFields": ValidationError(
                            "validation_missing_unique_constraint",
                            f"The field {name} doesn't have a UNIQUE constraint.",
                            {"fieldName": name},
                        )
                    }
                }
    return {}
