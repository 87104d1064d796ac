"""PocketBase's ``types.DateTime`` parsing and formatting.

Input text is tried with the exact layout ``2006-01-02 15:04:05.000Z`` and then
with ``cast.ToTime``'s list of layouts (Go notation in the comments); the result
is UTC truncated to milliseconds.  Layouts without a numeric zone (none or a
zone *name*) are read as UTC wall-clock time, as ``cast`` does.  Anything
unparsable -> ``None`` (the field then holds ``""`` without an error).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__all__ = ["format_date", "go_time_json", "go_time_string", "normalize_date", "parse_date"]

_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LONG_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_Y = r"(?P<Y>\d{4})"
_YY = r"(?P<y>\d{2})"
_MM = r"(?P<m>\d{2})"
_MON = r"(?P<b>[A-Za-z]{3})"
_DD = r"(?P<d>\d{2})"
_UD = r"(?P<d> ?\d{1,2})"
_HMS = r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})(?P<f>[.,]\d+)?"
_HM = r"(?P<H>\d{1,2}):(?P<M>\d{2})"
_WD = r"(?P<a>[A-Za-z]{3})"
_LWD = r"(?P<A>[A-Za-z]+)"
_TZNAME = r"(?P<n>[A-Z]{3,5}|GMT[+-]\d{1,2}|[A-Z][a-z][A-Z]T)"
_Z_COLON = r"(?P<z>Z|[+-]\d{2}:\d{2})"
_Z_PLAIN = r"(?P<z>Z|[+-]\d{4})"
_NUM_COLON = r"(?P<z>[+-]\d{2}:\d{2})"
_NUM_PLAIN = r"(?P<z>[+-]\d{4})"

# (regex, keep_zone) in cast.ToTime order; keep_zone False = zone-less or named zone.
# Compiled on the first parse (~6 ms of start-up otherwise).
_LAYOUT_SOURCES: tuple[tuple[str, bool], ...] = (
    (rf"{_Y}-{_MM}-{_DD}", False),  # 2006-01-02
    (rf"{_Y}-{_MM}-{_DD}T{_HMS}{_Z_COLON}", True),  # RFC3339
    (rf"{_Y}-{_MM}-{_DD}T{_HMS}", False),  # 2006-01-02T15:04:05
    (rf"{_WD}, {_DD} {_MON} {_Y} {_HMS} {_NUM_PLAIN}", True),  # RFC1123Z
    (rf"{_WD}, {_DD} {_MON} {_Y} {_HMS} {_TZNAME}", False),  # RFC1123
    (rf"{_DD} {_MON} {_YY} {_HM} {_NUM_PLAIN}", True),  # RFC822Z
    (rf"{_DD} {_MON} {_YY} {_HM} {_TZNAME}", False),  # RFC822
    (rf"{_LWD}, {_DD}-{_MON}-{_YY} {_HMS} {_TZNAME}", False),  # RFC850
    (rf"{_Y}-{_MM}-{_DD} {_HMS} {_NUM_PLAIN} {_TZNAME}", True),  # Time.String()
    (rf"{_Y}-{_MM}-{_DD}T{_HMS}{_NUM_PLAIN}", True),  # 2006-01-02T15:04:05-0700
    (rf"{_Y}-{_MM}-{_DD} {_HMS}{_Z_PLAIN}", True),  # 2006-01-02 15:04:05Z0700
    (rf"{_Y}-{_MM}-{_DD} {_HMS}", False),  # 2006-01-02 15:04:05
    (rf"{_WD} {_MON} {_UD} {_HMS} {_Y}", False),  # ANSIC
    (rf"{_WD} {_MON} {_UD} {_HMS} {_TZNAME} {_Y}", False),  # UnixDate
    (rf"{_WD} {_MON} {_DD} {_HMS} {_NUM_PLAIN} {_Y}", True),  # RubyDate
    (rf"{_Y}-{_MM}-{_DD} {_HMS}{_Z_COLON}", True),  # 2006-01-02 15:04:05Z07:00
    (rf"{_DD} {_MON} {_Y}", False),  # 02 Jan 2006
    (rf"{_Y}-{_MM}-{_DD} {_HMS} {_NUM_COLON}", True),  # 2006-01-02 15:04:05 -07:00
    (rf"{_Y}-{_MM}-{_DD} {_HMS} {_NUM_PLAIN}", True),  # 2006-01-02 15:04:05 -0700
    # The time-only stamps (Kitchen, Stamp*) give year 0, which Python can't hold.
)
_LAYOUTS: list[tuple[re.Pattern[str], bool]] = []


def _layouts() -> list[tuple[re.Pattern[str], bool]]:
    if not _LAYOUTS:  # one slice assignment: threads racing here store the same list
        _LAYOUTS[:] = [(re.compile(p, re.ASCII), keep) for p, keep in _LAYOUT_SOURCES]
    return _LAYOUTS


def _build(m: re.Match[str], keep_zone: bool) -> datetime | None:
    g = m.groupdict()
    try:
        if g.get("Y") is not None:
            year = int(g["Y"])
        else:
            yy = int(g["y"])
            year = 1900 + yy if yy >= 69 else 2000 + yy
        month = _MONTHS.get(g["b"].lower(), 0) if g.get("b") is not None else int(g["m"])
        if g.get("a") is not None and g["a"].lower() not in _DAYS:
            return None
        if g.get("A") is not None and g["A"].lower() not in _LONG_DAYS:
            return None
        day = int(g["d"].strip())
        hour = int(g.get("H") or 0)
        minute = int(g.get("M") or 0)
        second = int(g.get("S") or 0)
        frac = (g.get("f") or "")[1:]
        micro = int((frac + "000000")[:6]) if frac else 0
        tz = UTC
        zone = g.get("z")
        if keep_zone and zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:])
            if hours > 24 or minutes > 59:
                return None
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        value = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except (ValueError, OverflowError):
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def parse_date(value: Any) -> datetime | None:
    """``types.ParseDateTime``: a UTC datetime, or ``None`` for the zero time.

    Numbers are never dates (a JSON number is a float64 in Go and its text
    form like ``1.7e+09`` matches no layout).
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    for pattern, keep_zone in _LAYOUTS or _layouts():
        m = pattern.fullmatch(value)
        if m is not None:
            parsed = _build(m, keep_zone)
            if parsed is not None:
                return parsed
    return None


