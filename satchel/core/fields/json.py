"""``json`` — any JSON value, stored as text in a nullable ``JSON`` column.

Record values are decoded Python JSON values (``None`` = JSON null).  Objects
that arrive already decoded (a JSON request body) get their keys sorted like
Go's ``json.Marshal`` of a map; JSON given as a string (multipart) keeps its
key order.
"""

from __future__ import annotations

import json as _json
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields.base import (
    MAX_SAFE_JSON_INT,
    ColumnKind,
    Field,
    FieldContext,
    check_int_range,
    required_error,
)
from satchel.errors import ValidationError

__all__ = ["JSON_DEFAULT_MAX_SIZE", "JSONField", "dump_json"]

JSON_DEFAULT_MAX_SIZE = 1 << 20
_NOT_JSON = object()


def dump_json(value: Any) -> str:
    """Compact JSON text (UTF-8, no ASCII escaping); raises ``ValueError`` for non-JSON data."""
    return _json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _sort_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sort_keys(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_sort_keys(v) for v in value]
    return value


def _is_json_data(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_data(v) for k, v in value.items())
    return False


def _loads(text: str) -> Any:
    try:
        return _json.loads(text)
    except ValueError:
        return _NOT_JSON


@dataclass(kw_only=True)
class JSONField(Field):
    """Any JSON value, with an optional size limit (``json``)."""
    type: ClassVar[str] = "json"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (("help", "str"), ("maxSize", "int"), ("required", "bool"))

    help: str = ""
    required: bool = False
    maxSize: int = 0

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.JSON

    @property
    def effective_max_size(self) -> int:
        return self.maxSize if self.maxSize > 0 else JSON_DEFAULT_MAX_SIZE

    def legacy_options(self) -> dict[str, Any]:
        return {"maxSize": self.maxSize}

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        err = check_int_range(self.maxSize, 0, MAX_SAFE_JSON_INT)
        if err:
            errors["maxSize"] = err

    def prepare_value(self, raw: Any) -> Any:
        if isinstance(raw, (bytes, bytearray)):
            raw = bytes(raw).decode("utf-8", "replace")
        if isinstance(raw, str):
            if raw in ("null", "true", "false"):
                return _json.loads(raw)
            if raw and raw[0] in '0123456789-"[{':
                parsed = _loads(raw)
                if parsed is not _NOT_JSON:
                    return parsed
            return raw
        if isinstance(raw, tuple):
            raw = list(raw)
        return _sort_keys(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not _is_json_data(value):
            return ValidationError("validation_invalid_json", "Must be a valid json value.")
        text = "" if value is None else dump_json(value)
        limit = self.effective_max_size
        if len(text.encode("utf-8")) > limit:
            return ValidationError(
                "validation_json_size_limit",
                f"The maximum allowed JSON size is {limit} bytes.",
                {"maxSize": limit},
            )
        if self.required and value in (None, "", [], {}):
            return required_error()
        return None

    def to_db(self, value: Any) -> str | None:
        if value is None:
            return None
        try:
            return dump_json(value)
        except (TypeError, ValueError):
            return None

    def from_db(self, raw: Any) -> Any:
        if raw is None:
            return None
        if isinstance(raw, (bytes, bytearray)):
            raw = bytes(raw).decode("utf-8", "replace")
        if not isinstance(raw, str):
            return raw
        if raw == "":
            return None
        parsed = _loads(raw)
        return raw if parsed is _NOT_JSON else parsed

    def is_empty_value(self, value: Any) -> bool:
        return value in (None, "", [], {})
