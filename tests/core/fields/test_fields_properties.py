"""Property: prepare_value -> to_db -> from_db gives the API form of the prepared value."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from satchel.core.fields import PasswordValue, field_from_dict
from satchel.core.fields._gocompat import json_number
from satchel.core.fields.geopoint import parse_geo_point

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
anything = st.one_of(json_values, st.lists(st.text(max_size=10), max_size=6))


def fld(type_: str, **options: Any) -> Any:
    return field_from_dict({"id": "x", "name": "f", "type": type_, **options})


def round_trip(f: Any, raw: Any) -> tuple[Any, Any]:
    prepared = f.prepare_value(raw)
    return prepared, f.from_db(f.to_db(prepared))


@given(anything)
def test_text_like(raw: Any) -> None:
    for type_ in ("text", "editor", "email", "url"):
        prepared, back = round_trip(fld(type_), raw)
        assert isinstance(prepared, str) and back == prepared


@given(anything)
def test_number(raw: Any) -> None:
    prepared, back = round_trip(fld("number"), raw)
    assert isinstance(prepared, float)
    assert back == json_number(prepared)


@given(anything)
def test_bool(raw: Any) -> None:
    prepared, back = round_trip(fld("bool"), raw)
    assert back is prepared


@given(st.one_of(anything, st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)).map(str)))
def test_date(raw: Any) -> None:
    for type_ in ("date", "autodate"):
        prepared, back = round_trip(fld(type_), raw)
        assert back == prepared
        assert prepared == "" or (len(prepared) == 24 and prepared.endswith("Z"))


@given(anything, st.integers(min_value=0, max_value=5))
def test_multi_valued(raw: Any, max_select: int) -> None:
    for f in (
        fld("select", values=["a", "b"], maxSelect=max_select),
        fld("relation", collectionId="c", maxSelect=max_select),
        fld("file", maxSelect=max_select),
    ):
        prepared, back = round_trip(f, raw)
        assert back == prepared
        assert isinstance(prepared, list) == f.is_multiple


@given(anything)
@settings(max_examples=200)
def test_json(raw: Any) -> None:
    f = fld("json")
    prepared, back = round_trip(f, raw)
    assert back == prepared
    if prepared is not None:
        assert json.loads(f.to_db(prepared)) == prepared


@given(
    st.one_of(
        anything,
        st.fixed_dictionaries(
            {"lon": st.floats(-180, 180, allow_nan=False), "lat": st.floats(-90, 90, allow_nan=False)}
        ),
    )
)
def test_geo_point(raw: Any) -> None:
    f = fld("geoPoint")
    prepared, back = round_trip(f, raw)
    assert back == prepared == parse_geo_point(prepared)
    assert list(json.loads(f.to_db(prepared))) == ["lon", "lat"]


@given(st.text(max_size=80))
def test_password(plain: str) -> None:
    f = fld("password")
    prepared = f.prepare_value(plain)
    assert prepared == PasswordValue(plain=plain)
    prepared.hash = "$2a$10$" + "x" * 53
    assert f.to_db(prepared) == prepared.hash
    assert f.from_db(f.to_db(prepared)) == ""
    assert f.stored_value(f.to_db(prepared)).hash == prepared.hash
