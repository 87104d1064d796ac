"""Shared ``onlyDomains``/``exceptDomains`` option checks of ``email`` and ``url``."""

from __future__ import annotations

import re
from typing import Any

from satchel.errors import ValidationError
from satchel.tools.lazy_re import LazyPattern

__all__ = ["domain_settings_errors"]

# ozzo-validation ``is.Domain``.
_DOMAIN_RE = LazyPattern(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{1,63}|xn--[a-z0-9]{1,59})", re.IGNORECASE)


def _each_domain(values: list[str]) -> dict[str, Any] | None:
    errors: dict[str, Any] = {}
    for i, value in enumerate(values):
        if value and (len(value) > 255 or not _DOMAIN_RE.fullmatch(value)):
            errors[str(i)] = ValidationError("validation_is_domain", "Must be a valid domain.")
    return errors or None


def domain_settings_errors(except_domains: list[str], only_domains: list[str], errors: dict[str, Any]) -> None:
    """Mutually exclusive lists of valid domains (``validation_empty`` on both when both set)."""
    for key, own, other in (("exceptDomains", except_domains, only_domains), ("onlyDomains", only_domains, except_domains)):
        if other and own:
            errors[key] = ValidationError("validation_empty", "Must be blank.")
        elif not other:
            each = _each_domain(own)
            if each:
                errors[key] = each
