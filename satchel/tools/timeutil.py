"""PocketBase's datetime text: ``YYYY-MM-DD HH:MM:SS.mmmZ`` in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["format_datetime", "now_text"]


def format_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def now_text() -> str:
    return format_datetime(datetime.now(UTC))
