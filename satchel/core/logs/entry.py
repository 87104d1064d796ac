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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from satchel.core.logs.client_ip import normalize_ip, real_ip
from satchel.core.settings.model import Settings
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
    "rows_params",
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


#: What the request path queues for one finished request: the scope's raw values and
#: plain numbers, nothing formatted, in a plain tuple (one allocation; a dataclass sets
#: its fields one by one): ``(method, raw_path, query_string, status, exec_ns, client,
#: headers, settings, auth, auth_id, error, details, created)`` -- ``exec_ns`` from
#: ``perf_counter_ns``, ``headers`` the scope's own ``(name, value)`` list, ``settings``
#: as the request ended (``logIP``/``logAuthId``/``trustedProxy`` apply as of then),
#: ``error`` ``None`` unless it failed, ``created`` the unix time.
RequestFacts = tuple[
    str, bytes, "bytes | None", int, int, "tuple[str, int] | None", list[tuple[bytes, bytes]], Settings,
    str, str, "str | None", Any, float,
]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def request_row(facts: RequestFacts, log_id: str) -> tuple[str, int, str, str, str]:
    """The ``_logs`` row ``(id, level, message, data, created)`` of one finished request."""
    row = rows_params([facts], [log_id], 0)
    return row[0], row[1], row[2], row[3], row[4]  # type: ignore[return-value]


def rows_params(items: Sequence[LogEntry | RequestFacts], ids: Sequence[str], max_data_size: int) -> list[Any]:
    """The ``_logs`` rows of queued entries, their values one after the other (as a
    multi-row INSERT binds them).

    A request's row is level 8 when it failed, and never cut by ``maxDataSize`` (as
    observed); its ``data`` keys are in the sorted order PocketBase stores.  This runs
    for every request, in the writer thread, while the loop waits for the GIL: one
    loop with no call per row but orjson's, the headers scanned once, the second of
    ``created`` formatted once per second (its text reused while it lasts), the peer's
    normalized address and the URL's texts reused while they repeat."""
    params: list[Any] = []
    last_second, second_text = -1, ""
    last_peer = last_ip = None
    last_target, url, shown, url_json = b"", "", "", ""
    for facts, log_id in zip(items, ids, strict=True):
        if type(facts) is not tuple:
            params += to_row(facts, max_data_size, log_id)  # type: ignore[arg-type]
            continue
        (method, path, query, status, exec_ns, client, headers, settings, auth, auth_id, error, _,
         created) = facts
        target = path + b"?" + query if query else path
        if target != last_target:  # a client polling a page or a record repeats it
            last_target, url = target, target.decode("latin-1")
            if len(url) > MAX_URL:
                url = url[:MAX_URL] + "..."
            shown = urllib.parse.unquote(url) if "%" in url else url
            url_json = orjson.dumps(url).decode()
        referer = user_agent = None
        for key, value in headers:  # the first of each, as Go's Header.Get
            if key == b"referer":
                if referer is None:
                    referer = value.decode("latin-1")
            elif key == b"user-agent" and user_agent is None:
                user_agent = value.decode("latin-1")
        if referer is None:
            referer = ""
        elif len(referer) > MAX_HEADER:
            referer = referer[:MAX_HEADER] + "..."
        if user_agent is None:
            user_agent = ""
        elif len(user_agent) > MAX_HEADER:
            user_agent = user_agent[:MAX_HEADER] + "..."
        message = f"{method} {shown}"  # at most 3,011 characters: never cut at MAX_MESSAGE
        second = int(created)
        if second != last_second:
            last_second, second_text = second, _second_text(second)
        created_text = second_text + _MILLIS_TEXT[int((created - second) * 1000)]
        config = settings.logs
        if error is not None:
            params += (log_id, ERROR, message, _failed_data(facts, url, referer, user_agent), created_text)
            continue
        remote_ip = user_ip = None
        if config.log_ip:
            peer = client[0] if client else ""
            if peer != last_peer:
                last_peer, last_ip = peer, normalize_ip(peer) or peer
            proxy = settings.trusted_proxy
            remote_ip = last_ip
            user_ip = real_ip(peer, RawHeaders(headers), proxy) if proxy.headers else last_ip
        # what repeats from one request of a client to the next comes as orjson's text from
        # a cache; only the URL and the time are written per entry
        same = (auth, auth_id if config.log_auth_id else "", method, referer, remote_ip, status, user_agent, user_ip)
        parts = _DATA_PARTS.get(same)
        if parts is None:
            parts = _data_parts(same)
        params += (log_id, INFO, message,
                   f"{parts[0]}{orjson.dumps(exec_ns / 1e6).decode()}{parts[1]}{url_json}{parts[2]}",
                   created_text)
    return params


#: the three texts around ``execTime`` and ``url`` in a success's ``data``, by the values
#: they hold (a client's auth, method, headers and IPs repeat from request to request)
_DATA_PARTS: dict[tuple[Any, ...], tuple[str, str, str]] = {}
_MAX_DATA_PARTS = 1024


def _data_parts(key: tuple[Any, ...]) -> tuple[str, str, str]:
    """orjson's text of a success's ``data`` cut around the values of ``execTime`` and
    ``url``; the keys are in the sorted order PocketBase stores.  Each cut is at a key
    (a quote then a colon), which no string value can hold unescaped."""
    auth, auth_id, method, referer, remote_ip, status, user_agent, user_ip = key
    data: dict[str, Any] = {"auth": auth}
    if auth_id:
        data["authId"] = auth_id
    data.update(execTime=0, method=method, referer=referer)
    if remote_ip is not None:
        data["remoteIP"] = remote_ip
    data.update(status=status, type="request", url="", userAgent=user_agent)
    if user_ip is not None:
        data["userIP"] = user_ip
    text = orjson.dumps(data).decode()
    head, rest = text.split('"execTime":0,', 1)
    middle, tail = rest.split('"url":"",', 1)
    parts = (head + '"execTime":', "," + middle + '"url":', "," + tail)
    if len(_DATA_PARTS) >= _MAX_DATA_PARTS:
        _DATA_PARTS.clear()
    _DATA_PARTS[key] = parts
    return parts


def _failed_data(facts: RequestFacts, url: str, referer: str, user_agent: str) -> str:
    """``data`` of a failed request: ``details`` may hold maps of its own, so orjson
    sorts every level."""
    method, status, exec_ns, client, headers, settings, auth, auth_id, error, details = facts[0], *facts[3:12]
    config = settings.logs
    data: dict[str, Any] = {"auth": auth, "details": details, "error": error, "execTime": exec_ns / 1e6,
                            "method": method, "referer": referer, "status": status, "type": "request",
                            "url": url, "userAgent": user_agent}
    if config.log_auth_id and auth_id:
        data["authId"] = auth_id
    if config.log_ip:
        peer = client[0] if client else ""
        data["remoteIP"] = normalize_ip(peer) or peer
        proxy = settings.trusted_proxy
        data["userIP"] = real_ip(peer, RawHeaders(headers), proxy) if proxy.headers else data["remoteIP"]
    return orjson.dumps(data, option=_SORTED, default=str).decode()


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


# no format spec parsed per entry; built by concatenation (a "03d" format per item was
# 2.9 M instructions of every start-up, callgrind)
_MILLIS_TEXT = [f".{a}{b}{c}Z" for a in "0123456789" for b in "0123456789" for c in "0123456789"]


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
