"""The Storage protocol: one blob store (local disk or S3) addressed by keys
``<collectionId>/<recordId>/<filename>``.

Methods without an ``a`` prefix are blocking and thread-safe (the record write
path runs them on the writer thread, background deletions on a worker); the
``a``-prefixed ones are for the event loop (serving).
"""

from __future__ import annotations

import posixpath
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = ["FileInfo", "FileNotFound", "InvalidKey", "Storage", "StorageError", "check_key"]


class StorageError(Exception):
    """A storage operation failed (I/O, network, credentials...)."""


class FileNotFound(StorageError):
    """The key does not exist."""


class InvalidKey(StorageError):
    """A key that could escape its root (``..``, absolute, NUL, backslash)."""


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A stored file's key, size and modification time."""
    key: str
    size: int
    modified: datetime
    content_type: str = ""
    original_name: str = ""


def check_key(key: str) -> str:
    """``key`` if it is a clean relative path, else :class:`InvalidKey`."""
    if (not key or key.startswith("/") or "\\" in key or "\x00" in key
            or posixpath.normpath(key) != key.rstrip("/") or key.split("/", 1)[0] == ".."):
        raise InvalidKey(f"invalid key {key!r}")
    return key


class Storage(Protocol):
    #: ``"local"`` or ``"s3"``
    kind: str

    def put_stream(self, key: str, source: BinaryIO, *, content_type: str, original_name: str = "") -> None:
        """Store ``source`` (read from its current position) atomically: never half-written."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str, original_name: str = "") -> None: ...

    def stat(self, key: str) -> FileInfo | None: ...

    def read_bytes(self, key: str) -> bytes:
        """The whole object (:class:`FileNotFound` when missing)."""
        ...

    def delete(self, key: str) -> None:
        """Remove one object; a missing one is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> list[str]:
        """Remove everything under ``prefix`` (a ``dir/`` path); returns the failures."""
        ...

    def list_keys(self, prefix: str = "") -> list[str]: ...

    def local_path(self, key: str) -> Path | None:
        """A path the web server may send directly (local storage only)."""
        ...

    async def astat(self, key: str) -> FileInfo | None: ...

    def aiter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start`` (inclusive) to ``end`` (exclusive), streamed."""
        ...

    def close(self) -> None: ...
