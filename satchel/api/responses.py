"""JSON responses encoded once with orjson.

Records, list envelopes and errors are emitted with sorted keys like PocketBase
(Go maps); collections and settings keep their struct order.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from satchel.errors import ApiError

__all__ = ["error_response", "json_response", "no_content", "ordered_json_response"]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Sorted keys (records, lists, errors)."""
    return Response(orjson.dumps(data, option=orjson.OPT_SORT_KEYS), status, headers, "application/json")


def ordered_json_response(data: Any, status: int = 200) -> Response:
    """Keys in insertion order (collections, settings, health)."""
    return Response(orjson.dumps(data), status, None, "application/json")


def error_response(err: ApiError) -> Response:
    return json_response(err.to_dict(), err.status)


def no_content() -> Response:
    return Response(status_code=204)
