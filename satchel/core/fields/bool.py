"""``bool`` — stored as 0/1; ``required`` means the value must be true."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._gocompat import to_bool
from satchel.core.fields.base import ColumnKind, Field, required_error
from satchel.errors import ValidationError

__all__ = ["BoolField"]


@dataclass(kw_only=True)
class BoolField(Field):
    """A true/false value (PocketBase's ``bool``)."""
    type: ClassVar[str] = "bool"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (("help", "str"), ("required", "bool"))

    help: str = ""
    required: bool = False

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.BOOL

    def prepare_value(self, raw: Any) -> bool:
        return to_bool(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not isinstance(value, bool):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        if self.required and not value:
            return required_error()
        return None

    def to_db(self, value: Any) -> int:
        return 1 if to_bool(value) else 0

    def from_db(self, raw: Any) -> bool:
        return to_bool(raw)
