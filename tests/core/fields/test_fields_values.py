"""prepare_value / validate_value / to_db / from_db and the write modifiers (spec 02)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from satchel.core.fields import (
    Modifier,
    PasswordValue,
    UnsupportedModifierError,
    apply_modifier,
    field_from_dict,
    parse_setter_key,
    resolve_setter,
    sort_setter_keys,
)
from satchel.core.fields.text import TextField


def fld(type_: str, **options: Any) -> Any:
    return field_from_dict({"id": "x", "name": "f", "type": type_, **options})


PREPARE: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("text", {}, 123456, "123456"),
    ("text", {}, True, "true"),
    ("text", {}, None, ""),
    ("text", {}, 1.5, "1.5"),
    ("text", {}, {"a": 1}, ""),
    ("editor", {}, "<p>x</p>", "<p>x</p>"),
    ("number", {}, "42", 42.0),
    ("number", {}, "12.5", 12.5),
    ("number", {}, True, 1.0),
    ("number", {}, "abc", 0.0),
    ("number", {}, None, 0.0),
    ("number", {}, " 5", 0.0),
    ("bool", {}, "true", True),
    ("bool", {}, "T", True),
    ("bool", {}, "1", True),
    ("bool", {}, "yes", False),
    ("bool", {}, 2, True),
    ("bool", {}, 0, False),
    ("email", {}, "me@example.com", "me@example.com"),
    ("date", {}, "2024-05-06 07:08:09", "2024-05-06 07:08:09.000Z"),
    ("date", {}, "2024-05-06", "2024-05-06 00:00:00.000Z"),
    ("date", {}, "2024-05-06T07:08:09Z", "2024-05-06 07:08:09.000Z"),
    ("date", {}, "2024-05-06T07:08:09", "2024-05-06 07:08:09.000Z"),
    ("date", {}, "2024-05-06T07:08:09.123456Z", "2024-05-06 07:08:09.123Z"),
    ("date", {}, "2024-05-06 07:08:09.123", "2024-05-06 07:08:09.123Z"),
    ("date", {}, "2024-05-06 07:08:09.1234Z", "2024-05-06 07:08:09.123Z"),
    ("date", {}, "2024-05-06T07:08:09+02:00", "2024-05-06 05:08:09.000Z"),
    ("date", {}, "2024-05-06 07:08:09 +0200", "2024-05-06 05:08:09.000Z"),
    ("date", {}, "Mon, 06 May 2024 07:08:09 GMT", "2024-05-06 07:08:09.000Z"),
    ("date", {}, "06 May 24 10:00 UTC", "2024-05-06 10:00:00.000Z"),
    ("date", {}, "2024-05-06 07:08:09.000Z", "2024-05-06 07:08:09.000Z"),
    ("date", {}, "2024-05-06 07:08", ""),
    ("date", {}, "2024/05/06", ""),
    ("date", {}, "May 6, 2024", ""),
    ("date", {}, 1700000000, ""),
    ("date", {}, "1700000000", ""),
    ("date", {}, "not a date", ""),
    ("date", {}, "2024-02-30", ""),
    ("autodate", {}, "2024-05-06", "2024-05-06 00:00:00.000Z"),
    ("select", {"values": ["a", "b"]}, ["draft", "live"], "live"),
    ("select", {"values": ["a", "b"]}, [], ""),
    ("select", {"values": ["a", "b"], "maxSelect": 2}, ["b", "b", "a"], ["b", "a"]),
    ("select", {"values": ["a", "b"], "maxSelect": 2}, "a", ["a"]),
    ("select", {"values": ["a", "b"], "maxSelect": 2}, '["a","b"]', ["a", "b"]),
    ("select", {"values": ["a", "b"], "maxSelect": 2}, None, []),
    ("select", {"values": ["a", "b"], "maxSelect": 2}, ["", "a", None], ["a"]),
    ("relation", {"collectionId": "c", "maxSelect": 5}, ["x", "y", "x"], ["x", "y"]),
    ("relation", {"collectionId": "c", "maxSelect": 1}, ["x", "y"], "y"),
    ("file", {"maxSelect": 2}, ["a.png", "b.png", "a.png"], ["a.png", "b.png"]),
    ("file", {}, ["a.png", "b.png"], "b.png"),
    ("json", {}, "", ""),
    ("json", {}, "null", None),
    ("json", {}, "true", True),
    ("json", {}, "123", 123),
    ("json", {}, "[1,2]", [1, 2]),
    ("json", {}, '{"a":1}', {"a": 1}),
    ("json", {}, "hello", "hello"),
    ("json", {}, "{bad", "{bad"),
    ("json", {}, '"quoted"', "quoted"),
    ("json", {}, None, None),
    ("json", {}, {"b": 1, "a": {"d": 1, "c": 2}}, {"a": {"c": 2, "d": 1}, "b": 1}),
    ("geoPoint", {}, {"lon": 23.32, "lat": 42.69}, {"lon": 23.32, "lat": 42.69}),
    ("geoPoint", {}, '{"lon":1,"lat":2}', {"lon": 1, "lat": 2}),
    ("geoPoint", {}, {"lat": 5}, {"lon": 0, "lat": 5}),
    ("geoPoint", {}, "abc", {"lon": 0, "lat": 0}),
    ("geoPoint", {}, [1, 2], {"lon": 0, "lat": 0}),
    ("geoPoint", {}, {"lon": "1", "lat": 2}, {"lon": 0, "lat": 0}),
    ("password", {}, "secret123", PasswordValue(plain="secret123")),
]


@pytest.mark.parametrize(("type_", "options", "raw", "expected"), PREPARE)
def test_prepare_value(type_: str, options: dict[str, Any], raw: Any, expected: Any) -> None:
    value = fld(type_, **options).prepare_value(raw)
    assert value == expected
    assert type(value) is type(expected)


def test_json_string_key_order_is_kept() -> None:
    assert list(fld("json").prepare_value('{"b":1,"a":2}')) == ["b", "a"]


def err(code: str, message: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message}
    if params:
        out["params"] = params
    return out


REQ = err("validation_required", "Cannot be blank.")

VALIDATE: list[tuple[str, dict[str, Any], Any, dict[str, Any] | None]] = [
    ("text", {"required": True}, "", REQ),
    ("text", {}, "", None),
    ("text", {"min": 3}, "ab", err("validation_min_text_constraint", "Must be at least 3 character(s).", {"min": 3})),
    ("text", {}, "x" * 5001, err("validation_max_text_constraint", "Must be no more than 5000 character(s).", {"max": 5000})),
    ("text", {}, "\u00e9" * 5000, None),
    ("text", {"max": 2}, "abc", err("validation_max_text_constraint", "Must be no more than 2 character(s).", {"max": 2})),
    ("text", {"pattern": "^[a-z-]+$"}, "Hello", err("validation_invalid_format", "Invalid value format.")),
    ("text", {"pattern": "^[a-z-]+$"}, "abc\n", err("validation_invalid_format", "Invalid value format.")),
    ("text", {"pattern": "[0-9]"}, "ab1", None),
    ("text", {"primaryKey": True, "min": 15, "max": 15, "pattern": "^[a-z0-9]+$"}, "BAD ID",
     err("validation_min_text_constraint", "Must be at least 15 character(s).", {"min": 15})),
    ("text", {"primaryKey": True, "pattern": "^.+$"}, "a/b",
     err("validation_forbidden_pk_character", "'/' is not a valid primary key character.", {"ch": "/"})),
    ("text", {"primaryKey": True, "pattern": "^.+$"}, "con",
     err("validation_reserved_pk", "The primary key 'CON' is reserved and cannot be used.", {"reserved": "CON"})),
    ("text", {"primaryKey": True}, "", REQ),
    ("editor", {"maxSize": 3}, "abcd",
     err("validation_content_size_limit", "The maximum allowed content size is 3 bytes.", {"maxSize": 3})),
    ("editor", {}, "x" * 5242881,
     err("validation_content_size_limit", "The maximum allowed content size is 5242880 bytes.", {"maxSize": 5242880})),
    ("editor", {"required": True}, "", REQ),
    ("number", {"required": True}, 0.0, REQ),
    ("number", {"min": 5}, 0.0, None),
    ("number", {"onlyInt": True}, 1.5, err("validation_only_int_constraint", "Decimal numbers are not allowed.")),
    ("number", {"min": 10}, 5.0, err("validation_min_number_constraint", "Must be greater or equal than 10.", {"min": 10})),
    ("number", {"max": 1.5}, 2.0, err("validation_max_number_constraint", "Must be less or equal than 1.5.", {"max": 1.5})),
    ("number", {}, float("nan"), err("validation_not_a_number", "The submitted number is not properly formatted.")),
    ("number", {}, float("inf"), err("validation_not_a_number", "The submitted number is not properly formatted.")),
    ("number", {}, "5", err("validation_unsupported_value_type", "Invalid or unsupported value type.")),
    ("bool", {"required": True}, False, REQ),
    ("bool", {"required": True}, True, None),
    ("email", {}, "bad", err("validation_is_email", "Must be a valid email address.")),
    ("email", {"onlyDomains": ["example.com"]}, "a@other.com",
     err("validation_email_domain_not_allowed", "Email domain is not allowed.")),
    ("email", {"exceptDomains": ["example.com"]}, "a@example.com",
     err("validation_email_domain_not_allowed", "Email domain is not allowed.")),
    ("email", {"onlyDomains": ["example.com"]}, "a@Example.com",
     err("validation_email_domain_not_allowed", "Email domain is not allowed.")),
    ("email", {"required": True}, "", REQ),
    ("url", {}, "ftp://x", None),
    ("url", {}, "not a url", err("validation_invalid_url", "Must be a valid url.")),
    ("url", {"onlyDomains": ["pocketbase.io"]}, "https://example.com/x",
     err("validation_url_domain_not_allowed", "Url domain is not allowed.")),
    ("url", {"onlyDomains": ["pocketbase.io"]}, "https://pocketbase.io/docs", None),
    ("url", {"exceptDomains": ["a.com:8080"]}, "http://a.com:8080/x",
     err("validation_url_domain_not_allowed", "Url domain is not allowed.")),
    ("date", {"required": True}, "", REQ),
    ("date", {"min": "2020-01-01"}, "2010-01-01 00:00:00.000Z",
     err("validation_min_greater_equal_than_required", "Must be no less than 2020-01-01 00:00:00 +0000 UTC.",
         {"threshold": "2020-01-01T00:00:00Z"})),
    ("date", {"max": "2020-01-01 10:00:00.250Z"}, "2030-01-01 00:00:00.000Z",
     err("validation_max_less_equal_than_required", "Must be no greater than 2020-01-01 10:00:00.25 +0000 UTC.",
         {"threshold": "2020-01-01T10:00:00.25Z"})),
    ("autodate", {"onCreate": True}, "", None),
    ("select", {"values": ["a", "b"], "required": True}, "", REQ),
    ("select", {"values": ["a", "b"]}, "c", err("validation_invalid_value", "Invalid value c.", {"value": "c"})),
    ("select", {"values": ["a", "b", "c", "d"], "maxSelect": 3}, ["a", "b", "c", "d"],
     err("validation_too_many_values", "Select no more than 3.", {"maxSelect": 3})),
    ("select", {"values": ["a", "b"]}, ["a", "b"], err("validation_too_many_values", "Select no more than 1.", {"maxSelect": 1})),
    ("relation", {"collectionId": "c", "maxSelect": 5, "minSelect": 2}, ["x"],
     err("validation_not_enough_values", "Select at least 2.", {"minSelect": 2})),
    ("relation", {"collectionId": "c", "maxSelect": 2}, ["x", "y", "z"],
     err("validation_too_many_values", "Select no more than 2.", {"maxSelect": 2})),
    ("relation", {"collectionId": "c", "required": True}, "", REQ),
    ("json", {"required": True}, None, REQ),
    ("json", {"required": True}, "", REQ),
    ("json", {"required": True}, [], REQ),
    ("json", {"required": True}, {}, REQ),
    ("json", {"required": True}, 0, None),
    ("json", {"maxSize": 5}, {"a": 123}, err("validation_json_size_limit", "The maximum allowed JSON size is 5 bytes.", {"maxSize": 5})),
    ("json", {}, float("nan"), err("validation_invalid_json", "Must be a valid json value.")),
    ("geoPoint", {"required": True}, {"lon": 0, "lat": 0}, REQ),
    ("geoPoint", {}, {"lon": 0, "lat": 91}, err("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees.")),
    ("geoPoint", {}, {"lon": -181, "lat": 0}, err("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees.")),
    ("password", {"min": 8}, PasswordValue(plain="short"), err("validation_min_text_constraint", "Must be at least 8 character(s).")),
    ("password", {}, PasswordValue(plain="x" * 72), err("validation_max_text_constraint", "Must be less than 71 character(s).")),
    ("password", {"pattern": "[0-9]"}, PasswordValue(plain="abcdef"), err("validation_invalid_format", "Invalid value format.")),
    ("password", {"required": True}, PasswordValue(), REQ),
    ("password", {"required": True, "min": 8}, PasswordValue(hash="$2a$10$abc"), None),
]


@pytest.mark.parametrize(("type_", "options", "value", "expected"), VALIDATE)
def test_validate_value(type_: str, options: dict[str, Any], value: Any, expected: dict[str, Any] | None) -> None:
    result = fld(type_, **options).validate_value(value, is_new=True)
    assert (result.to_dict() if result else None) == expected


def test_pk_cannot_change_and_existing_is_trusted() -> None:
    pk = fld("text", name="id", primaryKey=True, min=15, max=15, pattern="^[a-z0-9]+$")
    changed = pk.validate_value("abcdefghijklmno", is_new=False, original="zzzzzzzzzzzzzzz")
    assert changed is not None and changed.code == "validation_pk_change"
    assert pk.validate_value("OLD_IMPORTED", is_new=False, original="OLD_IMPORTED") is None
    assert not pk.needs_pk_uniqueness_check
    assert fld("text", name="id", primaryKey=True, pattern="^.+$").needs_pk_uniqueness_check


@dataclass
class Upload:
    name: str
    size: int = 10
    mime_type: str = "image/png"
    original_name: str = "photo.png"


def test_file_values() -> None:
    f = fld("file", maxSelect=2, maxSize=100, mimeTypes=["image/png"])
    new = Upload("photo_abc.png")
    value = f.prepare_value(["old.png", new])
    assert value == ["old.png", new]
    assert f.validate_value(value, original=["old.png"]) is None
    invalid = f.validate_value(["forged.png"], original=["old.png"])
    assert invalid is not None and invalid.to_dict() == err(
        "validation_invalid_file", "Invalid new files: [forged.png].", {"invalidFiles": ["forged.png"]}
    )
    many = f.validate_value(["a", "b", "c"], original=["a", "b", "c"])
    assert many is not None and many.to_dict() == err(
        "validation_too_many_files", "The maximum allowed files is 2.", {"maxSelect": 2}
    )
    big = f.validate_value([Upload("big_x.png", size=101)])
    assert big is not None and big.to_dict() == err(
        "validation_file_size_limit",
        "Failed to upload photo.png - the maximum allowed file size is 100 bytes.",
        {"file": "photo.png", "maxSize": 100},
    )
    mime = f.validate_value([Upload("doc_x.pdf", mime_type="application/pdf")])
    assert mime is not None and mime.code == "validation_invalid_mime_type"
    assert f.to_db(value) == '["old.png","photo_abc.png"]'
    assert f.uploads(value) == [new]
    assert fld("file", required=True).validate_value("") is not None


STORAGE: list[tuple[str, dict[str, Any], Any, Any, Any]] = [
    # type, options, prepared value, db value, api value
    ("text", {}, "hi", "hi", "hi"),
    ("number", {}, 15.0, 15, 15),
    ("number", {}, 1.5, 1.5, 1.5),
    ("bool", {}, True, 1, True),
    ("bool", {}, False, 0, False),
    ("date", {}, "2024-05-06 07:08:09.000Z", "2024-05-06 07:08:09.000Z", "2024-05-06 07:08:09.000Z"),
    ("select", {"values": ["a", "b"], "maxSelect": 2}, ["a", "b"], '["a","b"]', ["a", "b"]),
    ("select", {"values": ["a"]}, "a", "a", "a"),
    ("select", {"values": ["a"], "maxSelect": 2}, [], "[]", []),
    ("relation", {"collectionId": "c"}, "", "", ""),
    ("json", {}, {"k": [1, 2, {"x": "y"}]}, '{"k":[1,2,{"x":"y"}]}', {"k": [1, 2, {"x": "y"}]}),
    ("json", {}, None, None, None),
    ("json", {}, "", '""', ""),
    ("geoPoint", {}, {"lon": 23.32, "lat": 42.69}, '{"lon":23.32,"lat":42.69}', {"lon": 23.32, "lat": 42.69}),
    ("geoPoint", {}, {"lon": 0, "lat": 0}, '{"lon":0,"lat":0}', {"lon": 0, "lat": 0}),
    ("password", {}, PasswordValue(plain="x", hash="$2a$10$h"), "$2a$10$h", ""),
]


@pytest.mark.parametrize(("type_", "options", "value", "db", "api"), STORAGE)
def test_to_db_from_db(type_: str, options: dict[str, Any], value: Any, db: Any, api: Any) -> None:
    f = fld(type_, **options)
    assert f.to_db(value) == db
    assert f.from_db(db) == api


def test_from_db_tolerates_single_multi_switches() -> None:
    assert fld("select", values=["a", "b"], maxSelect=2).from_db("a") == ["a"]
    assert fld("select", values=["a", "b"]).from_db('["a","b"]') == "b"
    assert fld("json").from_db("not json") == "not json"
    assert fld("bool").from_db("1") is True
    assert fld("password").stored_value("$2a$10$abc") == PasswordValue(hash="$2a$10$abc")


def test_autodate_and_autogenerate_helpers() -> None:
    a = fld("autodate", onCreate=True)
    assert not a.client_settable
    assert a.value_on_save("old", is_new=True, now="N") == "N"
    assert a.value_on_save("old", is_new=False, now="N") == "old"
    t: TextField = fld("text", autogeneratePattern="[a-z]{8}")
    generated = t.autogenerate_if_empty("", is_new=True)
    assert len(generated) == 8 and generated.isalpha()
    assert t.autogenerate_if_empty("", is_new=False) == ""
    assert t.autogenerate_if_empty("given", is_new=True) == "given"


# -- modifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("views", ("views", None)),
        ("views+", ("views", Modifier.APPEND)),
        ("+tags", ("tags", Modifier.PREPEND)),
        ("tags-", ("tags", Modifier.SUBTRACT)),
        ("slug:autogenerate", ("slug", Modifier.AUTOGENERATE)),
    ],
)
def test_parse_setter_key(key: str, expected: tuple[str, Modifier | None]) -> None:
    assert parse_setter_key(key) == expected


def test_sort_and_resolve_setter() -> None:
    assert sort_setter_keys(["views+", "views", "+labels", "id"]) == ["id", "views", "views+", "+labels"]
    fields = {"views": fld("number", name="views"), "title": fld("text", name="title"), "ok": fld("bool", name="ok")}
    resolved = resolve_setter("views+", fields)
    assert resolved is not None and resolved[1] is Modifier.APPEND
    assert resolve_setter("+views", fields) is None  # no prepend for numbers
    assert resolve_setter("ok+", fields) is None
    assert resolve_setter("nope", fields) is None
    assert resolve_setter("title:autogenerate", fields) is not None


LABELS = {"values": ["a", "b", "c", "d"], "maxSelect": 3}


@pytest.mark.parametrize(
    ("type_", "options", "current", "modifier", "operand", "expected"),
    [
        ("number", {}, 15.0, Modifier.APPEND, 5, 20.0),
        ("number", {}, 1.5, Modifier.SUBTRACT, 0.5, 1.0),
        ("number", {}, 5.0, Modifier.APPEND, "1", 6.0),
        ("select", LABELS, ["a", "b"], Modifier.APPEND, "c", ["a", "b", "c"]),
        ("select", LABELS, ["a", "b", "c"], Modifier.PREPEND, ["d"], ["d", "a", "b", "c"]),
        ("select", LABELS, ["a", "b", "c"], Modifier.SUBTRACT, ["a", "d"], ["b", "c"]),
        ("select", LABELS, ["a"], Modifier.APPEND, ["a", "b"], ["a", "b"]),
        ("select", {"values": ["draft", "live"]}, "live", Modifier.APPEND, "draft", "draft"),
        ("select", {"values": ["draft", "live"]}, "live", Modifier.SUBTRACT, "live", ""),
        ("relation", {"collectionId": "c", "maxSelect": 9}, ["x", "y"], Modifier.SUBTRACT, "x", ["y"]),
        ("file", {"maxSelect": 9}, ["a.png"], Modifier.SUBTRACT, ["a.png"], []),
        ("file", {"maxSelect": 9}, ["a.png"], Modifier.PREPEND, "b.png", ["b.png", "a.png"]),
    ],
)
def test_apply_modifier(
    type_: str, options: dict[str, Any], current: Any, modifier: Modifier, operand: Any, expected: Any
) -> None:
    assert apply_modifier(fld(type_, **options), current, modifier, operand) == expected


def test_modifier_results_validate_like_pocketbase() -> None:
    labels = fld("select", **LABELS)
    value = apply_modifier(labels, ["a", "b", "c"], "prepend", ["d"])
    result = labels.validate_value(value)
    assert result is not None and result.code == "validation_too_many_values"


def test_autogenerate_modifier_and_unsupported() -> None:
    slug = fld("text", autogeneratePattern="[a-z]{8}")
    value = apply_modifier(slug, "", Modifier.AUTOGENERATE, "post-")
    assert value.startswith("post-") and len(value) == 13
    assert apply_modifier(fld("text"), "", Modifier.AUTOGENERATE, "p-") == "p-"
    with pytest.raises(UnsupportedModifierError):
        apply_modifier(fld("bool"), True, Modifier.APPEND, 1)


def test_stored_date_text_fast_path_agrees_with_the_layouts() -> None:
    """normalize_date answers the stored form itself without trying cast.ToTime's layouts:
    for every text of that shape (real dates, impossible ones, year 0, Go's zero time) it
    must give what parsing and formatting give."""
    import random

    from satchel.core.fields._dates import format_date, normalize_date, parse_date

    def by_layouts(text: str) -> str:
        parsed = parse_date(text)
        out = "" if parsed is None else format_date(parsed)
        return "" if out == "0001-01-01 00:00:00.000Z" else out

    rng = random.Random(5)
    texts = ["2026-12-06 09:10:09.158Z", "0001-01-01 00:00:00.000Z", "0000-01-01 00:00:00.000Z",
             "2023-02-29 00:00:00.000Z", "2024-02-29 23:59:59.999Z", "2026-12-06 24:00:00.000Z",
             "2026-12-06 09:10:60.000Z", "9999-12-31 23:59:59.999Z", "2026-1\uff12-06 09:10:09.158Z"]
    texts += [f"{rng.randint(0, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d} "
              f"{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}.{rng.randint(0, 999):03d}Z"
              for _ in range(3000)]
    assert [normalize_date(t) for t in texts] == [by_layouts(t) for t in texts]
