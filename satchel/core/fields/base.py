"""The :class:`Field` base class and what every field type shares.

A field is a plain typed dataclass whose attribute names are PocketBase's JSON
keys (``maxSelect``, ``collectionId`` …), so ``to_dict`` is a sorted dump and
``from_dict`` a checked load.  Everything here is pure: no database, no web.

Value life cycle used by the records layer::

    raw (JSON / multipart) --prepare_value--> record value --to_db--> SQLite param
    SQLite value --from_db--> API JSON value
    record value --validate_value--> ValidationError | None
"""

from __future__ import annotations

import copy
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from satchel.core.fields._gocompat import json_number
from satchel.errors import ErrorTree, ValidationError, ValidationFailed

__all__ = [
    "EXTENSION_KEYS",
    "MAX_SAFE_JSON_INT",
    "CollectionInfo",
    "ColumnKind",
    "Field",
    "FieldContext",
    "generate_field_id",
    "invalid_value",
    "length_error",
    "max_threshold_error",
    "min_threshold_error",
    "required_error",
]

MAX_SAFE_JSON_INT = (1 << 53) - 1

#: Per-field keys of the user's guide (spec 14 §8) stored and echoed as an extension.
EXTENSION_KEYS: tuple[str, ...] = ("createRule", "deleteRule", "updateRule", "views")

_NAME_RE = re.compile(r"[0-9A-Za-z_]+")
_EXCLUDED_NAMES = ("null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand")


class ColumnKind(StrEnum):
    """How a field is stored; the value is the key of ``store.dialect.COLUMN_DDL``.

    Exact SQLite column definitions (spec 00 §9.1, PocketBase ``ColumnType``):

    =============  ======================================================================
    PRIMARY_KEY    ``TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL``
    TEXT           ``TEXT DEFAULT '' NOT NULL``  (text, editor, email, url, date, autodate,
                   password, single select/file/relation)
    NUMBER         ``NUMERIC DEFAULT 0 NOT NULL``
    BOOL           ``BOOLEAN DEFAULT FALSE NOT NULL``
    JSON           ``JSON DEFAULT NULL``  (the json field; nullable)
    JSON_ARRAY     ``JSON DEFAULT '[]' NOT NULL``  (multiple select/file/relation)
    GEO_POINT      ``JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL``
    =============  ======================================================================
    """

    PRIMARY_KEY = "primary_key"
    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    JSON = "json"
    JSON_ARRAY = "json_array"
    GEO_POINT = "geo_point"


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """What settings validation needs to know about another collection."""

    id: str
    name: str
    type: str  # "base" | "auth" | "view"


def _no_collection(_ref: str) -> CollectionInfo | None:
    return None


@dataclass
class FieldContext:
    """The outside facts :meth:`Field.validate_settings` needs.

    * ``collection_type`` / ``collection_id`` / ``collection_name`` — the collection being saved;
    * ``lookup(id_or_name)`` — an existing collection (or the one being saved) or ``None``;
    * ``old_fields`` — the fields of the currently *saved* version by field id
      (empty for a new collection); used for relation ``collectionId`` and system
      autodate flag changes;
    * ``fields`` — the whole new field list (optional; enables the "only one
      primary key" check).
    """

    collection_type: str = "base"
    collection_id: str = ""
    collection_name: str = ""
    lookup: Callable[[str], CollectionInfo | None] = _no_collection
    old_fields: Mapping[str, Field] = field(default_factory=dict)
    fields: Sequence[Field] = ()

    @property
    def is_view(self) -> bool:
        return self.collection_type == "view"


def generate_field_id(type: str, name: str, taken_ids: set[str] | frozenset[str] = frozenset()) -> str:
    """``<type><crc32(name)>``, with ``2``, ``3`` … appended while the id is taken."""
    base = f"{type}{zlib.crc32(name.encode('utf-8'))}"
    candidate = base
    for i in range(2, 1000):
        if candidate not in taken_ids:
            break
        candidate = f"{base}{i}"
    return candidate


# -- shared validation errors (ozzo-validation texts, sentenized as PocketBase sends them)


def required_error() -> ValidationError:
    return ValidationError("validation_required", "Cannot be blank.")


def invalid_value() -> ValidationError:
    return ValidationError("validation_invalid_value", "Invalid value.")


def unsupported_value_type() -> ValidationError:
    return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")


def _fmt_threshold(value: Any) -> str:
    from satchel.core.fields._gocompat import go_format_g

    if isinstance(value, float):
        return go_format_g(value)
    return str(value)


