"""``text`` — a plain string; the ``id`` primary key is a text field too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._gocompat import (
    RegexError,
    go_regex_error,
    go_search,
    random_string_by_regex,
    to_string,
)
from satchel.core.fields.base import (
    MAX_SAFE_JSON_INT,
    ColumnKind,
    Field,
    FieldContext,
    check_int_range,
    required_error,
)
from satchel.errors import ValidationError

__all__ = ["DEFAULT_ID_PATTERN", "TEXT_DEFAULT_MAX", "TextField"]

DEFAULT_ID_PATTERN = "^[a-z0-9]+$"
TEXT_DEFAULT_MAX = 5000

FORBIDDEN_PK_CHARACTERS = (".", "/", "\\", "|", '"', "'", "`", "<", ">", ":", "?", "*", "%", "$", "\x00", "\t", "\n", "\r", " ")
RESERVED_PKS = ("CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10)))


def regex_settings_error(pattern: str) -> ValidationError | None:
    """``validators.IsRegex``."""
    if not pattern:
        return None
    message = go_regex_error(pattern)
    if message is None:
        return None
    return ValidationError("validation_invalid_regex", _sentenize(message))


def _sentenize(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


@dataclass(kw_only=True)
class TextField(Field):
    """Text with length bounds, a pattern and an optional generated value (``text``)."""
    type: ClassVar[str] = "text"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("autogeneratePattern", "str"),
        ("help", "str"),
        ("max", "int"),
        ("min", "int"),
        ("pattern", "str"),
        ("primaryKey", "bool"),
        ("required", "bool"),
    )

    help: str = ""
    required: bool = False
    min: int = 0
    max: int = 0
    pattern: str = ""
    autogeneratePattern: str = ""
    primaryKey: bool = False

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.PRIMARY_KEY if self.primaryKey else ColumnKind.TEXT

    def legacy_options(self) -> dict[str, Any]:
        return {"min": self.min or None, "max": self.max or None, "pattern": self.pattern}

    # -- settings

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        if self.primaryKey and "name" not in errors and self.name != "id":
            errors["name"] = ValidationError("validation_in_invalid", 'The primary key must be named "id".')
        if self.primaryKey and ctx.fields:
            total = sum(1 for f in ctx.fields if isinstance(f, TextField) and f.primaryKey)
            if total > 1:
                errors["primaryKey"] = ValidationError(
                    "validation_unsupported_composite_pk",
                    "Composite PKs are not supported and the collection must have only 1 PK.",
                )
        err = check_int_range(self.min, 0, MAX_SAFE_JSON_INT)
        if err:
            errors["min"] = err
        err = check_int_range(self.max, self.min, MAX_SAFE_JSON_INT)
        if err:
            errors["max"] = err
        if self.primaryKey and not self.pattern:
            errors["pattern"] = required_error()
        else:
            err = regex_settings_error(self.pattern)
            if err:
                errors["pattern"] = err
        if self.primaryKey and self.hidden:
            errors["hidden"] = ValidationError("validation_empty", "Must be blank.")
        if self.primaryKey and not self.required:
            errors["required"] = required_error()
        err = regex_settings_error(self.autogeneratePattern) or self._check_autogenerate()
        if err:
            errors["autogeneratePattern"] = err

    def _check_autogenerate(self) -> ValidationError | None:
        if not self.autogeneratePattern:
            return None
        for _ in range(10):
            try:
                generated = random_string_by_regex(self.autogeneratePattern)
            except RegexError as exc:
                return ValidationError("validation_invalid_autogenerate_pattern", _sentenize(str(exc)))
            if self.validate_plain_value(generated) is not None:
                quoted = '"' + generated.replace("\\", "\\\\").replace('"', '\\"') + '"'
                return ValidationError(
                    "validation_invalid_autogenerate_pattern_value",
                    f"The provided autogenerate pattern could produce invalid field values, ex.: {quoted}.",
                )
        return None

    # -- values

    def prepare_value(self, raw: Any) -> str:
        return to_string(raw)

    def generate(self, prefix: str = "") -> str:
        """``prefix`` + a value from ``autogeneratePattern`` (just ``prefix`` when unset)."""
        if not self.autogeneratePattern:
            return prefix
        try:
            return prefix + random_string_by_regex(self.autogeneratePattern)
        except RegexError:
            return prefix

    def autogenerate_if_empty(self, value: str, *, is_new: bool) -> str:
        """The create-time fill-in: a new record's empty value gets a generated one."""
        if is_new and value == "" and self.autogeneratePattern:
            return self.generate()
        return value

    @property
    def needs_pk_uniqueness_check(self) -> bool:
        """A non-default PK pattern asks the caller for a case-insensitive id lookup
        (``validation_pk_invalid`` "The record primary key is invalid or already exists.")."""
        return self.primaryKey and self.pattern != DEFAULT_ID_PATTERN

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not isinstance(value, str):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        if self.primaryKey and not is_new:
            old = "" if original is None else str(original)
            if old != value:
                return ValidationError("validation_pk_change", "The record primary key cannot be changed.")
            if old:
                return None
        return self.validate_plain_value(value)

    def validate_plain_value(self, value: str) -> ValidationError | None:
        if (self.required or self.primaryKey) and value == "":
            return required_error()
        if value == "":
            return None
        length = len(value)
        if self.min > 0 and length < self.min:
            return ValidationError(
                "validation_min_text_constraint", f"Must be at least {self.min} character(s).", {"min": self.min}
            )
        limit = self.max or TEXT_DEFAULT_MAX
        if limit > 0 and length > limit:
            return ValidationError(
                "validation_max_text_constraint", f"Must be no more than {limit} character(s).", {"max": limit}
            )
        if self.pattern and not go_search(self.pattern, value):
            return ValidationError("validation_invalid_format", "Invalid value format.")
        if self.primaryKey and self.pattern != DEFAULT_ID_PATTERN:
            for ch in FORBIDDEN_PK_CHARACTERS:
                if ch in value:
                    return ValidationError(
                        "validation_forbidden_pk_character",
                        f"'{ch}' is not a valid primary key character.",
                        {"ch": ch},
                    )
            if length <= 4:
                for reserved in RESERVED_PKS:
                    if value.upper() == reserved:
                        return ValidationError(
                            "validation_reserved_pk",
                            f"The primary key '{reserved}' is reserved and cannot be used.",
                            {"reserved": reserved},
                        )
        return None

    def to_db(self, value: Any) -> str:
        return to_string(value)

    def from_db(self, raw: Any) -> str:
        return to_string(raw)

