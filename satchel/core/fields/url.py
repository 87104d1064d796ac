"""``url`` — one URL (any scheme); optional host allow/deny lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from satchel.core.fields._domains import domain_settings_errors
from satchel.core.fields._gocompat import to_string
from satchel.core.fields.base import Field, FieldContext, required_error
from satchel.errors import ValidationError
from satchel.tools.lazy_re import LazyPattern

__all__ = ["URLField", "is_url", "url_host"]

# govalidator ``IsURL`` (used by ozzo ``is.URL``).
_IP6 = r"\[[0-9A-Fa-f:.%]+\]"
_U = "\u00a1-\uffff"
_URL_RE = LazyPattern(
    r"((ftp|tcp|udp|wss?|https?)://)?"
    r"(\S+(:\S*)?@)?"
    r"(("
    r"([1-9]\d?|1\d\d|2[01]\d|22[0-3]|24\d|25[0-5])(\.(\d{1,2}|1\d\d|2[0-4]\d|25[0-5])){2}(?:\.([0-9]\d?|1\d\d|2[0-4]\d|25[0-5]))"
    rf"|({_IP6})"
    r"|(([a-zA-Z0-9]([a-zA-Z0-9-_]+)?[a-zA-Z0-9]([-.][a-zA-Z0-9]+)*)"
    r"|(((www\.)|([a-zA-Z0-9]+([-_.]?[a-zA-Z0-9])*[a-zA-Z0-9]\.[a-zA-Z0-9]+))?))?"
    rf"(([a-zA-Z{_U}0-9]+-?-?)*[a-zA-Z{_U}0-9]+)(?:\.([a-zA-Z{_U}]{{1,}}))?"
    r"))\.?"
    r"(:(\d{1,5}))?"
    r"((/|\?|#)[^\s]*)?",
)


def _split(value: str) -> tuple[str, str] | None:
    """(host, path) like Go's ``url.Parse``; ``None`` when it fails."""
    if any(c in value for c in " \t\n\r\x00\x7f"):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    port = host.rsplit("]", 1)[-1]
    if ":" in port and not port.rsplit(":", 1)[1].isdigit() and port.rsplit(":", 1)[1] != "":
        return None
    return host, parts.path


def url_host(value: str) -> str:
    """``url.Parse(v).Host`` (host with port)."""
    split = _split(value)
    return split[0] if split else ""


def is_url(value: str) -> bool:
    if not value or len(value) >= 2083 or len(value.encode("utf-8")) <= 3 or value.startswith("."):
        return False
    temp = value
    if ":" in value and "://" not in value:
        temp = "http://" + value
    split = _split(temp)
    if split is None:
        return False
    host, path = split
    if host.startswith("."):
        return False
    if host == "" and path != "" and "." not in path:
        return False
    return _URL_RE.fullmatch(value) is not None


@dataclass(kw_only=True)
class URLField(Field):
    """A URL, with allowed or excluded domains (``url``)."""
    type: ClassVar[str] = "url"
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
        if not is_url(value):
            return ValidationError("validation_invalid_url", "Must be a valid url.")
        host = url_host(value)
        if (self.onlyDomains and host not in self.onlyDomains) or (self.exceptDomains and host in self.exceptDomains):
            return ValidationError("validation_url_domain_not_allowed", "Url domain is not allowed.")
        return None

    def to_db(self, value: Any) -> str:
        return to_string(value)

    def from_db(self, raw: Any) -> str:
        return to_string(raw)