def format_date(value: datetime) -> str:
    """``2006-01-02 15:04:05.000Z`` in UTC (milliseconds truncated)."""
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond // 1000:03d}Z"




# the stored form itself (every autodate of every write): checked with one regex and a
# datetime() for validity instead of trying cast.ToTime's layouts (it is the 11th)
_CANONICAL = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})Z", re.ASCII)


def normalize_date(value: Any) -> str:
    """Any input -> PocketBase's stored date text, or ``""`` (also for Go's zero time)."""
    if type(value) is str and len(value) == 24:
        m = _CANONICAL.fullmatch(value)
        if m is not None and value != "0001-01-01 00:00:00.000Z":
            y, mo, d, h, mi, s = m.group(1, 2, 3, 4, 5, 6)
            try:
                datetime(int(y), int(mo), int(d), int(h), int(mi), int(s))
            except ValueError:
                pass  # not a real date: the general path decides, as before
            else:
                return value
    parsed = parse_date(value)
    if parsed is None:
        return ""
    text = format_date(parsed)
    return "" if text == "0001-01-01 00:00:00.000Z" else text


def _go_fraction(value: datetime) -> str:
    micro = value.microsecond
    if not micro:
        return ""
    return "." + f"{micro:06d}".rstrip("0")


def go_time_string(value: datetime) -> str:
    """``time.Time.String()`` of a UTC time: ``2020-01-01 00:00:00 +0000 UTC``."""
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}{_go_fraction(v)} +0000 UTC"


def go_time_json(value: datetime) -> str:
    """``json.Marshal(time.Time)`` of a UTC time (RFC 3339 with nanoseconds trimmed)."""
    v = value.astimezone(UTC)
    return f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}{_go_fraction(v)}Z"
