"""``date`` — a UTC datetime stored as ``YYYY-MM-DD HH:MM:SS.mmmZ`` (or ``""``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._dates import go_time_json, go_time_string, normalize_date, parse_date
from satchel.core.fields.base import Field, FieldContext, required_error
from satchel.errors import ValidationError

__all__ = ["DateField"]


@dataclass(kw_only=True)
class DateField(Field):
    """A date in PocketBase's text layout, with optional bounds (``date``)."""
    type: ClassVar[str] = "date"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("help", "str"),
        ("max", "date"),
        ("min", "date"),
        ("required", "bool"),
    )

    help: str = ""
    required: bool = False
    min: str = ""
    max: str = ""

    def legacy_options(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max}

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        # PocketBase's source range-checks ``max`` against ``min``, but the real 0.40.6
        # server accepts ``min`` later than ``max`` (captured: 200), so nothing is checked.
        return None

    def prepare_value(self, raw: Any) -> str:
        return normalize_date(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not isinstance(value, str):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        current = parse_date(value)
        if current is None:
            return required_error() if self.required else None
        lo, hi = parse_date(self.min), parse_date(self.max)
        if lo is not None and current < lo:
            return ValidationError(
                "validation_min_greater_equal_than_required",
                f"Must be no less than {go_time_string(lo)}.",
                {"threshold": go_time_json(lo)},
            )
        if hi is not None and current > hi:
            return ValidationError(
                "validation_max_less_equal_than_required",
                f"Must be no greater than {go_time_string(hi)}.",
                {"threshold": go_time_json(hi)},
            )
        return None

    def to_db(self, value: Any) -> str:
        return normalize_date(value)

    def from_db(self, raw: Any) -> str:
        return normalize_date(raw)
