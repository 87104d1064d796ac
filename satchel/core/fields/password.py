"""``password`` — a bcrypt hash; the plain value is only validated, never returned.

Hashing is the caller's job: :meth:`PasswordField.prepare_value` keeps the plain
text in a :class:`PasswordValue`; set ``hash`` (with :attr:`PasswordField.hash_cost`)
before :meth:`to_db`.  An empty plain value means "no change" for an existing record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._gocompat import go_search, to_string
from satchel.core.fields.base import Field, FieldContext, check_int_range, required_error
from satchel.core.fields.text import regex_settings_error
from satchel.errors import ValidationError

__all__ = ["BCRYPT_DEFAULT_COST", "PASSWORD_MAX_LENGTH", "PasswordField", "PasswordValue"]

PASSWORD_MAX_LENGTH = 71
BCRYPT_DEFAULT_COST = 10
BCRYPT_MIN_COST = 4
BCRYPT_MAX_COST = 31


@dataclass
class PasswordValue:
    """The record value: ``plain`` is set on write, ``hash`` is what is stored."""

    plain: str = ""
    hash: str = ""


@dataclass(kw_only=True)
class PasswordField(Field):
    """A bcrypt hash of a password; never sent back (``password``)."""
    type: ClassVar[str] = "password"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("cost", "int"),
        ("help", "str"),
        ("max", "int"),
        ("min", "int"),
        ("pattern", "str"),
        ("required", "bool"),
    )

    help: str = ""
    required: bool = False
    min: int = 0
    max: int = 0
    pattern: str = ""
    cost: int = 0

    @property
    def hash_cost(self) -> int:
        return self.cost if self.cost > 0 else BCRYPT_DEFAULT_COST

    def legacy_options(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max, "pattern": self.pattern, "cost": self.cost}

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        checks = (
            ("min", check_int_range(self.min, 1, PASSWORD_MAX_LENGTH)),
            ("max", check_int_range(self.max, self.min, PASSWORD_MAX_LENGTH)),
            ("cost", check_int_range(self.cost, BCRYPT_MIN_COST, BCRYPT_MAX_COST)),
            ("pattern", regex_settings_error(self.pattern)),
        )
        for key, err in checks:
            if err:
                errors[key] = err

    def prepare_value(self, raw: Any) -> PasswordValue:
        if isinstance(raw, PasswordValue):
            return raw
        return PasswordValue(plain=to_string(raw))

    def stored_value(self, raw: Any) -> PasswordValue:
        """A value loaded from the database (the hash only)."""
        text = to_string(raw)
        return PasswordValue(hash=text if text.startswith("$2") else "")

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not isinstance(value, PasswordValue):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        if self.required and not (value.hash or value.plain):
            return required_error()
        if value.plain == "":
            return None
        length = len(value.plain)
        if length < self.min:
            return ValidationError("validation_min_text_constraint", f"Must be at least {self.min} character(s).")
        limit = self.max if self.max > 0 else PASSWORD_MAX_LENGTH
        if length > limit:
            return ValidationError("validation_max_text_constraint", f"Must be less than {limit} character(s).")
        if self.pattern and not go_search(self.pattern, value.plain):
            return ValidationError("validation_invalid_format", "Invalid value format.")
        return None

    def to_db(self, value: Any) -> str:
        if isinstance(value, PasswordValue):
            return value.hash
        text = to_string(value)
        return text if text.startswith("$2") else ""

    def from_db(self, raw: Any) -> str:
        """The API value: always ``""`` (use :meth:`stored_value` for the hash)."""
        return ""

    def to_json(self, value: Any) -> str:
        return ""

    def is_empty_value(self, value: Any) -> bool:
        return not (isinstance(value, PasswordValue) and (value.hash or value.plain))
