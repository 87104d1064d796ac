"""Log entries as PocketBase stores them in ``auxiliary.db`` ``_logs`` (spec 12 §3).

Pure: a request's facts (:class:`RequestFacts`, gathered cheaply on the request
path) become a row only in the writer thread (:func:`request_row`); :func:`to_row`
gives the row of an application :class:`LogEntry`.  Shapes observed on PocketBase 0.40.6: ``data`` keys sorted,
``execTime`` in ms, ``url`` cut at 3000 and ``referer``/``userAgent`` at 2000
characters (plus ``...``), ``message`` = method + the unescaped (cut) URL.
"""

from __future__ import annotations

import functools
import os
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from satchel.core.logs.client_ip import normalize_ip, real_ip
from satchel.core.settings.model import LogsConfig, TrustedProxyConfig
from satchel.errors import ApiError, ValidationError

__all__ = [
    "DEBUG",
    "ERROR",
    "INFO",
    "WARN",
    "LogEntry",
    "RawHeaders",
    "RequestFacts",
    "error_details",
    "format_created",
    "new_log_id",
    "new_log_ids",
    "request_row",
    "to_row",
]

# slog levels, as PocketBase stores them
DEBUG, INFO, WARN, ERROR = -4, 0, 4, 8

MAX_URL = 3000
MAX_HEADER = 2000
MAX_MESSAGE = 8000
DEFAULT_MAX_DATA = 16384
TRUNCATED_KEY = "__pb_truncated__"
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log entry (request or application) before it becomes a ``_logs`` row."""
    level: int
    message: str
    data: Mapping[str, Any]
    #: unix time (seconds)
    created: float


class RawHeaders:
    """ASGI's raw ``(name, value)`` header pairs as a :class:`HeaderLookup`: the request
    path keeps the list as it is, the writer thread reads it."""

    __slots__ = ("raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.raw = raw

    def getlist(self, key: str) -> list[str]:
        name = key.lower().encode("latin-1")
        return [value.decode("latin-1") for k, value in self.raw if k == name]


# not frozen: a frozen dataclass sets each of its 13 fields through object.__setattr__,
# and this one is built on every request; nothing changes it after that
@dataclass(slots=True)
class RequestFacts:
    """What the request path records: raw values only, no formatting."""

    method: str
    url: str
    status: int
    #: nanoseconds / 1e6, as Go's duration in ms (6 decimals at most, no rounding to do)
    exec_ms: float
    peer: str
    #: the scope's own ``(name, value)`` list, kept as it is
    headers: list[tuple[bytes, bytes]]
    proxy: TrustedProxyConfig
    #: ``settings.logs`` when the request ended (``logIP``/``logAuthId`` apply as of then)
    config: LogsConfig
    auth: str = ""
    auth_id: str = ""
    error: str | None = None
    details: Any = None
    created: float = 0.0


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def request_row(facts: RequestFacts, log_id: str) -> tuple[str, int, str, str, str]:
    """The ``_logs`` row of one finished request (level 8 when it failed), never cut by
    ``maxDataSize`` (as observed).  One pass with no intermediate entry: it runs for
    every request, in the writer thread, while the loop waits for the GIL."""
    method, url, peer = facts.method, facts.url, facts.peer
    if len(url) > MAX_URL:
        url = url[:MAX_URL] + "..."
    referer = user_agent = None
    for key, value in facts.headers:  # the first of each, as Go's Header.Get
        if key == b"referer":
            if referer is None:
                referer = value.decode("latin-1")
        elif key == b"user-agent" and user_agent is None:
            user_agent = value.decode("latin-1")
    # built in the sorted key order PocketBase stores (auth < authId < details < ...)
    data: dict[str, Any] = {"auth": facts.auth}
    config = facts.config
    if config.log_auth_id and facts.auth_id:
        data["authId"] = facts.auth_id
    failed = facts.error is not None
    if failed:
        data["details"] = facts.details
        data["error"] = facts.error
    data["execTime"] = facts.exec_ms
    data["method"] = method
    data["referer"] = _cut(referer, MAX_HEADER) if referer else ""
    remote_ip = ""
    if config.log_ip:
        remote_ip = normalize_ip(peer) or peer
        data["remoteIP"] = remote_ip
    data["status"] = facts.status
    data["type"] = "request"
    data["url"] = url
    data["userAgent"] = _cut(user_agent, MAX_HEADER) if user_agent else ""
    if config.log_ip:
        data["userIP"] = real_ip(peer, RawHeaders(facts.headers), facts.proxy) if facts.proxy.headers else remote_ip
    # details may hold maps of its own: only then are keys sorted by orjson
    text = orjson.dumps(data, option=_SORTED, default=str) if failed else orjson.dumps(data)
    message = f"{method} {urllib.parse.unquote(url) if '%' in url else url}"
    return (log_id, ERROR if failed else INFO, _cut(message, MAX_MESSAGE), text.decode(),
            format_created(facts.created or time.time()))


def _leaf_text(message: str) -> str:
    """A validation message the way Go prints the error (``cannot be blank``)."""
    text = message.rstrip(".")
    return text[:1].lower() + text[1:]


def _details_tree(tree: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, ValidationError):
            out[str(key)] = _leaf_text(value.message)
        elif isinstance(value, Mapping):
            out[str(key)] = _details_tree(value)
        else:
            out[str(key)] = str(value)
    return out


def error_details(exc: BaseException) -> Any:
    """PocketBase's ``details``: the internal error behind the public message -- the
    field errors of a validation failure, else the cause's text, else ``null``."""
    if isinstance(exc, ApiError):
        if exc.data:
            return _details_tree(exc.data)
        cause = exc.__cause__ or exc.__context__
        return str(cause) or type(cause).__name__ if cause is not None else None
    return str(exc) or type(exc).__name__


