"""``{:name}`` placeholder binding, the way PocketBase's ``FilterData.BuildExpr`` does it.

PocketBase substitutes the params *textually* before parsing: ``nil`` becomes
``null``, booleans and numbers their plain text, everything else a quoted
string (non-scalars JSON-encoded first).  We do the same, but in a single pass
so a substituted value that itself contains ``{:x}`` is never expanded again.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from satchel.tools.filter.render import quote_text

__all__ = ["bind_placeholders", "placeholder_literal"]

_PLACEHOLDER = re.compile(r"\{:(\w+)\}")


def _format_float(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)`` (what ``cast.ToString`` uses)."""
    if math.isnan(value) or math.isinf(value):
        return "null"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(value, "f").rstrip("0").rstrip(".")
    return text


def placeholder_literal(value: Any) -> str:
    """The filter-text literal that replaces one placeholder."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return quote_text(value)
    if isinstance(value, bytes):
        return quote_text(value.decode("utf-8", "replace"))
    if isinstance(value, datetime):
        # PocketBase's types.DateTime stringifies to the stored date format.
        utc = value.astimezone(UTC) if value.tzinfo else value
        return quote_text(utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z")
    return quote_text(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))


def bind_placeholders(text: str, params: Mapping[str, Any] | None) -> str:
    """Replace each ``{:name}`` whose name is in ``params``; others are left as-is
    (and will then fail to parse, like in PocketBase)."""
    if not params or "{:" not in text:
        return text

    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in params:
            return match.group(0)
        return placeholder_literal(params[key])

    return _PLACEHOLDER.sub(repl, text)
