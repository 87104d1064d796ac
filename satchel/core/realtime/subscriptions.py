"""Subscription strings: topic, ``?options=`` JSON, and the POST form (pure).

A subscription string is a topic (``posts/*``, ``posts/RECORD_ID``, ``posts``,
``@oauth2``, or anything a custom sender uses) optionally followed by
``?options=<url-encoded JSON>`` carrying ``query`` and ``headers`` for the rule
evaluation of that subscription (spec 05 §3).  The event name sent to the client
is always the subscription string exactly as given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from satchel.errors import ApiError, BadRequestError, ValidationError

__all__ = [
    "MAX_CLIENT_ID_LENGTH",
    "MAX_SUBSCRIPTIONS",
    "MAX_SUBSCRIPTION_LENGTH",
    "Subscription",
    "SubscriptionOptions",
    "base_topic",
    "go_string",
    "normalize_header_name",
    "parse_subscription",
    "parse_subscriptions",
    "validate_form",
]

MAX_CLIENT_ID_LENGTH = 255
MAX_SUBSCRIPTIONS = 1000
MAX_SUBSCRIPTION_LENGTH = 2500

_SNAKE_SPLIT = re.compile(r"[\W_]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class SubscriptionOptions:
    """``query`` and ``headers`` of one subscription, values stringified.

    ``key`` is a canonical, hashable form: two subscriptions with equal options
    share one rule evaluation and one encoding.
    """

    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
        return (tuple(sorted(self.query.items())), tuple(sorted(self.headers.items())))

    @property
    def filter(self) -> str:
        return self.query.get("filter", "")

    @property
    def expand(self) -> str:
        return self.query.get("expand", "")

    @property
    def fields(self) -> str:
        return self.query.get("fields", "")

    @property
    def is_empty(self) -> bool:
        return not self.query and not self.headers


EMPTY_OPTIONS = SubscriptionOptions()


@dataclass(frozen=True, slots=True)
class Subscription:
    """``name`` is the string as subscribed (the event name); ``topic`` the part
    before ``?`` (what record events are matched against)."""

    name: str
    topic: str
    options: SubscriptionOptions = EMPTY_OPTIONS


def base_topic(name: str) -> str:
    """The topic of a subscription string: everything before the first ``?``.

    PocketBase matches a topic ``T`` when ``name + "?"`` starts with ``T + "?"``,
    which is exactly this.
    """
    return name.split("?", 1)[0]


def go_string(value: Any) -> str:
    """A JSON value as Go's ``cast.ToString`` renders it ("" for lists/objects)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        from decimal import Decimal  # here, not at start-up: only fractional numbers need it

        return format(Decimal(repr(value)), "f")
    return ""


def normalize_header_name(name: str) -> str:
    """PocketBase's ``inflector.Snakecase``: ``X-Custom`` → ``x_custom``, ``myTestDB`` → ``my_test_db``."""
    out: list[str] = []
    for word in _SNAKE_SPLIT.split(name):
        if not word:
            continue
        if out:
            out.append("_")
        for i, char in enumerate(word):
            if char.isupper() and i > 0 and not word[i - 1].isupper():
                out.append("_")
            out.append(char)
    return "".join(out).lower()


def _raw_options(name: str) -> dict[str, Any]:
    query = name.split("#", 1)[0].partition("?")[2]
    if not query:
        return {}
    try:
        values = parse_qs(query, keep_blank_values=True, separator="&")
    except ValueError:
        return {}
    raw = values.get("options", [""])[0]
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def parse_subscription(name: str) -> Subscription:
    """One subscription string → its topic and normalized options (bad options are ignored)."""
    raw = _raw_options(name) if "?" in name else {}
    query = raw.get("query")
    headers = raw.get("headers")
    options = EMPTY_OPTIONS
    if isinstance(query, dict) and query or isinstance(headers, dict) and headers:
        options = SubscriptionOptions(
            query={str(k): go_string(v) for k, v in query.items()} if isinstance(query, dict) else {},
            headers=(
                {normalize_header_name(str(k)): go_string(v) for k, v in headers.items()}
                if isinstance(headers, dict)
                else {}
            ),
        )
    return Subscription(name, base_topic(name), options)


def parse_subscriptions(names: list[str]) -> dict[str, Subscription]:
    """The client's new subscription set: duplicates collapse, ``""`` entries are ignored."""
    out: dict[str, Subscription] = {}
    for name in names:
        if name and name not in out:
            out[name] = parse_subscription(name)
    return out


def _length_error(max_length: int, min_length: int = 0) -> ValidationError:
    if min_length:
        return ValidationError(
            "validation_length_out_of_range",
            f"The length must be between {min_length} and {max_length}.",
            {"max": max_length, "min": min_length},
        )
    return ValidationError(
        "validation_length_too_long",
        f"The length must be no more than {max_length}.",
        {"max": max_length, "min": 0},
    )


def _as_string_list(value: Any) -> list[str]:
    """``subscriptions`` from JSON (a list of strings) or a form (one or more strings)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise BadRequestError()


def validate_form(body: Mapping[str, Any]) -> tuple[str, list[str]]:
    """``(clientId, subscriptions)`` of a POST body, or PocketBase's 400."""
    client_id = body.get("clientId")
    if client_id is None:
        client_id = ""
    if not isinstance(client_id, str):
        raise BadRequestError()
    subscriptions = _as_string_list(body.get("subscriptions"))
    errors: dict[str, Any] = {}
    if not client_id:
        errors["clientId"] = ValidationError("validation_required", "Cannot be blank.")
    elif len(client_id) > MAX_CLIENT_ID_LENGTH:
        errors["clientId"] = _length_error(MAX_CLIENT_ID_LENGTH, 1)
    if len(subscriptions) > MAX_SUBSCRIPTIONS:
        errors["subscriptions"] = _length_error(MAX_SUBSCRIPTIONS)
    else:
        too_long = {
            str(i): _length_error(MAX_SUBSCRIPTION_LENGTH)
            for i, name in enumerate(subscriptions)
            if len(name) > MAX_SUBSCRIPTION_LENGTH
        }
        if too_long:
            errors["subscriptions"] = too_long
    if errors:
        raise ApiError(400, "", errors)
    return client_id, subscriptions
