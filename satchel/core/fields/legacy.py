"""The v0.22 field shape (``schema`` items with nested ``options``) in and out.

Conversion follows PocketBase's own v0.23 upgrade migration (spec 02 §5,
11 §B.5) and is tolerant of the user's guide quirks (spec 14 §1): ``system``
holding a field name, implicit system fields listed in the schema, relation
``collectionId`` given as a name or the ``_users`` alias.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from satchel.core.fields._gocompat import to_bool, to_float, to_string
from satchel.core.fields.base import EXTENSION_KEYS, Field, invalid_value
from satchel.core.fields.registry import FIELD_TYPES, UnknownFieldTypeError, field_from_dict
from satchel.core.fields.relation import LEGACY_UNLIMITED_MAX_SELECT, resolve_legacy_collection_ref
from satchel.errors import ValidationFailed

__all__ = [
    "IMPLICIT_FIELD_NAMES",
    "field_from_legacy_dict",
    "is_legacy_collection_payload",
    "legacy_schema_to_fields",
]

ResolveCollectionId = Callable[[str], str | None]

#: Names of fields a v0.22 schema never listed (base + auth + the legacy ``username``).
IMPLICIT_FIELD_NAMES = frozenset(
    {"id", "created", "updated", "email", "emailVisibility", "verified", "password", "tokenKey", "username"}
)

_RENAMES: dict[str, dict[str, str]] = {
    "number": {"noDecimal": "onlyInt"},
    "editor": {"convertUrls": "convertURLs"},
}
_DROPPED = frozenset({"options", "unique", "displayFields", "system"})


def is_legacy_collection_payload(body: Mapping[str, Any]) -> bool:
    """A create/update body in the v0.22 shape: no ``fields`` but ``schema`` or an ``options`` object."""
    return "fields" not in body and ("schema" in body or isinstance(body.get("options"), Mapping))


def _lenient(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return to_bool(value)
    if kind == "int":
        return int(to_float(value))
    if kind == "float?":
        return to_float(value)
    if kind == "strlist":
        if isinstance(value, (list, tuple)):
            return [to_string(v) for v in value if v is not None]
        text = to_string(value)
        return [text] if text else []
    return to_string(value)


def field_from_legacy_dict(
    data: Mapping[str, Any], resolve_collection_id: ResolveCollectionId | None = None
) -> Field:
    """One v0.22 ``schema`` item -> a field (``id`` kept as given, ``""`` when absent).

    ``resolve_collection_id(id_or_name)`` maps an existing collection to its id;
    relation targets are resolved by id, name, the ``_users`` alias, ``_<name>``.
    """
    type_ = data.get("type")
    if not isinstance(type_, str) or type_ not in FIELD_TYPES:
        raise UnknownFieldTypeError(type_)
    cls = FIELD_TYPES[type_]
    renames = _RENAMES.get(type_, {})
    merged: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(key, str) and key not in _DROPPED:
            merged[renames.get(key, key)] = value
    options = data.get("options")
    if isinstance(options, Mapping):
        for key, value in options.items():
            if isinstance(key, str) and key not in _DROPPED:
                merged[renames.get(key, key)] = value
    merged["system"] = data.get("system") is True
    kinds = dict((("id", "str"), ("name", "str"), ("hidden", "bool"), ("presentable", "bool"), *cls.OPTIONS))
    loaded: dict[str, Any] = {"type": type_, "system": merged["system"]}
    for key, value in merged.items():
        if key in kinds:
            converted = _lenient(kinds[key], value)
            if converted is not None:
                loaded[key] = converted
        elif key in EXTENSION_KEYS:
            loaded[key] = value
    if type_ == "relation":
        max_select = loaded.get("maxSelect")
        if max_select is None or max_select <= 0:
            loaded["maxSelect"] = LEGACY_UNLIMITED_MAX_SELECT
        loaded["collectionId"] = resolve_legacy_collection_ref(
            str(loaded.get("collectionId") or ""), resolve_collection_id
        )
    return field_from_dict(loaded)


def legacy_schema_to_fields(
    schema: Any, resolve_collection_id: ResolveCollectionId | None = None
) -> list[Field]:
    """A whole v0.22 ``schema`` list -> fields, in order.

    An entry whose ``system`` is a string (the guide's ``"system": "id"``) is a
    normal entry with ``system: false`` (named after that string when it has no
    ``name``); an entry without a known ``type`` that names an implicit field is
    skipped.  Other problems raise ``ValidationFailed({"schema": {index: …}})``.
    """
    if not isinstance(schema, list):
        raise ValidationFailed({"schema": invalid_value()})
    fields: list[Field] = []
    errors: dict[str, Any] = {}
    for i, item in enumerate(schema):
        if not isinstance(item, Mapping):
            errors[str(i)] = invalid_value()
            continue
        entry = dict(item)
        marker = entry.get("system")
        if isinstance(marker, str) and not entry.get("name"):
            entry["name"] = marker
        name = entry.get("name")
        if entry.get("type") not in FIELD_TYPES and name in IMPLICIT_FIELD_NAMES:
            continue
        try:
            fields.append(field_from_legacy_dict(entry, resolve_collection_id))
        except ValidationFailed as exc:
            errors[str(i)] = exc.errors
    if errors:
        raise ValidationFailed({"schema": errors})
    return fields
