"""Go's http.ServeContent decisions (the same cases are replayed on the wire from the
PocketBase 0.40.6 capture in tests/api/test_files_oracle.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from satchel.tools.serve_content import (
    INVALID_RANGE,
    NO_OVERLAP,
    RangeError,
    RangePart,
    multipart_framing,
    parse_range,
    plan,
)

MODIFIED = datetime(2026, 12, 5, 14, 12, 28, 600000, tzinfo=UTC)
LAST_MODIFIED = "Sat, 05 Dec 2026 14:12:28 GMT"
OLD = "Mon, 01 Jan 2001 00:00:00 GMT"


@pytest.mark.parametrize(("header", "expected"), [
    ("", []), ("bytes=0-4", [RangePart(0, 5)]), ("bytes=-5", [RangePart(18, 5)]), ("bytes=6-", [RangePart(6, 17)]),
    ("bytes=6-1000", [RangePart(6, 17)]), ("bytes=-0", [RangePart(23, 0)]), ("bytes=-1000", [RangePart(0, 23)]),
    ("bytes=0-1, 4-6", [RangePart(0, 2), RangePart(4, 3)]), ("bytes=1000-,0-1", [RangePart(0, 2)]),
])
def test_parse_range(header: str, expected: list[RangePart]) -> None:
    assert parse_range(header, 23) == expected


@pytest.mark.parametrize(("header", "error"), [
    ("bytes=1000-", NO_OVERLAP), ("bytes=x-y", INVALID_RANGE), ("items=0-4", INVALID_RANGE),
    ("bytes=5-2", INVALID_RANGE), ("bytes=5", INVALID_RANGE), ("bytes=--3", INVALID_RANGE),
])
def test_bad_ranges(header: str, error: str) -> None:
    with pytest.raises(RangeError, match=f"^{error}$"):
        parse_range(header, 23)


@pytest.mark.parametrize(("method", "headers", "status"), [
    ("GET", {}, 200),
    ("GET", {"if-modified-since": LAST_MODIFIED}, 304),
    ("HEAD", {"if-modified-since": LAST_MODIFIED}, 304),
    ("GET", {"if-modified-since": OLD}, 200),
    ("GET", {"if-modified-since": "yesterday"}, 200),
    ("GET", {"if-none-match": "*"}, 304),
    ("GET", {"if-none-match": '"abc"', "if-modified-since": LAST_MODIFIED}, 200),
    ("GET", {"if-match": '"abc"'}, 412),
    ("GET", {"if-match": "*"}, 200),
    ("GET", {"if-unmodified-since": OLD}, 412),
    ("GET", {"if-unmodified-since": LAST_MODIFIED}, 200),
    ("GET", {"range": "bytes=0-4", "if-range": LAST_MODIFIED}, 206),
    ("GET", {"range": "bytes=0-4", "if-range": OLD}, 200),
    ("GET", {"range": "bytes=0-4", "if-range": '"abc"'}, 200),
    ("GET", {"range": "bytes=0-4", "if-modified-since": LAST_MODIFIED}, 304),
    ("GET", {"range": "bytes=0-20,1-21"}, 200),  # more bytes than the file: sent whole
    ("GET", {"range": "bytes=99-"}, 416),
])
def test_plan_status(method: str, headers: dict[str, str], status: int) -> None:
    assert plan(method, headers, 23, MODIFIED).status == status


def test_multipart_framing() -> None:
    p = plan("GET", {"range": "bytes=0-1,4-6"}, 23, MODIFIED)
    heads, tail = multipart_framing(p, "text/plain", 23)
    assert heads[0] == f"--{p.boundary}\r\nContent-Range: bytes 0-1/23\r\nContent-Type: text/plain\r\n\r\n".encode()
    assert heads[1].startswith(b"\r\n--") and tail == f"\r\n--{p.boundary}--\r\n".encode()
    failed = plan("GET", {"range": "bytes=99-"}, 23, MODIFIED)
    assert failed.text == "invalid range: failed to overlap\n" and failed.set_headers["content-range"] == "bytes */23"
