"""Validate a collection about to be saved, with PocketBase's error codes.

Pure apart from the few facts it needs about the database, which the caller
passes in a :class:`SchemaFacts` (existing tables, index owners, a way to check
a view query).  Like PocketBase (ozzo-validation), each key reports its first
failing rule only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from satchel.core.collections import rules
from satchel.core.collections.model import AUTH, COLLECTION_TYPES, RULE_KEYS, VIEW, Collection
from satchel.core.fields import FieldContext
from satchel.errors import ErrorTree, ValidationError
from satchel.tools.dbutils import validate_indexes

__all__ = ["SchemaFacts", "validate_collection"]

NAME_RE = re.compile(r"^\w+$")
RESERVED_AUTH_FIELDS = ("passwordConfirm", "oldPassword")
REQUIRED = ValidationError("validation_required", "Cannot be blank.")
MATCH = ValidationError("validation_match_invalid", "Must be in a valid format.")


@dataclass
class SchemaFacts:
    """What validation needs to know about the database beyond the collections."""

    collections: list[Collection]
    internal_tables: set[str] = field(default_factory=set)  # lower-cased non-collection tables
    index_owners: dict[str, str] = field(default_factory=dict)  # lower(index name) -> table
    # Returns an error text when the view query doesn't run, else None.
    check_view_query: Callable[[str], str | None] = lambda _q: None

    def lookup(self, id_or_name: str) -> Collection | None:
        for c in self.collections:
            if c.id == id_or_name:
                return c
        lower = id_or_name.lower()
        for c in self.collections:
            if c.name.lower() == lower:
                return c
        return None


def _length(value: str, lo: int, hi: int) -> ValidationError | None:
    if lo <= len(value) <= hi:
        return None
    return ValidationError(
        "validation_length_out_of_range", f"The length must be between {lo} and {hi}.", {"min": lo, "max": hi}
    )


def _check_id(new: Collection, old: Collection | None, facts: SchemaFacts) -> ValidationError | None:
    if not new.id:
        return REQUIRED
    if old is not None:
        return None if new.id == old.id else ValidationError("validation_values_mismatch", "Values don't match.")
    err = _length(new.id, 1, 100)
    if err:
        return err
    if not NAME_RE.match(new.id):
        return MATCH
    if any(c.id == new.id for c in facts.collections):
        return ValidationError("validation_invalid_or_existing_id", "The model id is invalid or already exists.")
    return None


def _check_name(new: Collection, old: Collection | None, facts: SchemaFacts) -> ValidationError | None:
    name = new.name
    if not name:
        return REQUIRED
    err = _length(name, 1, 255)
    if err:
        return err
    if "_via_" in name.lower():
        return ValidationError("validation_found_via", 'The value cannot contain "_via_".')
    if not NAME_RE.match(name):
        return MATCH
    if old is not None and old.system and name != old.name:
        return ValidationError("validation_collection_system_name_change", "System collection name cannot be changed.")
    others = [c for c in facts.collections if old is None or c.id != old.id]
    if any(c.name.lower() == name.lower() for c in others):
        return ValidationError("validation_collection_name_exists", "Collection name must be unique (case insensitive).")
    if any(c.id == name for c in facts.collections):
        return ValidationError("validation_collection_name_id_duplicate", "The name must not match an existing collection id.")
    changed = old is None or old.name != name
    is_collection = any(c.name.lower() == name.lower() for c in facts.collections)
    if changed and not is_collection and name.lower() in facts.internal_tables:
        return ValidationError("validation_collection_name_invalid", "The name shouldn't match with an existing internal table.")
    return None


def _check_fields(new: Collection, old: Collection | None, facts: SchemaFacts) -> ErrorTree | ValidationError | None:
    ids: set[str] = set()
    names: set[str] = set()
    for i, f in enumerate(new.fields):
        if f.id in ids:
            return {str(i): {"id": ValidationError("validation_duplicated_field_id", f'Duplicated or invalid field id "{f.id}".')}}
        if f.name.lower() in names:
            return {
                str(i): {
                    "name": ValidationError(
                        "validation_duplicated_field_name",
                        f"Duplicated or invalid field name {f.name}.",
                        {"fieldName": f.name},
                    )
                }
            }
        ids.add(f.id)
        names.add(f.name.lower())

    if not new.fields:
        return REQUIRED
    pk = new.field("id")
    if pk is None or pk.type != "text" or not getattr(pk, "primaryKey", False):
        return ValidationError("validation_missing_primary_key", 'Missing or invalid "id" PK field.')

    if old is not None and not new.is_view:
        for old_f in old.fields:
            if not old_f.system:
                continue
            now = new.field_by_id(old_f.id)
            if now is None or now.name != old_f.name:
                return ValidationError("validation_system_field_change", "System fields cannot be deleted or renamed.")
        type_errors: ErrorTree = {}
        for i, f in enumerate(new.fields):
            prev = old.field_by_id(f.id)
            if prev is not None and prev.type != f.type:
                type_errors[str(i)] = ValidationError("validation_field_type_change", "Field type cannot be changed.")
        if type_errors:
            return type_errors

    if new.type == AUTH:
        reserved: ErrorTree = {}
        for i, f in enumerate(new.fields):
            if f.name in RESERVED_AUTH_FIELDS:
                reserved[str(i)] = {
                    "name": ValidationError("validation_reserved_field_name", "The field name is reserved and cannot be used.")
                }
        if reserved:
            return reserved

    ctx = FieldContext(
        collection_type=new.type,
        collection_id=new.id,
        collection_name=new.name,
        lookup=lambda ref: _collection_info(facts, new, ref),
        old_fields={f.id: f for f in (old.fields if old else [])},
        fields=new.fields,
    )
    settings_errors: ErrorTree = {}
    for i, f in enumerate(new.fields):
        errs = f.validate_settings(ctx)
        if errs:
            settings_errors[str(i)] = errs
    return settings_errors or None


def _collection_info(facts: SchemaFacts, new: Collection, ref: str) -> Any:
    from satchel.core.fields import CollectionInfo

    if ref in (new.id,) and new.id:
        return CollectionInfo(id=new.id, name=new.name, type=new.type)
    found = facts.lookup(ref)
    if found is None:
        return None
    return CollectionInfo(id=found.id, name=found.name, type=found.type)


def _check_rule(new: Collection, old: Collection | None, key: str, value: str | None, facts: SchemaFacts) -> ValidationError | None:
    if new.is_view and key in ("createRule", "updateRule", "deleteRule") and value is not None:
        return ValidationError("validation_nil", "Must be blank.")
    if value:
        problem = rules.check_rule(value, new, facts.lookup)
        if problem:
            return ValidationError("validation_invalid_rule", f"Invalid rule. Raw error: {problem}.")
    if old is not None and old.system and value != old.rule(key):
        return ValidationError("validation_collection_system_rule_change", "System collection API rule cannot be changed.")
    return None


def validate_collection(new: Collection, old: Collection | None, facts: SchemaFacts) -> ErrorTree:
    errors: ErrorTree = {}

    def put(key: str, err: Any) -> None:
        if err:
            errors[key] = err

    put("id", _check_id(new, old, facts))
    if old is not None and new.system != old.system:
        put("system", ValidationError("validation_collection_system_flag_change", "System collection state cannot be changed."))
    if new.type not in COLLECTION_TYPES:
        put("type", ValidationError("validation_in_invalid", "Must be a valid value."))
    elif old is not None and new.type != old.type:
        put("type", ValidationError("validation_collection_type_change", "Collection type cannot be changed."))
    put("name", _check_name(new, old, facts))
    if new.type in COLLECTION_TYPES and not (new.is_view and not new.view_query):
        put("fields", _check_fields(new, old, facts))
    for key in RULE_KEYS:
        put(key, _check_rule(new, old, key, getattr(new, key), facts))

    others = {k: v for k, v in facts.index_owners.items() if v.lower() not in (new.name.lower(), (old.name if old else new.name).lower())}
    index_errors = validate_indexes(
        new.name,
        old.type if old is not None else new.type,
        new.indexes,
        {f.name for f in new.fields},
        others,
        old_indexes=old.indexes if old else None,
        system_field_names={f.name for f in (old.fields if old else []) if f.system},
    )
    if index_errors:
        errors.update(index_errors)

    if new.type == VIEW:
        query = new.view_query
        if not query:
            put("fields", REQUIRED)
            put("viewQuery", REQUIRED)
        else:
            problem = facts.check_view_query(query)
            if problem:
                put("viewQuery", ValidationError("validation_invalid_view_query", f"Invalid query - {problem[:500]}."))
    if new.type == AUTH:
        errors.update(_auth_options_errors(new, old, facts))
    return errors


def _auth_options_errors(new: Collection, old: Collection | None, facts: SchemaFacts) -> ErrorTree:
    from satchel.core.collections.auth_validate import validate_auth_options

    return validate_auth_options(new, facts.lookup)

