"""Record rows -> record values, compiled once per collection.

A :class:`RecordCodec` turns a database row (column names + values, as the
cursor gives them) into the *internal* record: every field of the collection
(hidden ones included) as API values, plus ``collectionId``/``collectionName``.
Password fields keep their stored hash internally; what a requester may see is
decided later (:mod:`satchel.core.record_present`).

The per-field converters are chosen once per collection and the column plan once
per column list, so decoding a page of rows is a tight loop: text-like values
that are already ``str`` pass through untouched, ints/bools take a fast path,
only JSON-ish columns pay for parsing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from satchel.core.collections.model import Collection
from satchel.core.fields import Field
from satchel.core.fields._gocompat import to_string

__all__ = ["RecordCodec", "codec_for"]

Converter = Callable[[Any], Any]

_TEXT_TYPES = frozenset({"text", "editor", "email", "url"})
_DATE_TYPES = frozenset({"date", "autodate"})
_DATE_LEN = len("2006-01-02 15:04:05.000Z")


def _text_converter(f: Field) -> Converter:
    def conv(value: Any) -> Any:
        return value if type(value) is str else to_string(value)

    return conv


def _date_converter(f: Field) -> Converter:
    slow = f.from_db

    def conv(value: Any) -> Any:
        if type(value) is str and (value == "" or (len(value) == _DATE_LEN and value[-1] == "Z")):
            return value
        return slow(value)

    return conv


def _bool_converter(f: Field) -> Converter:
    slow = f.from_db

    def conv(value: Any) -> Any:
        if type(value) is int:
            return value != 0
        return slow(value)

    return conv


def _number_converter(f: Field) -> Converter:
    slow = f.from_db

    def conv(value: Any) -> Any:
        if type(value) is int:
            return value
        return slow(value)

    return conv


def _password_converter(f: Field) -> Converter:
    def conv(value: Any) -> Any:
        return value if type(value) is str else ""

    return conv


def converter_for(f: Field) -> Converter:
    if f.type in _TEXT_TYPES or (f.type == "select" and not f.is_multiple):
        return _text_converter(f)
    if f.type in _DATE_TYPES:
        return _date_converter(f)
    if f.type == "bool":
        return _bool_converter(f)
    if f.type == "number":
        return _number_converter(f)
    if f.type == "password":
        return _password_converter(f)
    if f.type == "relation" and not f.is_multiple:
        return _text_converter(f)
    return f.from_db


class RecordCodec:
    """Row -> internal record for one collection (see the module docstring)."""

    def __init__(self, c: Collection) -> None:
        self.collection = c
        self.converters: dict[str, Converter] = {f.name: converter_for(f) for f in c.fields}
        self._plans: dict[tuple[str, ...], tuple[tuple[int, str, Converter], ...]] = {}
        self._lock = threading.Lock()

    def plan(self, names: Sequence[str]) -> tuple[tuple[int, str, Converter], ...]:
        key = tuple(names)
        found = self._plans.get(key)
        if found is None:
            found = tuple((i, n, self.converters[n]) for i, n in enumerate(key) if n in self.converters)
            with self._lock:
                self._plans[key] = found
        return found

    def decode(self, names: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
        out = {name: conv(row[i]) for i, name, conv in self.plan(names)}
        out["collectionId"] = self.collection.id
        out["collectionName"] = self.collection.name
        return out

    def decode_in_field_order(self, names: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
        """:meth:`decode` with the keys in the collection's field order (what
        ``records.row_to_record`` gives), for single records read by ``SELECT *``."""
        key = ("\0ordered", *names)
        plan = self._plans.get(key)
        if plan is None:
            order = {f.name: i for i, f in enumerate(self.collection.fields)}
            plan = tuple(sorted(self.plan(names), key=lambda step: order[step[1]]))
            with self._lock:
                self._plans[key] = plan
        out = {name: conv(row[i]) for i, name, conv in plan}
        out["collectionId"] = self.collection.id
        out["collectionName"] = self.collection.name
        return out

    def decode_many(self, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        plan = self.plan(names)
        cid, cname = self.collection.id, self.collection.name
        out: list[dict[str, Any]] = []
        for row in rows:
            rec = {name: conv(row[i]) for i, name, conv in plan}
            rec["collectionId"] = cid
            rec["collectionName"] = cname
            out.append(rec)
        return out


_CACHE: dict[int, tuple[Collection, RecordCodec]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 1024


def codec_for(c: Collection) -> RecordCodec:
    """The codec of this collection object (collections are replaced, not mutated,
    when the schema changes, so the object identity is the cache key)."""
    entry = _CACHE.get(id(c))
    if entry is not None and entry[0] is c:
        return entry[1]
    codec = RecordCodec(c)
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[id(c)] = (c, codec)
    return codec
