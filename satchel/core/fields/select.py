"""``select`` — one or more values from a fixed list."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from satchel.core.fields._gocompat import to_unique_string_slice
from satchel.core.fields.base import (
    ColumnKind,
    Field,
    FieldContext,
    max_threshold_error,
    min_threshold_error,
    required_error,
)
from satchel.errors import ValidationError

__all__ = ["SelectField", "dump_string_list", "load_string_list", "normalize_multi"]


def dump_string_list(values: list[str]) -> str:
    """A JSON array of strings as stored in a ``JSON DEFAULT '[]'`` column."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def load_string_list(raw: Any) -> list[str]:
    """A stored multi value (JSON text, or a plain string after a single->multi switch)."""
    return to_unique_string_slice(raw)


def normalize_multi(raw: Any, multiple: bool) -> str | list[str]:
    """Unique non-empty strings; a single-value field keeps the **last** one."""
    values = to_unique_string_slice(raw)
    if multiple:
        return values
    return values[-1] if values else ""


def too_many(max_select: int) -> ValidationError:
    return ValidationError(
        "validation_too_many_values", f"Select no more than {max_select}.", {"maxSelect": max_select}
    )


@dataclass(kw_only=True)
class SelectField(Field):
    """One or several values out of a fixed list (``select``)."""
    type: ClassVar[str] = "select"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("help", "str"),
        ("maxSelect", "int"),
        ("required", "bool"),
        ("values", "strlist"),
    )

    help: str = ""
    required: bool = False
    values: list[str] = field(default_factory=list)
    maxSelect: int = 0

    @property
    def is_multiple(self) -> bool:
        return self.maxSelect > 1

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.JSON_ARRAY if self.is_multiple else ColumnKind.TEXT

    def legacy_options(self) -> dict[str, Any]:
        return {"maxSelect": self.maxSelect, "values": list(self.values)}

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        if not self.values:
            errors["values"] = required_error()
        limit = len(self.values) or 1
        if self.maxSelect < 0:
            errors["maxSelect"] = min_threshold_error(0)
        elif self.maxSelect > limit:
            errors["maxSelect"] = max_threshold_error(limit)

    def prepare_value(self, raw: Any) -> str | list[str]:
        return normalize_multi(raw, self.is_multiple)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        selected = to_unique_string_slice(value)
        if not selected:
            return required_error() if self.required else None
        max_select = max(self.maxSelect, 1)
        if len(selected) > max_select:
            return too_many(max_select)
        for item in selected:
            if item not in self.values:
                return ValidationError("validation_invalid_value", f"Invalid value {item}.", {"value": item})
        return None

    def to_db(self, value: Any) -> str:
        normalized = normalize_multi(value, self.is_multiple)
        return dump_string_list(normalized) if isinstance(normalized, list) else normalized

    def from_db(self, raw: Any) -> str | list[str]:
        return normalize_multi(raw, self.is_multiple)

    def is_empty_value(self, value: Any) -> bool:
        return not to_unique_string_slice(value)
