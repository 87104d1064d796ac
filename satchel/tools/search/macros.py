"""Date/time identifier macros (spec 04 §6), evaluated in UTC per compilation."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["MACROS", "format_datetime", "macro_value"]


def format_datetime(value: datetime) -> str:
    """PocketBase's stored datetime text ``YYYY-MM-DD HH:MM:SS.mmmZ``."""
    value = value.astimezone(UTC) if value.tzinfo else value
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _day_end(d: datetime) -> str:
    return d.strftime("%Y-%m-%d") + " 23:59:59.999Z"


def _day_start(d: datetime) -> str:
    return d.strftime("%Y-%m-%d") + " 00:00:00.000Z"


def _month_end(d: datetime) -> str:
    last = calendar.monthrange(d.year, d.month)[1]
    return _day_end(d.replace(day=last))


_TABLE: dict[str, Callable[[datetime], str | int]] = {
    "@now": format_datetime,
    "@yesterday": lambda d: format_datetime(d - timedelta(days=1)),
    "@tomorrow": lambda d: format_datetime(d + timedelta(days=1)),
    "@second": lambda d: d.second,
    "@minute": lambda d: d.minute,
    "@hour": lambda d: d.hour,
    "@day": lambda d: d.day,
    "@month": lambda d: d.month,
    "@year": lambda d: d.year,
    "@weekday": lambda d: (d.weekday() + 1) % 7,  # Go: Sunday == 0
    "@todayStart": _day_start,
    "@todayEnd": _day_end,
    "@monthStart": lambda d: _day_start(d.replace(day=1)),
    "@monthEnd": _month_end,
    "@yearStart": lambda d: _day_start(d.replace(month=1, day=1)),
    "@yearEnd": lambda d: _day_end(d.replace(month=12, day=31)),
}

MACROS: frozenset[str] = frozenset(_TABLE)


def macro_value(name: str, now: datetime | None = None) -> str | int:
    """The value of macro ``name`` at ``now`` (default: the current UTC time)."""
    now = datetime.now(UTC) if now is None else (now.astimezone(UTC) if now.tzinfo else now)
    return _TABLE[name](now)
