"""Record write modifiers: ``field+``, ``+field``, ``field-``, ``field:autogenerate`` (spec 02 §4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from satchel.core.fields._gocompat import to_float, to_string, to_unique_string_slice
from satchel.core.fields.base import Field
from satchel.core.fields.file import FileField, exclude_files, to_file_list
from satchel.core.fields.number import NumberField
from satchel.core.fields.relation import RelationField
from satchel.core.fields.select import SelectField
from satchel.core.fields.text import TextField

__all__ = [
    "Modifier",
    "UnsupportedModifierError",
    "apply_modifier",
    "parse_setter_key",
    "resolve_setter",
    "sort_setter_keys",
    "supports_modifier",
]

_AUTOGENERATE_SUFFIX = ":autogenerate"


class Modifier(StrEnum):
    APPEND = "append"  # field+
    PREPEND = "prepend"  # +field
    SUBTRACT = "subtract"  # field-
    AUTOGENERATE = "autogenerate"  # field:autogenerate


class UnsupportedModifierError(ValueError):
    """The field type has no setter for that key form (PocketBase ignores such keys)."""


def parse_setter_key(key: str) -> tuple[str, Modifier | None]:
    """Split a body key into (field name, modifier)."""
    if key.endswith(_AUTOGENERATE_SUFFIX):
        return key[: -len(_AUTOGENERATE_SUFFIX)], Modifier.AUTOGENERATE
    if key.startswith("+"):
        return key[1:], Modifier.PREPEND
    if key.endswith("+"):
        return key[:-1], Modifier.APPEND
    if key.endswith("-"):
        return key[:-1], Modifier.SUBTRACT
    return key, None


def supports_modifier(field: Field, modifier: Modifier | None) -> bool:
    if modifier is None:
        return True
    if isinstance(field, NumberField):
        return modifier in (Modifier.APPEND, Modifier.SUBTRACT)
    if isinstance(field, (SelectField, RelationField, FileField)):
        return modifier in (Modifier.APPEND, Modifier.PREPEND, Modifier.SUBTRACT)
    if isinstance(field, TextField):
        return modifier is Modifier.AUTOGENERATE
    return False


def resolve_setter(key: str, fields_by_name: Mapping[str, Field]) -> tuple[Field, Modifier | None] | None:
    """The field and modifier a body key addresses, or ``None`` when the key is ignored."""
    name, modifier = parse_setter_key(key)
    field = fields_by_name.get(name)
    if field is None and modifier is not None:
        field = fields_by_name.get(key)
        modifier = None
    if field is None or not supports_modifier(field, modifier):
        return None
    return field, modifier


def sort_setter_keys(keys: Iterable[str]) -> list[str]:
    """Body keys in application order: shortest first (``views`` before ``views+``)."""
    return sorted(keys, key=len)


def apply_modifier(field: Field, current: Any, modifier: Modifier | str, operand: Any) -> Any:
    """The new prepared value after ``modifier`` with ``operand`` on ``current``."""
    mod = Modifier(modifier)
    if not supports_modifier(field, mod):
        raise UnsupportedModifierError(f"{field.type} field doesn't support the {mod.value} modifier")
    if isinstance(field, NumberField):
        delta = to_float(operand)
        return to_float(current) + delta if mod is Modifier.APPEND else to_float(current) - delta
    if isinstance(field, TextField):
        return field.generate(to_string(operand))
    if isinstance(field, FileField):
        files = to_file_list(current)
        extra = to_file_list(operand)
        if mod is Modifier.APPEND:
            return field.prepare_value(files + extra)
        if mod is Modifier.PREPEND:
            return field.prepare_value(extra + files)
        return field.prepare_value(exclude_files(files, extra))
    values = to_unique_string_slice(current)
    extra_values = to_unique_string_slice(operand)
    if mod is Modifier.APPEND:
        merged = values + extra_values
    elif mod is Modifier.PREPEND:
        merged = extra_values + values
    else:
        merged = [v for v in values if v not in extra_values]
    return field.prepare_value(merged)
