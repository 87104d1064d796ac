"""``email`` — one address; optional domain allow/deny lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from satchel.core.fields._domains import domain_settings_errors
from satchel.core.fields._gocompat import to_string
from satchel.core.fields.base import Field, FieldContext, required_error
from satchel.errors import ValidationError
from satchel.tools.lazy_re import LazyPattern

__all__ = ["EmailField", "is_email"]

# govalidator ``rxEmail`` (used by ozzo ``is.EmailFormat``), with its character ranges.
_U = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
_ATOM = rf"[a-zA-Z0-9!#$%&'*+\-/=?^_`{{|}}~{_U}]"
_QTEXT = rf"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e{_U}]"
_QPAIR = rf"\\[\x01-\x09\x0b\x0c\x0d-\x7f{_U}]"
_FWS = r"(?:(?:[\x20\x09]*\x0d\x0a)?[\x20\x09]+)"
_LOCAL = rf"(?:{_ATOM}+(?:\.{_ATOM}+)*|\x22(?:{_FWS}?(?:{_QTEXT}|{_QPAIR}))*{_FWS}?\x22)"
_LDH = rf"[a-zA-Z0-9{_U}]"
_LABEL = rf"(?:{_LDH}|{_LDH}[a-zA-Z0-9\-._~{_U}]*{_LDH})"
_TLD_CH = rf"[a-zA-Z{_U}]"
_TLD = rf"(?:{_TLD_CH}|{_TLD_CH}[a-zA-Z0-9\-._~{_U}]*{_TLD_CH})"
_EMAIL_RE = LazyPattern(rf"{_LOCAL}@(?:{_LABEL}\.)+{_TLD}\.?")


def is_email(value: str) -> bool:
    return _EMAIL_RE.fullmatch(value) is not None


@dataclass(kw_only=True)
class EmailField(Field):
    """An email address, with allowed or excluded domains (``email``)."""
    type: ClassVar[str] = "email"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("exceptDomains", "strlist"),
        ("help", "str"),
        ("onlyDomains", "strlist"),
        ("required", "bool"),
    )

    help: str = ""
    required: bool = False
    exceptDomains: list[str] = field(default_factory=list)
    onlyDomains: list[str] = field(default_factory=list)

    def legacy_options(self) -> dict[str, Any]:
        return {"exceptDomains": list(self.exceptDomains) or None, "onlyDomains": list(self.onlyDomains) or None}

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        domain_settings_errors(self.exceptDomains, self.onlyDomains, errors)

    def prepare_value(self, raw: Any) -> str:
        return to_string(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not isinstance(value, str):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        if value == "":
            return required_error() if self.required else None
        if not is_email(value):
            return ValidationError("validation_is_email", "Must be a valid email address.")
        domain = value[value.rfind("@") + 1 :]
        if (self.onlyDomains and domain not in self.onlyDomains) or (
            self.exceptDomains and domain in self.exceptDomains
        ):
            return ValidationError("validation_email_domain_not_allowed", "Email domain is not allowed.")
        return None

    def to_db(self, value: Any) -> str:
        return to_string(value)

    def from_db(self, raw: Any) -> str:
        return to_string(raw)
