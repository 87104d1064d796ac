"""from_dict / to_dict: defaults, exact key sets (sorted), round trips, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from satchel.core.fields import (
    FIELD_TYPES,
    ColumnKind,
    Field,
    UnknownFieldTypeError,
    field_from_dict,
    generate_field_id,
)
from satchel.core.fields.defaults import (
    auth_system_fields,
    autodate_fields,
    id_field,
    system_collection_fields,
)
from satchel.errors import ValidationFailed

COMMON = {"hidden": False, "id": "", "name": "f", "presentable": False, "system": False}

# Defaults echoed back by PocketBase for a field given only name+type (spec 02 §2).
DEFAULTS: list[tuple[str, dict[str, Any]]] = [
    ("text", {"autogeneratePattern": "", "help": "", "max": 0, "min": 0, "pattern": "", "primaryKey": False, "required": False}),
    ("editor", {"convertURLs": False, "help": "", "maxSize": 0, "required": False}),
    ("number", {"help": "", "max": None, "min": None, "onlyInt": False, "required": False}),
    ("bool", {"help": "", "required": False}),
    ("email", {"exceptDomains": [], "help": "", "onlyDomains": [], "required": False}),
    ("url", {"exceptDomains": [], "help": "", "onlyDomains": [], "required": False}),
    ("date", {"help": "", "max": "", "min": "", "required": False}),
    ("autodate", {"onCreate": False, "onUpdate": False}),
    ("select", {"help": "", "maxSelect": 0, "required": False, "values": []}),
    (
        "file",
        {"help": "", "maxSelect": 0, "maxSize": 0, "mimeTypes": [], "protected": False, "required": False, "thumbs": []},
    ),
    ("relation", {"cascadeDelete": False, "collectionId": "", "help": "", "maxSelect": 0, "minSelect": 0, "required": False}),
    ("json", {"help": "", "maxSize": 0, "required": False}),
    ("geoPoint", {"help": "", "required": False}),
    ("password", {"cost": 0, "help": "", "max": 0, "min": 0, "pattern": "", "required": False}),
]


def test_registry_has_the_14_types() -> None:
    assert sorted(FIELD_TYPES) == sorted(t for t, _ in DEFAULTS)
    for name, cls in FIELD_TYPES.items():
        assert cls.type == name


@pytest.mark.parametrize(("type_", "options"), DEFAULTS, ids=[t for t, _ in DEFAULTS])
def test_defaults_and_sorted_keys(type_: str, options: dict[str, Any]) -> None:
    out = field_from_dict({"name": "f", "type": type_, "unknownKey": 1}).to_dict()
    expected = {**COMMON, **options, "type": type_}
    assert out == expected
    assert list(out) == sorted(expected)


FULL: list[dict[str, Any]] = [
    {"autogeneratePattern": "[a-z]{8}", "help": "h", "hidden": True, "id": "text1", "max": 20, "min": 2, "name": "slug",
     "pattern": "^[a-z-]+$", "presentable": True, "primaryKey": False, "required": True, "system": False, "type": "text"},
    {"convertURLs": True, "help": "", "hidden": False, "id": "e1", "maxSize": 100, "name": "body", "presentable": False,
     "required": False, "system": False, "type": "editor"},
    {"help": "", "hidden": False, "id": "n1", "max": 1.5, "min": -3, "name": "score", "onlyInt": False,
     "presentable": False, "required": False, "system": False, "type": "number"},
    {"help": "", "hidden": False, "id": "d1", "max": "2030-01-01 00:00:00.000Z", "min": "2020-01-01 00:00:00.000Z",
     "name": "due", "presentable": False, "required": False, "system": False, "type": "date"},
    {"help": "", "hidden": False, "id": "s1", "maxSelect": 3, "name": "labels", "presentable": False, "required": False,
     "system": False, "type": "select", "values": ["a", "b", "c", "d"]},
    {"help": "", "hidden": False, "id": "f1", "maxSelect": 1, "maxSize": 0, "mimeTypes": ["image/png"], "name": "cover",
     "presentable": False, "protected": True, "required": False, "system": False, "thumbs": ["100x100"], "type": "file"},
    {"cascadeDelete": True, "collectionId": "_pb_users_auth_", "help": "", "hidden": False, "id": "relation3182418120",
     "maxSelect": 1, "minSelect": 0, "name": "author", "presentable": False, "required": True, "system": False,
     "type": "relation"},
    {"hidden": False, "id": "autodate2990389176", "name": "created", "onCreate": True, "onUpdate": False,
     "presentable": False, "system": False, "type": "autodate"},
]


@pytest.mark.parametrize("data", FULL, ids=[d["type"] for d in FULL])
def test_round_trip_exact(data: dict[str, Any]) -> None:
    out = field_from_dict(data).to_dict()
    assert out == data
    assert list(out) == list(data)
    assert json.dumps(out) == json.dumps(data)


def test_integral_number_options_serialize_without_fraction() -> None:
    out = field_from_dict({"name": "n", "type": "number", "min": 10.0, "max": 1000}).to_dict()
    assert json.dumps(out["min"]) == "10" and json.dumps(out["max"]) == "1000"


def test_date_options_are_normalized() -> None:
    out = field_from_dict({"name": "d", "type": "date", "min": "2024-05-06", "max": "garbage"}).to_dict()
    assert out["min"] == "2024-05-06 00:00:00.000Z"
    assert out["max"] == ""


@pytest.mark.parametrize(
    ("data", "bad_key"),
    [
        ({"name": "x", "type": "text", "min": "5"}, "min"),
        ({"name": "x", "type": "text", "required": "yes"}, "required"),
        ({"name": 5, "type": "text"}, "name"),
        ({"name": "x", "type": "select", "values": "a,b"}, "values"),
        ({"name": "x", "type": "select", "values": ["a", 1]}, "values"),
        ({"name": "x", "type": "number", "min": "1"}, "min"),
        ({"name": "x", "type": "number", "max": True}, "max"),
        ({"name": "x", "type": "date", "min": 1700000000}, "min"),
        ({"name": "x", "type": "text", "createRule": 5}, "createRule"),
        ({"name": "x", "type": "text", "max": 1.5}, "max"),
    ],
)
def test_wrong_typed_options_raise_validation_failed(data: dict[str, Any], bad_key: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        field_from_dict(data)
    assert bad_key in exc.value.errors
    assert exc.value.errors[bad_key].code == "validation_invalid_value"  # type: ignore[union-attr]


def test_null_options_take_defaults() -> None:
    f = field_from_dict({"name": "x", "type": "text", "min": None, "help": None, "system": None, "max": 5.0})
    assert f.to_dict()["min"] == 0 and f.to_dict()["help"] == "" and f.to_dict()["max"] == 5


@pytest.mark.parametrize("data", [{"name": "x"}, {"name": "x", "type": "nope"}, {"name": "x", "type": 3}])
def test_unknown_type(data: dict[str, Any]) -> None:
    with pytest.raises(UnknownFieldTypeError) as exc:
        field_from_dict(data)
    err = exc.value.errors["type"]
    assert err.code == "validation_in_invalid" and err.message == "Must be a valid value."  # type: ignore[union-attr]


def test_extension_keys_only_when_set() -> None:
    plain = field_from_dict({"name": "secret", "type": "text"}).to_dict()
    assert not {"createRule", "updateRule", "deleteRule", "views"} & set(plain)
    data = {"name": "email", "system": False, "type": "email", "required": True, "presentable": False, "views": {},
            "createRule": None, "updateRule": "@request.auth.id = user.id", "deleteRule": None}
    out = field_from_dict(data).to_dict()
    assert out["views"] == {} and out["createRule"] is None and out["deleteRule"] is None
    assert out["updateRule"] == "@request.auth.id = user.id"
    assert list(out) == sorted(out)
    listed = field_from_dict({"name": "s", "type": "text", "views": ["list"]}).to_dict()
    assert listed["views"] == ["list"] and "createRule" not in listed


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"name": "id", "type": "text", "primaryKey": True}, ColumnKind.PRIMARY_KEY),
        ({"name": "t", "type": "text"}, ColumnKind.TEXT),
        ({"name": "t", "type": "editor"}, ColumnKind.TEXT),
        ({"name": "t", "type": "email"}, ColumnKind.TEXT),
        ({"name": "t", "type": "url"}, ColumnKind.TEXT),
        ({"name": "t", "type": "date"}, ColumnKind.TEXT),
        ({"name": "t", "type": "autodate"}, ColumnKind.TEXT),
        ({"name": "t", "type": "password"}, ColumnKind.TEXT),
        ({"name": "t", "type": "number"}, ColumnKind.NUMBER),
        ({"name": "t", "type": "bool"}, ColumnKind.BOOL),
        ({"name": "t", "type": "json"}, ColumnKind.JSON),
        ({"name": "t", "type": "geoPoint"}, ColumnKind.GEO_POINT),
        ({"name": "t", "type": "select", "maxSelect": 1}, ColumnKind.TEXT),
        ({"name": "t", "type": "select", "maxSelect": 2}, ColumnKind.JSON_ARRAY),
        ({"name": "t", "type": "file"}, ColumnKind.TEXT),
        ({"name": "t", "type": "file", "maxSelect": 5}, ColumnKind.JSON_ARRAY),
        ({"name": "t", "type": "relation", "maxSelect": 1}, ColumnKind.TEXT),
        ({"name": "t", "type": "relation", "maxSelect": 2147483647}, ColumnKind.JSON_ARRAY),
    ],
)
def test_column_kind(data: dict[str, Any], kind: ColumnKind) -> None:
    assert field_from_dict(data).column_kind is kind


def test_column_kinds_match_the_dialect_keys() -> None:
    from satchel.store.dialect import COLUMN_DDL

    assert {k.value for k in ColumnKind} == set(COLUMN_DDL)


@pytest.mark.parametrize(
    ("type_", "name", "taken", "expected"),
    [
        ("text", "id", set(), "text3208210256"),
        ("autodate", "created", set(), "autodate2990389176"),
        ("autodate", "updated", set(), "autodate3332085495"),
        ("relation", "author", set(), "relation3182418120"),
        ("number", "extra", set(), "number1295977829"),
        ("text", "name", {"text1579384326"}, "text15793843262"),
        ("text", "name", {"text1579384326", "text15793843262"}, "text15793843263"),
    ],
)
def test_generate_field_id(type_: str, name: str, taken: set[str], expected: str) -> None:
    assert generate_field_id(type_, name, taken) == expected


def test_system_collection_fields_match_the_captured_fresh_pb_data() -> None:
    path = Path(__file__).parents[3] / "satchel" / "core" / "system_collections.json"
    captured = json.loads(path.read_text())["collections"]
    mine = system_collection_fields()
    assert [c["name"] for c in captured] == list(mine)
    for c in captured:
        produced = [f.to_dict() for f in mine[c["name"]]]
        assert json.dumps(produced) == json.dumps(c["fields"]), c["name"]


def test_default_factories() -> None:
    assert id_field().to_dict() == {
        "autogeneratePattern": "[a-z0-9]{15}", "help": "", "hidden": False, "id": "text3208210256", "max": 15, "min": 15,
        "name": "id", "pattern": "^[a-z0-9]+$", "presentable": False, "primaryKey": True, "required": True,
        "system": True, "type": "text",
    }
    assert [f.id for f in auth_system_fields()] == [
        "password901924565", "text2504183744", "email3885137012", "bool1547992806", "bool256245529",
    ]
    created, updated = autodate_fields()
    assert (created.name, updated.name, created.system) == ("created", "updated", False)
    a: list[Field] = auth_system_fields()
    a[0].name = "changed"
    assert auth_system_fields()[0].name == "password"  # fresh objects
