"""Record writes may be as large as their fields allow; other routes stop at 32 MiB (spec 00 §3)."""

from __future__ import annotations

from starlette.testclient import TestClient

from satchel.core.body_limits import record_body_limit
from satchel.core.collections.model import Collection
from satchel.core.fields import field_from_dict

MIB = 1 << 20


def test_record_limit_adds_field_maxima() -> None:
    c = Collection(
        id="x",
        name="x",
        fields=[
            field_from_dict({"name": "doc", "type": "file", "maxSelect": 3, "maxSize": 2 * MIB}),
            field_from_dict({"name": "body", "type": "editor"}),  # default 5 MiB
            field_from_dict({"name": "meta", "type": "json", "maxSize": 10}),
            field_from_dict({"name": "title", "type": "text"}),
        ],
    )
    assert record_body_limit(c) == 32 * MIB + 3 * 2 * MIB + 5 * MIB + 10


def test_a_record_body_past_32_mib_is_read_when_the_fields_allow_it(su: TestClient) -> None:
    su.post("/api/collections", json={"name": "notes", "createRule": "", "fields": [{"name": "body", "type": "editor"}]})
    body = b'{"body":"' + b"a" * (33 * MIB) + b'"}'
    r = su.post("/api/collections/notes/records", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code != 413
    # the same size elsewhere is too large
    r = su.post("/api/collections", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["message"] == "Request entity too large."
