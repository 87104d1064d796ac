"""Row -> record decoding gives the same values as the fields' own ``from_db``."""

from __future__ import annotations

from typing import Any

import pytest

from satchel.core.collections.model import Collection
from satchel.core.fields import field_from_dict
from satchel.core.records.codec import codec_for

FIELDS = [
    {"name": "id", "type": "text", "primaryKey": True},
    {"name": "t", "type": "text"},
    {"name": "b", "type": "bool"},
    {"name": "n", "type": "number"},
    {"name": "d", "type": "date"},
    {"name": "s", "type": "select", "values": ["a", "b"], "maxSelect": 2},
    {"name": "j", "type": "json"},
    {"name": "g", "type": "geoPoint"},
    {"name": "r", "type": "relation", "collectionId": "x", "maxSelect": 1},
    {"name": "p", "type": "password"},
]
COLL = Collection(id="c1", name="things", fields=[field_from_dict(f) for f in FIELDS])
NAMES = [f["name"] for f in FIELDS]


@pytest.mark.parametrize(
    "row",
    [
        ("id1", "x", 1, 3, "2024-05-06 07:08:09.000Z", '["a","b"]', '{"k":1}', '{"lon":1,"lat":2}', "rid", "$2a$x"),
        ("id2", 5, 0, 1.5, "2024-05-06", "[]", None, '{"lon":0,"lat":0}', "", ""),
        ("id3", "", "1", 2.0, "", "a", '"s"', "bad", None, None),
    ],
)
def test_codec_matches_from_db(row: tuple[Any, ...]) -> None:
    rec = codec_for(COLL).decode(NAMES, row)
    for f, raw in zip(COLL.fields, row, strict=True):
        expected = (raw if isinstance(raw, str) else "") if f.type == "password" else f.from_db(raw)
        assert rec[f.name] == expected, f.name
    assert rec["collectionId"] == "c1" and rec["collectionName"] == "things"


def test_codec_is_cached_per_collection_object() -> None:
    assert codec_for(COLL) is codec_for(COLL)
    assert codec_for(COLL.clone()) is not codec_for(COLL)
