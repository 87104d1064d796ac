"""validate_settings: PocketBase's codes/messages/params for bad field options."""

from __future__ import annotations

from typing import Any

import pytest

from satchel.core.fields import CollectionInfo, FieldContext, field_from_dict
from satchel.errors import error_tree_to_dict

COLLECTIONS = {
    "_pb_users_auth_": CollectionInfo("_pb_users_auth_", "users", "auth"),
    "pbc_1": CollectionInfo("pbc_1", "posts", "base"),
    "pbc_view": CollectionInfo("pbc_view", "stats", "view"),
}


def lookup(ref: str) -> CollectionInfo | None:
    if ref in COLLECTIONS:
        return COLLECTIONS[ref]
    return next((c for c in COLLECTIONS.values() if c.name == ref), None)


def errors_of(data: dict[str, Any], ctx: FieldContext | None = None) -> dict[str, Any]:
    data = {"id": "f1", "name": "f", **data}
    return error_tree_to_dict(field_from_dict(data).validate_settings(ctx or FieldContext(lookup=lookup)))


def one(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message}
    if params:
        out["params"] = params
    return out


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # common: name / id / help
    ("name empty", {"type": "bool", "name": ""}, {"name": one("validation_required", "Cannot be blank.")}),
    ("name bad chars", {"type": "bool", "name": "a-b"}, {"name": one("validation_match_invalid", "Must be in a valid format.")}),
    ("name unicode", {"type": "bool", "name": "caf\u00e9"}, {"name": one("validation_match_invalid", "Must be in a valid format.")}),
    ("name too long", {"type": "bool", "name": "a" * 101},
     {"name": one("validation_length_out_of_range", "The length must be between 1 and 100.", {"min": 1, "max": 100})}),
    ("name reserved", {"type": "bool", "name": "expand"}, {"name": one("validation_not_in_invalid", "Must not be in list.")}),
    ("name null", {"type": "bool", "name": "null"}, {"name": one("validation_not_in_invalid", "Must not be in list.")}),
    ("name _via_", {"type": "bool", "name": "a_VIA_b"},
     {"name": one("validation_found_via", 'The value cannot contain "_via_".')}),
    ("id empty", {"type": "bool", "id": ""}, {"id": one("validation_required", "Cannot be blank.")}),
    ("help long", {"type": "bool", "help": "x" * 301},
     {"help": one("validation_length_out_of_range", "The length must be between 1 and 300.", {"min": 1, "max": 300})}),
    # text
    ("text ok", {"type": "text", "min": 2, "max": 5, "pattern": "^[a-z]+$"}, {}),
    ("text max<min", {"type": "text", "min": 10, "max": 5},
     {"max": one("validation_min_greater_equal_than_required", "Must be no less than 10.", {"threshold": 10})}),
    ("text min<0", {"type": "text", "min": -1},
     {"min": one("validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0})}),
    ("text bad regex", {"type": "text", "pattern": "(abc"},
     {"pattern": one("validation_invalid_regex", "Error parsing regexp: missing closing ): `(abc`.")}),
    ("text lookahead", {"type": "text", "pattern": "a(?=b)"},
     {"pattern": one("validation_invalid_regex", "Error parsing regexp: invalid or unsupported Perl syntax: `(?=`.")}),
    ("text autogen bad regex", {"type": "text", "autogeneratePattern": "[a-z"},
     {"autogeneratePattern": one("validation_invalid_regex", "Error parsing regexp: missing closing ]: `[a-z`.")}),
    ("text autogen anchors", {"type": "text", "autogeneratePattern": "^[a-z]{3}$"},
     {"autogeneratePattern": one("validation_invalid_autogenerate_pattern", "Unsupported pattern operator 9.")}),
    ("pk not id", {"type": "text", "name": "code", "primaryKey": True, "required": True, "pattern": "^[a-z]+$"},
     {"name": one("validation_in_invalid", 'The primary key must be named "id".')}),
    ("pk hidden/not required/no pattern", {"type": "text", "name": "id", "primaryKey": True, "hidden": True},
     {"hidden": one("validation_empty", "Must be blank."), "pattern": one("validation_required", "Cannot be blank."),
      "required": one("validation_required", "Cannot be blank.")}),
    # editor / json / file sizes
    ("editor negative", {"type": "editor", "maxSize": -5},
     {"maxSize": one("validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0})}),
    ("json too big", {"type": "json", "maxSize": 2**53},
     {"maxSize": one("validation_max_less_equal_than_required", "Must be no greater than 9007199254740991.",
                     {"threshold": 9007199254740991})}),
    # number
    ("number max<min", {"type": "number", "min": 10, "max": 5},
     {"max": one("validation_min_number_constraint", "Must be greater or equal than 10.", {"min": 10})}),
    ("number zero max", {"type": "number", "min": 10, "max": 0},
     {"max": one("validation_min_number_constraint", "Must be greater or equal than 10.", {"min": 10})}),
    ("number onlyInt decimals", {"type": "number", "onlyInt": True, "min": 1.5, "max": 2.5},
     {"min": one("validation_only_int_constraint", "Decimal numbers are not allowed."),
      "max": one("validation_only_int_constraint", "Decimal numbers are not allowed.")}),
    ("number ok", {"type": "number", "min": None, "max": 5}, {}),
    # email / url domains
    ("email both lists", {"type": "email", "onlyDomains": ["a.com"], "exceptDomains": ["b.com"]},
     {"exceptDomains": one("validation_empty", "Must be blank."), "onlyDomains": one("validation_empty", "Must be blank.")}),
    ("url bad domain", {"type": "url", "onlyDomains": ["ok.com", "not a domain"]},
     {"onlyDomains": {"1": one("validation_is_domain", "Must be a valid domain.")}}),
    # date
    # captured on 0.40.6: accepted (200) although the Go source has a range rule
    ("date min>max", {"type": "date", "min": "2030-01-01", "max": "2020-01-01"}, {}),
    # autodate
    ("autodate neither", {"type": "autodate"},
     {"onCreate": one("validation_required", "Either onCreate or onUpdate must be enabled."),
      "onUpdate": one("validation_required", "Either onCreate or onUpdate must be enabled.")}),
    ("autodate ok", {"type": "autodate", "onUpdate": True}, {}),
    # select
    ("select no values", {"type": "select"}, {"values": one("validation_required", "Cannot be blank.")}),
    ("select maxSelect > len", {"type": "select", "values": ["a", "b"], "maxSelect": 3},
     {"maxSelect": one("validation_max_less_equal_than_required", "Must be no greater than 2.", {"threshold": 2})}),
    ("select negative", {"type": "select", "values": ["a"], "maxSelect": -1},
     {"maxSelect": one("validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0})}),
    # file
    ("file bad thumbs", {"type": "file", "thumbs": ["100x100", "0x0", "abc", "100x50f"]},
     {"thumbs": {"1": one("validation_not_in_invalid", "Must not be in list."),
                 "2": one("validation_match_invalid", "Must be in a valid format.")}}),
    ("file negative", {"type": "file", "maxSelect": -1, "maxSize": -1},
     {"maxSelect": one("validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0}),
      "maxSize": one("validation_min_greater_equal_than_required", "Must be no less than 0.", {"threshold": 0})}),
    # relation
    ("relation missing id", {"type": "relation"}, {"collectionId": one("validation_required", "Cannot be blank.")}),
    ("relation unknown", {"type": "relation", "collectionId": "nope"},
     {"collectionId": one("validation_field_relation_missing_collection", "The relation collection doesn't exist.")}),
    ("relation by name", {"type": "relation", "collectionId": "users"},
     {"collectionId": one("validation_field_relation_missing_collection", "The relation collection doesn't exist.")}),
    ("relation ok", {"type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}, {}),
    ("relation to view", {"type": "relation", "collectionId": "pbc_view"},
     {"collectionId": one("validation_relation_field_non_view_base_collection",
                          "Only view collections are allowed to have relations to other views.")}),
    ("relation minSelect w/o max", {"type": "relation", "collectionId": "pbc_1", "minSelect": 2},
     {"maxSelect": one("validation_required", "Cannot be blank.")}),
    ("relation max<min", {"type": "relation", "collectionId": "pbc_1", "minSelect": 3, "maxSelect": 2},
     {"maxSelect": one("validation_min_greater_equal_than_required", "Must be no less than 3.", {"threshold": 3})}),
    # password
    ("password min too large", {"type": "password", "min": 100},
     {"min": one("validation_max_less_equal_than_required", "Must be no greater than 71.", {"threshold": 71})}),
    ("password max<min", {"type": "password", "min": 10, "max": 5},
     {"max": one("validation_min_greater_equal_than_required", "Must be no less than 10.", {"threshold": 10})}),
    ("password cost", {"type": "password", "cost": 3},
     {"cost": one("validation_min_greater_equal_than_required", "Must be no less than 4.", {"threshold": 4})}),
    ("password cost high", {"type": "password", "cost": 32},
     {"cost": one("validation_max_less_equal_than_required", "Must be no greater than 31.", {"threshold": 31})}),
    ("password ok", {"type": "password", "min": 8, "cost": 12}, {}),
    ("geoPoint ok", {"type": "geoPoint"}, {}),
]


@pytest.mark.parametrize(("data", "expected"), [(d, e) for _, d, e in CASES], ids=[c[0] for c in CASES])
def test_validate_settings(data: dict[str, Any], expected: dict[str, Any]) -> None:
    assert errors_of(data) == expected


def test_settings_error_keys_are_sorted() -> None:
    errs = errors_of({"type": "email", "onlyDomains": ["a.com"], "exceptDomains": ["b.com"], "name": ""})
    assert list(errs) == sorted(errs)


def test_relation_collection_change_and_view_to_view() -> None:
    old = field_from_dict({"id": "r1", "name": "r", "type": "relation", "collectionId": "pbc_1"})
    new = field_from_dict({"id": "r1", "name": "r", "type": "relation", "collectionId": "_pb_users_auth_"})
    ctx = FieldContext(collection_type="base", lookup=lookup, old_fields={"r1": old})
    assert error_tree_to_dict(new.validate_settings(ctx)) == {
        "collectionId": one("validation_field_relation_change", "The relation collection cannot be changed.")
    }
    to_view = field_from_dict({"id": "r2", "name": "r", "type": "relation", "collectionId": "pbc_view"})
    assert to_view.validate_settings(FieldContext(collection_type="view", lookup=lookup)) == {}


def test_system_autodate_flags_are_frozen() -> None:
    old = field_from_dict({"id": "a1", "name": "created", "type": "autodate", "onCreate": True, "system": True})
    new = field_from_dict({"id": "a1", "name": "created", "type": "autodate", "onUpdate": True, "system": True})
    errs = error_tree_to_dict(new.validate_settings(FieldContext(old_fields={"a1": old})))
    assert errs == {
        "onCreate": one("validation_values_mismatch", "Values don't match."),
        "onUpdate": one("validation_values_mismatch", "Values don't match."),
    }


def test_only_one_primary_key() -> None:
    a = field_from_dict({"id": "a", "name": "id", "type": "text", "primaryKey": True, "required": True, "pattern": "^a$"})
    b = field_from_dict({"id": "b", "name": "id", "type": "text", "primaryKey": True, "required": True, "pattern": "^a$"})
    errs = error_tree_to_dict(a.validate_settings(FieldContext(fields=[a, b])))
    assert errs["primaryKey"]["code"] == "validation_unsupported_composite_pk"


def test_autogenerate_pattern_must_satisfy_field_rules() -> None:
    errs = errors_of({"type": "text", "autogeneratePattern": "[a-z]{3}", "min": 5})
    err = errs["autogeneratePattern"]
    assert err["code"] == "validation_invalid_autogenerate_pattern_value"
    assert err["message"].startswith("The provided autogenerate pattern could produce invalid field values, ex.: \"")


def test_default_system_fields_have_valid_settings() -> None:
    from satchel.core.fields.defaults import system_collection_fields

    for name, fields in system_collection_fields().items():
        for f in fields:
            assert f.validate_settings(FieldContext(collection_type="auth", fields=fields)) == {}, (name, f.name)
