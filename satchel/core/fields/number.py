"""``number`` — a float64; ``0`` counts as empty."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._gocompat import go_format_g, json_number, to_float
from satchel.core.fields.base import ColumnKind, Field, FieldContext, required_error
from satchel.errors import ValidationError

__all__ = ["NumberField"]


def _only_int_error() -> ValidationError:
    return ValidationError("validation_only_int_constraint", "Decimal numbers are not allowed.")


def _min_error(threshold: float) -> ValidationError:
    return ValidationError(
        "validation_min_number_constraint",
        f"Must be greater or equal than {go_format_g(threshold)}.",
        {"min": json_number(threshold)},
    )


def _max_error(threshold: float) -> ValidationError:
    return ValidationError(
        "validation_max_number_constraint",
        f"Must be less or equal than {go_format_g(threshold)}.",
        {"max": json_number(threshold)},
    )


def _is_int(value: float) -> bool:
    return math.isfinite(value) and value.is_integer()


@dataclass(kw_only=True)
class NumberField(Field):
    """A number with optional bounds, integer only if asked (``number``)."""
    type: ClassVar[str] = "number"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("help", "str"),
        ("max", "float?"),
        ("min", "float?"),
        ("onlyInt", "bool"),
        ("required", "bool"),
    )

    help: str = ""
    required: bool = False
    min: float | None = None
    max: float | None = None
    onlyInt: bool = False

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.NUMBER

    def legacy_options(self) -> dict[str, Any]:
        return {
            "min": None if self.min is None else json_number(self.min),
            "max": None if self.max is None else json_number(self.max),
            "noDecimal": self.onlyInt,
        }

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        if self.onlyInt and self.min is not None and not _is_int(self.min):
            errors["min"] = _only_int_error()
        if self.onlyInt and self.max is not None and not _is_int(self.max):
            errors["max"] = _only_int_error()
        elif self.min is not None and self.max is not None and self.max < self.min:
            errors["max"] = _min_error(self.min)

    def prepare_value(self, raw: Any) -> float:
        return to_float(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        value = float(value)
        if not math.isfinite(value):
            return ValidationError("validation_not_a_number", "The submitted number is not properly formatted.")
        if value == 0:
            return required_error() if self.required else None
        if self.onlyInt and not value.is_integer():
            return _only_int_error()
        if self.min is not None and value < self.min:
            return _min_error(self.min)
        if self.max is not None and value > self.max:
            return _max_error(self.max)
        return None

    def to_db(self, value: Any) -> int | float:
        number = to_float(value)
        return json_number(number) if math.isfinite(number) else 0

    def from_db(self, raw: Any) -> int | float:
        number = to_float(raw)
        return json_number(number) if math.isfinite(number) else 0

    def add(self, current: Any, operand: Any) -> float:
        return to_float(current) + to_float(operand)

    def subtract(self, current: Any, operand: Any) -> float:
        return to_float(current) - to_float(operand)
