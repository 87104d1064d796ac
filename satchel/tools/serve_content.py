"""What Go's ``http.ServeContent`` answers for a file, as a pure decision.

PocketBase serves every stored file through ``http.ServeContent`` (no ETag, a
``Last-Modified`` at second precision), so clients see its rules: ``If-Match`` /
``If-Unmodified-Since`` (412), ``If-None-Match`` / ``If-Modified-Since`` (304),
``If-Range``, and ``Range`` with one range (206), several (206
``multipart/byteranges``) or none that fits (416 ``invalid range…``).
:func:`plan` turns the request headers, the size and the modification time into
a :class:`Plan`; the caller only moves bytes.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

__all__ = ["Plan", "RangePart", "multipart_framing", "parse_range", "plan"]

INVALID_RANGE = "invalid range"
NO_OVERLAP = "invalid range: failed to overlap"
TEXT_PLAIN = "text/plain; charset=utf-8"


class RangeError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RangePart:
    start: int
    length: int

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.start + self.length - 1}/{size}"


@dataclass(frozen=True, slots=True)
class Plan:
    """``status``; headers to set and to remove; the byte ranges to send (``()`` = the
    whole file, ``None`` = no file bytes); ``text`` = an error body instead."""

    status: int
    set_headers: dict[str, str] = field(default_factory=dict)
    drop_headers: frozenset[str] = frozenset()
    ranges: tuple[RangePart, ...] | None = ()
    text: str | None = None
    boundary: str = ""


def parse_range(header: str, size: int) -> list[RangePart]:
    """Go's ``parseRange``: ``RangeError(INVALID_RANGE | NO_OVERLAP)`` when unusable."""
    if not header:
        return []
    prefix = "bytes="
    if not header.startswith(prefix):
        raise RangeError(INVALID_RANGE)
    out: list[RangePart] = []
    no_overlap = False
    for raw in header[len(prefix):].split(","):
        item = raw.strip()
        if not item:
            continue
        first, sep, last = item.partition("-")
        if not sep:
            raise RangeError(INVALID_RANGE)
        first, last = first.strip(), last.strip()
        if not first:
            if not last or last.startswith("-") or not last.isdigit():
                raise RangeError(INVALID_RANGE)
            n = min(int(last), size)
            out.append(RangePart(size - n, n))
            continue
        if not first.isdigit():
            raise RangeError(INVALID_RANGE)
        start = int(first)
        if start >= size:
            no_overlap = True
            continue
        if not last:
            out.append(RangePart(start, size - start))
            continue
        if not last.isdigit() or start > int(last):
            raise RangeError(INVALID_RANGE)
        end = min(int(last), size - 1)
        out.append(RangePart(start, end - start + 1))
    if no_overlap and not out:
        raise RangeError(NO_OVERLAP)
    return out


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


def _etags(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _preconditions(method: str, headers: Mapping[str, str], modified: int) -> int | None:
    """412/304 when a condition stops the request (no ETag exists, so only ``*`` matches)."""
    if_match = headers.get("if-match")
    if if_match is not None:
        if "*" not in _etags(if_match):
            return 412
    elif (since := _http_date(headers.get("if-unmodified-since", ""))) is not None and modified > since.timestamp():
        return 412
    if_none = headers.get("if-none-match")
    if if_none is not None:
        if "*" in _etags(if_none):
            return 304 if method in ("GET", "HEAD") else 412
    elif method in ("GET", "HEAD") and (since := _http_date(headers.get("if-modified-since", ""))) is not None \
            and modified <= since.timestamp():
        return 304
    return None


def _range_applies(method: str, headers: Mapping[str, str], modified: int) -> bool:
    """``If-Range``: a date equal to Last-Modified keeps the Range; an ETag never does."""
    value = headers.get("if-range", "")
    if method not in ("GET", "HEAD") or not value:
        return True
    if value.startswith(('"', "W/")):
        return False
    when = _http_date(value)
    return when is not None and int(when.timestamp()) == modified


def plan(method: str, headers: Mapping[str, str], size: int, modified: datetime) -> Plan:
    """The answer for a file of ``size`` bytes changed at ``modified`` (lower-case ``headers``)."""
    seconds = int(modified.timestamp())
    stop = _preconditions(method, headers, seconds)
    if stop == 304:
        return Plan(304, drop_headers=frozenset({"content-type", "content-length"}), ranges=None)
    if stop == 412:
        return Plan(412, ranges=None, text="")
    header = headers.get("range", "")
    if header and not _range_applies(method, headers, seconds):
        header = ""
    try:
        ranges = parse_range(header, size)
    except RangeError as exc:
        extra = {"content-range": f"bytes */{size}"} if str(exc) == NO_OVERLAP else {}
        return Plan(416, {**extra, "content-type": TEXT_PLAIN, "x-content-type-options": "nosniff"},
                    frozenset({"cache-control", "last-modified"}), None, str(exc) + "\n")
    if sum(r.length for r in ranges) > size:
        ranges = []  # overlapping ranges asking for more than the file: send it whole
    if not ranges:
        return Plan(200, {"accept-ranges": "bytes", "content-length": str(size)})
    if len(ranges) == 1:
        part = ranges[0]
        return Plan(206, {"accept-ranges": "bytes", "content-length": str(part.length),
                          "content-range": part.content_range(size)}, ranges=(part,))
    boundary = secrets.token_hex(30)
    return Plan(206, {"accept-ranges": "bytes"}, ranges=tuple(ranges), boundary=boundary)


def multipart_framing(p: Plan, content_type: str, size: int) -> tuple[list[bytes], bytes]:
    """The header bytes before each part and the closing bytes of a multi-range answer
    (Go's ``mime/multipart`` layout: CRLF-separated, part headers sorted)."""
    heads = []
    assert p.ranges
    for i, part in enumerate(p.ranges):
        lead = b"" if i == 0 else b"\r\n"
        heads.append(lead + (f"--{p.boundary}\r\nContent-Range: {part.content_range(size)}\r\n"
                             f"Content-Type: {content_type}\r\n\r\n").encode())
    return heads, f"\r\n--{p.boundary}--\r\n".encode()