@functools.lru_cache(maxsize=8)
def _second_text(seconds: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


_MILLIS_TEXT = [f".{millis:03d}Z" for millis in range(1000)]  # no format spec parsed per entry


def format_created(ts: float) -> str:
    seconds = int(ts)
    return _second_text(seconds) + _MILLIS_TEXT[int((ts - seconds) * 1000)]


# every byte value -> a character of the id alphabet; the slight modulo bias does not
# matter for log ids, and one translate per id is ~20x cheaper than 15 random choices
_ID_TABLE = bytes(ord(_ID_ALPHABET[b % len(_ID_ALPHABET)]) for b in range(256))


def new_log_id() -> str:
    return os.urandom(15).translate(_ID_TABLE).decode("ascii")


def new_log_ids(count: int) -> list[str]:
    """``count`` ids from one ``os.urandom`` call (a system call costs ~4 us, the
    slicing well under one)."""
    text = os.urandom(15 * count).translate(_ID_TABLE).decode("ascii")
    return [text[i : i + 15] for i in range(0, 15 * count, 15)]


def _data_json(data: Mapping[str, Any], max_size: int) -> str:
    """``data`` as sorted JSON; oversized data keeps its JSON text cut to ``max_size``
    under ``data`` plus ``__pb_truncated__``."""
    text = orjson.dumps(data, option=_SORTED, default=str).decode()
    if max_size <= 0 or len(text.encode()) <= max_size:
        return text
    cut = text.encode()[:max_size].decode(errors="ignore")
    return orjson.dumps({"data": cut, TRUNCATED_KEY: True}, option=orjson.OPT_SORT_KEYS).decode()


def to_row(entry: LogEntry, max_data_size: int = 0, log_id: str = "") -> tuple[str, int, str, str, str]:
    """``(id, level, message, data, created)`` of ``_logs``; request entries are never
    cut by ``maxDataSize`` (as observed), application ones are (0 = 16384 bytes)."""
    is_request = entry.data.get("type") == "request"
    limit = 0 if is_request else (max_data_size or DEFAULT_MAX_DATA)
    message = _cut(entry.message, MAX_MESSAGE)
    data = _data_json(entry.data, limit)
    return log_id or new_log_id(), entry.level, message, data, format_created(entry.created)
