"""The 14 collection field types of PocketBase v0.40, as pure logic.

``FIELD_TYPES`` is the explicit registry; ``field_from_dict`` /
``field_from_legacy_dict`` build fields from v0.40 / v0.22 JSON.
"""

from __future__ import annotations

from satchel.core.fields.autodate import AutodateField
from satchel.core.fields.base import (
    EXTENSION_KEYS,
    CollectionInfo,
    ColumnKind,
    Field,
    FieldContext,
    generate_field_id,
)
from satchel.core.fields.bool import BoolField
from satchel.core.fields.date import DateField
from satchel.core.fields.editor import EditorField
from satchel.core.fields.email import EmailField
from satchel.core.fields.file import FileField, UploadLike
from satchel.core.fields.geopoint import GeoPointField
from satchel.core.fields.json import JSONField
from satchel.core.fields.legacy import (
    field_from_legacy_dict,
    is_legacy_collection_payload,
    legacy_schema_to_fields,
)
from satchel.core.fields.modifiers import (
    Modifier,
    UnsupportedModifierError,
    apply_modifier,
    parse_setter_key,
    resolve_setter,
    sort_setter_keys,
)
from satchel.core.fields.number import NumberField
from satchel.core.fields.password import PasswordField, PasswordValue
from satchel.core.fields.registry import FIELD_TYPES, UnknownFieldTypeError, field_from_dict
from satchel.core.fields.relation import RelationField
from satchel.core.fields.select import SelectField
from satchel.core.fields.text import TextField
from satchel.core.fields.url import URLField

__all__ = [
    "EXTENSION_KEYS",
    "FIELD_TYPES",
    "AutodateField",
    "BoolField",
    "CollectionInfo",
    "ColumnKind",
    "DateField",
    "EditorField",
    "EmailField",
    "Field",
    "FieldContext",
    "FileField",
    "GeoPointField",
    "JSONField",
    "Modifier",
    "NumberField",
    "PasswordField",
    "PasswordValue",
    "RelationField",
    "SelectField",
    "TextField",
    "URLField",
    "UnknownFieldTypeError",
    "UnsupportedModifierError",
    "UploadLike",
    "apply_modifier",
    "field_from_dict",
    "field_from_legacy_dict",
    "generate_field_id",
    "is_legacy_collection_payload",
    "legacy_schema_to_fields",
    "parse_setter_key",
    "resolve_setter",
    "sort_setter_keys",
]