def min_threshold_error(threshold: Any) -> ValidationError:
    return ValidationError(
        "validation_min_greater_equal_than_required",
        f"Must be no less than {_fmt_threshold(threshold)}.",
        {"threshold": json_number(threshold) if isinstance(threshold, (int, float)) else threshold},
    )


def max_threshold_error(threshold: Any) -> ValidationError:
    return ValidationError(
        "validation_max_less_equal_than_required",
        f"Must be no greater than {_fmt_threshold(threshold)}.",
        {"threshold": json_number(threshold) if isinstance(threshold, (int, float)) else threshold},
    )


def length_error(lo: int, hi: int) -> ValidationError:
    """ozzo ``Length(lo, hi)`` failure."""
    params = {"min": lo, "max": hi}
    if lo == 0 and hi > 0:
        return ValidationError("validation_length_too_long", f"The length must be no more than {hi}.", params)
    if lo > 0 and hi == 0:
        return ValidationError("validation_length_too_short", f"The length must be no less than {lo}.", params)
    if lo == hi:
        return ValidationError("validation_length_invalid", f"The length must be exactly {lo}.", params)
    return ValidationError("validation_length_out_of_range", f"The length must be between {lo} and {hi}.", params)


def check_int_range(value: int, lo: int | None, hi: int | None) -> ValidationError | None:
    """ozzo ``Min(lo)``/``Max(hi)`` on an int: zero counts as empty and always passes."""
    if value == 0:
        return None
    if lo is not None and value < lo:
        return min_threshold_error(lo)
    if hi is not None and value > hi:
        return max_threshold_error(hi)
    return None


def validate_id(value: str) -> ValidationError | None:
    if not value:
        return required_error()
    if len(value) > 100:
        return length_error(1, 100)
    return None


def validate_name(value: str) -> ValidationError | None:
    if not value:
        return required_error()
    if len(value) > 100:
        return length_error(1, 100)
    if not _NAME_RE.fullmatch(value):
        return ValidationError("validation_match_invalid", "Must be in a valid format.")
    if value in _EXCLUDED_NAMES:
        return ValidationError("validation_not_in_invalid", "Must not be in list.")
    if "_via_" in value.lower():
        return ValidationError("validation_found_via", 'The value cannot contain "_via_".')
    return None


def validate_help(value: str) -> ValidationError | None:
    if value and len(value) > 300:
        return length_error(1, 300)
    return None


# -- option loading ---------------------------------------------------------------------


class _Bad(Exception):
    pass


def _load_bool(value: Any, default: Any) -> bool:
    if value is None:
        return bool(default)
    if isinstance(value, bool):
        return value
    raise _Bad


def _load_int(value: Any, default: Any) -> int:
    if value is None:
        return int(default)
    if isinstance(value, bool):
        raise _Bad
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _Bad


def _load_str(value: Any, default: Any) -> str:
    if value is None:
        return str(default)
    if isinstance(value, str):
        return value
    raise _Bad


def _load_str_list(value: Any, default: Any) -> list[str]:
    if value is None:
        return list(default)
    if isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
        return list(value)
    raise _Bad


