"""The explicit type registry and the JSON entry point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from satchel.core.fields.autodate import AutodateField
from satchel.core.fields.base import Field
from satchel.core.fields.bool import BoolField
from satchel.core.fields.date import DateField
from satchel.core.fields.editor import EditorField
from satchel.core.fields.email import EmailField
from satchel.core.fields.file import FileField
from satchel.core.fields.geopoint import GeoPointField
from satchel.core.fields.json import JSONField
from satchel.core.fields.number import NumberField
from satchel.core.fields.password import PasswordField
from satchel.core.fields.relation import RelationField
from satchel.core.fields.select import SelectField
from satchel.core.fields.text import TextField
from satchel.core.fields.url import URLField
from satchel.errors import ValidationError, ValidationFailed

__all__ = ["FIELD_TYPES", "UnknownFieldTypeError", "field_from_dict"]

FIELD_TYPES: dict[str, type[Field]] = {
    "text": TextField,
    "editor": EditorField,
    "number": NumberField,
    "bool": BoolField,
    "email": EmailField,
    "url": URLField,
    "date": DateField,
    "autodate": AutodateField,
    "select": SelectField,
    "file": FileField,
    "relation": RelationField,
    "json": JSONField,
    "geoPoint": GeoPointField,
    "password": PasswordField,
}


class UnknownFieldTypeError(ValidationFailed):
    """Missing or unknown ``type``: ``{"type": validation_in_invalid}`` (put it under ``fields.N``)."""

    def __init__(self, type_: Any = None) -> None:
        super().__init__({"type": ValidationError("validation_in_invalid", "Must be a valid value.")})
        self.type = type_


def field_from_dict(data: Mapping[str, Any]) -> Field:
    """Build a field from PocketBase's v0.40 JSON (unknown keys ignored, missing ones defaulted).

    Raises :class:`UnknownFieldTypeError` for a bad ``type`` and
    :class:`~satchel.errors.ValidationFailed` for wrong-typed option values.
    """
    if not isinstance(data, Mapping):
        raise ValidationFailed({"type": ValidationError("validation_in_invalid", "Must be a valid value.")})
    type_ = data.get("type")
    cls = FIELD_TYPES.get(type_) if isinstance(type_, str) else None
    if cls is None:
        raise UnknownFieldTypeError(type_)
    return cls.from_dict(data)
