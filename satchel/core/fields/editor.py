"""``editor`` — rich text (HTML) stored as given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._gocompat import to_string
from satchel.core.fields.base import MAX_SAFE_JSON_INT, Field, FieldContext, check_int_range, required_error
from satchel.errors import ValidationError

__all__ = ["EDITOR_DEFAULT_MAX_SIZE", "EditorField"]

EDITOR_DEFAULT_MAX_SIZE = 5 << 20


@dataclass(kw_only=True)
class EditorField(Field):
    """Rich text (HTML) with an optional size limit (``editor``)."""
    type: ClassVar[str] = "editor"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("convertURLs", "bool"),
        ("help", "str"),
        ("maxSize", "int"),
        ("required", "bool"),
    )

    help: str = ""
    required: bool = False
    maxSize: int = 0
    convertURLs: bool = False

    def legacy_options(self) -> dict[str, Any]:
        return {"convertUrls": self.convertURLs}

    @property
    def effective_max_size(self) -> int:
        return self.maxSize if self.maxSize > 0 else EDITOR_DEFAULT_MAX_SIZE

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        err = check_int_range(self.maxSize, 0, MAX_SAFE_JSON_INT)
        if err:
            errors["maxSize"] = err

    def prepare_value(self, raw: Any) -> str:
        return to_string(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not isinstance(value, str):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        if self.required and value == "":
            return required_error()
        limit = self.effective_max_size
        if len(value.encode("utf-8")) > limit:
            return ValidationError(
                "validation_content_size_limit",
                f"The maximum allowed content size is {limit} bytes.",
                {"maxSize": limit},
            )
        return None

    def to_db(self, value: Any) -> str:
        return to_string(value)

    def from_db(self, raw: Any) -> str:
        return to_string(raw)
