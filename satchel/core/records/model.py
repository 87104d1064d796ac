"""``Record``: one record of a collection as hooks see it (PocketBase's ``core.Record``).

Wraps the dict of prepared field values the write code works on, so a hook that
calls ``e.record.set(...)`` before ``e.next()`` changes what is validated and
stored.  Keys that are not fields (``expand``, custom data of an enrich hook) live
beside the fields and are only sent, never stored.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Mapping, MutableSet
from pathlib import Path
from typing import Any, BinaryIO, cast

from satchel.core.collections.model import Collection
from satchel.core.fields import (
    PasswordField,
    PasswordValue,
    UnsupportedModifierError,
    apply_modifier,
    resolve_setter,
)

__all__ = ["File", "Record"]


class File:
    """A file to attach with ``record.set(field, File...)`` before ``app.save(record)``
    (PocketBase's ``filesystem.File``): stored with the record, removed again if the
    transaction rolls back."""

    __slots__ = ("file", "filename")

    def __init__(self, filename: str, file: BinaryIO) -> None:
        self.filename = filename
        self.file = file

    @classmethod
    def from_bytes(cls, filename: str, data: bytes) -> File:
        return cls(filename, io.BytesIO(data))

    @classmethod
    def from_path(cls, path: str | os.PathLike[str], filename: str | None = None) -> File:
        """The file's bytes are read now (no handle is left open)."""
        p = Path(path)
        return cls(filename or p.name, io.BytesIO(p.read_bytes()))

    def __repr__(self) -> str:
        return f"<File {self.filename!r}>"


def _uploads(value: Any) -> list[File] | None:
    if isinstance(value, File):
        return [value]
    if isinstance(value, list | tuple) and value and all(isinstance(v, File) for v in value):
        return list(value)
    return None


class Record:
    """A record of ``collection``; new until saved (``is_new()``)."""

    __slots__ = ("_collection", "_custom", "_hidden", "_ignore_email", "_original", "_shown", "_uploads", "_values")

    def __init__(self, collection: Collection, data: Mapping[str, Any] | None = None) -> None:
        self._collection = collection
        self._values: dict[str, Any] = {f.name: f.zero_value() for f in collection.fields}
        self._original: dict[str, Any] | None = None
        self._custom: dict[str, Any] = {}
        self._hidden: set[str] = set()
        self._shown: set[str] = set()
        self._ignore_email = False
        self._uploads: dict[str, list[File]] = {}
        if data:
            self.load(data)

    # -- construction from the write/read code -------------------------------------------

    @classmethod
    def wrap(
        cls, collection: Collection, values: dict[str, Any], original: Mapping[str, Any] | None = None
    ) -> Record:
        """A view over ``values`` (not copied: changes reach the caller's dict)."""
        record = cls.__new__(cls)
        record._collection = collection
        record._values = values
        record._original = None if original is None else dict(original)
        record._custom = {}
        record._hidden = set()
        record._shown = set()
        record._ignore_email = False
        record._uploads = {}
        return record

    @classmethod
    def from_stored(cls, collection: Collection, stored: Mapping[str, Any]) -> Record:
        """A saved record from its API values (a row read back)."""
        values: dict[str, Any] = {}
        for f in collection.fields:
            name = f.name
            raw = stored[name] if name in stored else f.zero_value()
            if f.type == "password":
                raw = cast(PasswordField, f).stored_value(raw)
            values[name] = raw
        return cls.wrap(collection, values, values)

    # -- the public surface ----------------------------------------------------------------

    @property
    def collection(self) -> Collection:
        return self._collection

    @property
    def id(self) -> str:
        return str(self._values.get("id", ""))

    @id.setter
    def id(self, value: str) -> None:
        self.set("id", value)

    def is_new(self) -> bool:
        return self._original is None

    def mark_saved(self) -> None:
        self._original = dict(self._values)

    def get(self, name: str, default: Any = None) -> Any:
        if name in self._values:
            value = self._values[name]
            return value.plain if isinstance(value, PasswordValue) else value
        return self._custom.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def set(self, name: str, value: Any) -> None:
        """Set a field (the value is normalised as the API would: ``"5"`` for a number
        becomes 5); ``"field+"``/``"field-"`` modifiers work as in a request body;
        any other key is custom data sent with the record but never stored."""
        fields = {f.name: f for f in self._collection.fields}
        found = resolve_setter(name, fields)
        if found is None:
            self._custom[name] = value
            return
        f, modifier = found
        files = _uploads(value) if f.type == "file" else None
        if files is not None:  # stored by the next save: "docs" replaces, "docs+" appends
            self._uploads[name] = files
            return
        if modifier is None:
            self._values[f.name] = f.prepare_value(value)
            return
        try:
            self._values[f.name] = apply_modifier(f, self._values[f.name], modifier, value)
        except UnsupportedModifierError:
            self._custom[name] = value

    def __setitem__(self, name: str, value: Any) -> None:
        self.set(name, value)

    def load(self, data: Mapping[str, Any]) -> None:
        for key, value in data.items():
            if key not in ("collectionId", "collectionName"):
                self.set(key, value)

    def set_password(self, plain: str) -> None:
        self.set("password", plain)

    def original(self) -> Record:
        """The record as last saved (an empty new record when it never was)."""
        if self._original is None:
            return Record(self._collection)
        return Record.wrap(self._collection, dict(self._original), self._original)

    def is_changed(self) -> bool:
        """Whether any field differs from the last saved value (always when new)."""
        return self._original is None or self._values != self._original

    def changed(self) -> dict[str, Any]:
        """Fields whose value differs from the last saved one (every field when new)."""
        original = self._original or {}
        return {k: v for k, v in self._values.items() if self._original is None or original.get(k) != v}

    def hide(self, *names: str) -> None:
        """Leave fields out of what is sent (an enrich hook's ``e.record.hide``)."""
        self._hidden.update(names)
        self._shown.difference_update(names)

    def unhide(self, *names: str) -> None:
        """Send fields the requester would not see otherwise (hidden fields)."""
        self._hidden.difference_update(names)
        self._shown.update(names)

    @property
    def uploads(self) -> dict[str, list[File]]:
        """Files set on file fields, by body key, waiting for the next save."""
        return self._uploads

    @property
    def values(self) -> dict[str, Any]:
        """The prepared field values (what the write code validates and stores)."""
        return self._values

    @property
    def shown(self) -> MutableSet[str]:
        return self._shown

    @property
    def custom(self) -> dict[str, Any]:
        return self._custom

    @property
    def hidden(self) -> MutableSet[str]:
        return self._hidden

    def ignore_email_visibility(self, state: bool = True) -> None:
        """Send the email of an auth record even when its ``emailVisibility`` is off
        (PocketBase's ``IgnoreEmailVisibility``)."""
        self._ignore_email = state

    def to_dict(self) -> dict[str, Any]:
        """The record as PocketBase's public JSON export has it: never the password,
        hidden fields (``tokenKey`` included) only when ``unhide``-d, an auth record's
        email only with ``emailVisibility`` or ``ignore_email_visibility(True)``;
        plus custom data."""
        c = self._collection
        out: dict[str, Any] = {"collectionId": c.id, "collectionName": c.name}
        values = self._values
        hidden = self._hidden
        shown = self._shown
        for f in c.fields:
            name = f.name
            if isinstance(f, PasswordField) or name in hidden or (f.hidden and name not in shown):
                continue
            out[name] = f.to_json(values[name])
        if c.is_auth and not self._ignore_email and not values.get("emailVisibility"):
            out.pop("email", None)
        out.update(self._custom)
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __repr__(self) -> str:
        return f"<Record {self._collection.name}/{self.id or '(new)'}>"
