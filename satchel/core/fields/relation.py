"""``relation`` — record id(s) of another collection.

Existence of the referenced records is I/O and left to the caller: after
:meth:`RelationField.validate_value` passes, count the ids in the target table
and report :func:`missing_records_error` / :func:`missing_collection_error`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._gocompat import to_unique_string_slice
from satchel.core.fields.base import ColumnKind, Field, FieldContext, min_threshold_error, required_error
from satchel.core.fields.select import dump_string_list, normalize_multi, too_many
from satchel.errors import ValidationError

__all__ = [
    "LEGACY_UNLIMITED_MAX_SELECT",
    "RelationField",
    "missing_collection_error",
    "missing_records_error",
    "resolve_legacy_collection_ref",
]

#: What PocketBase's v0.23 upgrade writes for a v0.22 relation with ``maxSelect`` null/<=0.
LEGACY_UNLIMITED_MAX_SELECT = 2147483647
DEFAULT_USERS_COLLECTION_ID = "_pb_users_auth_"


def missing_records_error() -> ValidationError:
    return ValidationError(
        "validation_missing_rel_records", "Failed to find all relation records with the provided ids."
    )


def missing_collection_error() -> ValidationError:
    return ValidationError(
        "validation_missing_rel_collection", "Relation connection is missing or cannot be accessed."
    )


def resolve_legacy_collection_ref(ref: str, resolve: Callable[[str], str | None] | None) -> str:
    """A v0.22 ``collectionId`` (id, name, ``_users`` alias, ``_<name>``) -> the canonical id.

    ``resolve(id_or_name)`` returns the id of an existing collection or ``None``;
    an unresolvable reference is returned unchanged (settings validation then
    reports it as a missing collection).
    """
    if not ref or resolve is None:
        return ref
    found = resolve(ref)
    if found:
        return found
    if ref == "_users":
        found = resolve(DEFAULT_USERS_COLLECTION_ID) or resolve("users")
        if found:
            return found
    if ref.startswith("_") and len(ref) > 1:
        found = resolve(ref[1:])
        if found:
            return found
    return ref


@dataclass(kw_only=True)
class RelationField(Field):
    """Ids of records of another collection (``relation``)."""
    type: ClassVar[str] = "relation"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("cascadeDelete", "bool"),
        ("collectionId", "str"),
        ("help", "str"),
        ("maxSelect", "int"),
        ("minSelect", "int"),
        ("required", "bool"),
    )

    help: str = ""
    required: bool = False
    collectionId: str = ""
    cascadeDelete: bool = False
    minSelect: int = 0
    maxSelect: int = 0

    @property
    def is_multiple(self) -> bool:
        return self.maxSelect > 1

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.JSON_ARRAY if self.is_multiple else ColumnKind.TEXT

    def legacy_options(self) -> dict[str, Any]:
        return {
            "collectionId": self.collectionId,
            "cascadeDelete": self.cascadeDelete,
            "minSelect": self.minSelect or None,
            "maxSelect": None if self.maxSelect >= LEGACY_UNLIMITED_MAX_SELECT else (self.maxSelect or None),
            "displayFields": None,
        }

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        err = self._check_collection_id(ctx)
        if err:
            errors["collectionId"] = err
        if self.minSelect < 0:
            errors["minSelect"] = min_threshold_error(0)
        if self.minSelect > 0 and self.maxSelect == 0:
            errors["maxSelect"] = required_error()
        elif self.maxSelect != 0 and self.maxSelect < self.minSelect:
            errors["maxSelect"] = min_threshold_error(self.minSelect)

    def _check_collection_id(self, ctx: FieldContext) -> ValidationError | None:
        if not self.collectionId:
            return required_error()
        old = ctx.old_fields.get(self.id)
        if isinstance(old, RelationField) and old.collectionId != self.collectionId:
            return ValidationError("validation_field_relation_change", "The relation collection cannot be changed.")
        target = ctx.lookup(self.collectionId)
        if target is None or target.id != self.collectionId:
            return ValidationError(
                "validation_field_relation_missing_collection", "The relation collection doesn't exist."
            )
        if not ctx.is_view and target.type == "view":
            return ValidationError(
                "validation_relation_field_non_view_base_collection",
                "Only view collections are allowed to have relations to other views.",
            )
        return None

    def prepare_value(self, raw: Any) -> str | list[str]:
        return normalize_multi(raw, self.is_multiple)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        """Required/min/max only; the caller checks that the ids exist (see module doc)."""
        ids = to_unique_string_slice(value)
        if not ids:
            return required_error() if self.required else None
        if self.minSelect > 0 and len(ids) < self.minSelect:
            return ValidationError(
                "validation_not_enough_values", f"Select at least {self.minSelect}.", {"minSelect": self.minSelect}
            )
        max_select = max(self.maxSelect, 1)
        if len(ids) > max_select:
            return too_many(max_select)
        return None

    def to_db(self, value: Any) -> str:
        normalized = normalize_multi(value, self.is_multiple)
        return dump_string_list(normalized) if isinstance(normalized, list) else normalized

    def from_db(self, raw: Any) -> str | list[str]:
        return normalize_multi(raw, self.is_multiple)

    def is_empty_value(self, value: Any) -> bool:
        return not to_unique_string_slice(value)