def _load_float_or_none(value: Any, default: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Bad
    if isinstance(value, (int, float)):
        return float(value)
    raise _Bad


def _load_date(value: Any, default: Any) -> str:
    from satchel.core.fields._dates import normalize_date

    if value is None:
        return ""
    if isinstance(value, str):
        return normalize_date(value)
    raise _Bad


_LOADERS: dict[str, Callable[[Any, Any], Any]] = {
    "bool": _load_bool,
    "int": _load_int,
    "str": _load_str,
    "strlist": _load_str_list,
    "float?": _load_float_or_none,
    "date": _load_date,
}

_COMMON: tuple[tuple[str, str], ...] = (
    ("id", "str"),
    ("name", "str"),
    ("system", "bool"),
    ("hidden", "bool"),
    ("presentable", "bool"),
)


def _load_extensions(data: Mapping[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in EXTENSION_KEYS:
        if key not in data:
            continue
        value = data[key]
        if key == "views":
            if value is None or isinstance(value, (list, dict)):
                out[key] = copy.deepcopy(value)
            else:
                errors[key] = invalid_value()
        elif value is None or isinstance(value, str):
            out[key] = value
        else:
            errors[key] = invalid_value()
    return out


@dataclass(kw_only=True)
class Field:
    """Base of the 14 field types.  Attribute names are the JSON keys."""

    type: ClassVar[str] = ""
    #: (json key, loader kind) of the type's own options; ``help``/``required`` included.
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: this class's dataclass fields by name (made by :meth:`from_dict` on first use)
    _FIELDS_BY_NAME: ClassVar[dict[str, Any] | None] = None

    id: str = ""
    name: str = ""
    system: bool = False
    hidden: bool = False
    presentable: bool = False
    #: Spec 14 §8 keys (``createRule``, ``updateRule``, ``deleteRule``, ``views``) present in the input.
    extensions: dict[str, Any] = field(default_factory=dict)

    # -- JSON ----------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Field:
        """Load the v0.40 JSON of this type; wrong-typed keys raise :class:`ValidationFailed`."""
        errors: dict[str, Any] = {}
        kwargs: dict[str, Any] = {}
        defaults = cls.__dict__.get("_FIELDS_BY_NAME")
        if defaults is None:  # once per class (86 fields load at start-up)
            defaults = {f.name: f for f in fields(cls)}
            cls._FIELDS_BY_NAME = defaults
        for key, kind in _COMMON + cls.OPTIONS:
            if key not in data:
                continue
            spec = defaults[key]
            default = spec.default_factory() if callable(spec.default_factory) else spec.default
            try:
                kwargs[key] = _LOADERS[kind](data[key], default)
            except _Bad:
                errors[key] = invalid_value()
        extensions = _load_extensions(data, errors)
        if errors:
            raise ValidationFailed(dict(sorted(errors.items())))
        return cls(**kwargs, extensions=extensions)

    def to_dict(self) -> dict[str, Any]:
        """PocketBase's JSON of the field: keys sorted alphabetically."""
        out: dict[str, Any] = {
            "hidden": self.hidden,
            "id": self.id,
            "name": self.name,
            "presentable": self.presentable,
            "system": self.system,
            "type": self.type,
        }
        for key, kind in self.OPTIONS:
            value = getattr(self, key)
            if kind == "float?" and value is not None:
                value = json_number(value)
            elif isinstance(value, list):
                value = list(value)
            out[key] = value
        for key, value in self.extensions.items():
            out.setdefault(key, copy.deepcopy(value))
        return dict(sorted(out.items()))

    def legacy_options(self) -> dict[str, Any]:
        """The v0.22 nested ``options`` object (overridden per type)."""
        return {}

    def to_legacy_dict(self) -> dict[str, Any]:
        """The v0.22 ``schema`` item: ``{system,id,name,type,required,presentable,unique,options}``."""
        return {
            "system": self.system,
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "required": bool(getattr(self, "required", False)),
            "presentable": self.presentable,
            "unique": False,
            "options": self.legacy_options(),
        }

    def clone(self) -> Field:
        return copy.deepcopy(self)

    # -- storage -------------------------------------------------------------------------

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.TEXT

    @property
    def is_multiple(self) -> bool:
        return False

    # -- settings validation -------------------------------------------------------------

    def _common_errors(self) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        for key, check in (("id", validate_id), ("name", validate_name)):
            err = check(getattr(self, key))
            if err is not None:
                errors[key] = err
        help_text = getattr(self, "help", "")
        if isinstance(help_text, str):
            err = validate_help(help_text)
            if err is not None:
                errors["help"] = err
        return errors

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        """Type-specific settings checks; add to ``errors`` keys not already failed."""

    def validate_settings(self, ctx: FieldContext | None = None) -> ErrorTree:
        """PocketBase's ``ValidateSettings``: ``{}`` when valid, else ``{jsonKey: error}``."""
        errors = self._common_errors()
        self._settings_errors(ctx or FieldContext(), errors)
        return dict(sorted(errors.items()))

    # -- record values -------------------------------------------------------------------

    @property
    def client_settable(self) -> bool:
        """``False`` when a plain body key for this field is ignored (autodate)."""
        return True

    def zero_value(self) -> Any:
        """The value of a new record before anything is set (``PrepareValue(nil)``)."""
        return self.prepare_value(None)

    def prepare_value(self, raw: Any) -> Any:
        raise NotImplementedError

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        """Check a prepared value; ``original`` is the last saved value (used by the PK)."""
        return None

    def to_db(self, value: Any) -> Any:
        return value

    def from_db(self, raw: Any) -> Any:
        return self.prepare_value(raw)

    def to_json(self, value: Any) -> Any:
        """A prepared value as the API writes it."""
        return self.from_db(self.to_db(value))

    def is_empty_value(self, value: Any) -> bool:
        return value in (None, "", [], 0, False)
