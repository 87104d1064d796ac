"""Local disk storage laid out as PocketBase's (gocloud ``fileblob``) driver does.

Every file ``<key>`` has a JSON sidecar ``<key>.attrs`` with its content type,
original name and MD5; files are written to a temporary name in the same
directory and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

import orjson

from satchel.tools.filesystem.base import FileInfo, FileNotFound, StorageError, check_key
from satchel.tools.security import random_string_with_alphabet

__all__ = ["ATTRS_SUFFIX", "LocalStorage", "attrs_json"]

ATTRS_SUFFIX = ".attrs"
CHUNK = 1 << 20
_TMP_PREFIX = ".tmp_"


def attrs_json(content_type: str, md5_b64: str, original_name: str | None) -> bytes:
    """The sidecar exactly as PocketBase writes it (key order included)."""
    metadata: dict[str, str] = {} if original_name is None else {"original-filename": original_name}
    data: dict[str, Any] = {
        "user.cache_control": "",
        "user.content_disposition": "",
        "user.content_encoding": "",
        "user.content_language": "",
        "user.content_type": content_type,
        "user.metadata": metadata,
        "md5": md5_b64,
    }
    return orjson.dumps(data)


class LocalStorage:
    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = str(root)  # stat() joins strings: two Path objects cost more than the stat
        self._attrs_cache: dict[str, tuple[int, int, str, str]] = {}

    # -- paths ------------------------------------------------------------------------

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def local_path(self, key: str) -> Path | None:
        return self.path(key)

    # -- writing -----------------------------------------------------------------------

    def _tmp(self, target: Path) -> Path:
        return target.with_name(f"{_TMP_PREFIX}{random_string_with_alphabet(12, 'abcdefghijklmnopqrstuvwxyz0123456789')}")

    def _commit(self, key: str, tmp_data: Path, md5: str, content_type: str, original_name: str | None) -> None:
        target = self.path(key)
        attrs_target = target.with_name(target.name + ATTRS_SUFFIX)
        tmp_attrs = self._tmp(target)
        try:
            tmp_attrs.write_bytes(attrs_json(content_type, md5, original_name))
            os.replace(tmp_attrs, attrs_target)
            os.replace(tmp_data, target)
        except BaseException:
            tmp_attrs.unlink(missing_ok=True)
            tmp_data.unlink(missing_ok=True)
            raise
        self._attrs_cache.pop(key, None)

    def _put(self, key: str, chunks: Any, content_type: str, original_name: str | None) -> None:
        target = self.path(key)
        try:
            tmp = self._tmp(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.md5(usedforsecurity=False)
            try:
                with open(tmp, "wb") as out:
                    for chunk in chunks:
                        digest.update(chunk)
                        out.write(chunk)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            self._commit(key, tmp, base64.b64encode(digest.digest()).decode(), content_type, original_name)
        except OSError as exc:
            raise StorageError(f"[key: {key}] {exc}") from exc

    def put_stream(self, key: str, source: BinaryIO, *, content_type: str, original_name: str = "") -> None:
        self._put(key, iter(lambda: source.read(CHUNK), b""), content_type, original_name)

    def put_bytes(self, key: str, data: bytes, *, content_type: str, original_name: str = "") -> None:
        self._put(key, (data,), content_type, original_name or None)

    # -- reading -----------------------------------------------------------------------

    def _attrs(self, key: str, path: str, st: os.stat_result) -> tuple[str, str]:
        cached = self._attrs_cache.get(key)
        if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return cached[2], cached[3]
        content_type, original = "", ""
        try:
            with open(path + ATTRS_SUFFIX, "rb") as f:
                data = orjson.loads(f.read())
            if isinstance(data, dict):
                content_type = str(data.get("user.content_type") or "")
                meta = data.get("user.metadata")
                if isinstance(meta, dict):
                    original = str(meta.get("original-filename") or "")
        except (OSError, orjson.JSONDecodeError):
            pass
        if len(self._attrs_cache) > 4096:
            self._attrs_cache.clear()
        self._attrs_cache[key] = (st.st_mtime_ns, st.st_size, content_type, original)
        return content_type, original

    def stat(self, key: str) -> FileInfo | None:
        path = os.path.join(self._root, check_key(key))
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        if not S_ISREG(st.st_mode):  # one stat: Path.is_file() would make a second
            return None
        content_type, original = self._attrs(key, path, st)
        modified = datetime.fromtimestamp(st.st_mtime, UTC)
        return FileInfo(key, st.st_size, modified, content_type, original)

    def read_bytes(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise FileNotFound(key) from exc
        except OSError as exc:
            raise StorageError(f"[key: {key}] {exc}") from exc

    async def astat(self, key: str) -> FileInfo | None:
        return self.stat(key)

    async def aiter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        path = self.path(key)
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = end - start
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    # -- deleting ----------------------------------------------------------------------

    def delete(self, key: str) -> None:
        path = self.path(key)
        try:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ATTRS_SUFFIX).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"[key: {key}] {exc}") from exc
        self._attrs_cache.pop(key, None)

    def delete_prefix(self, prefix: str) -> list[str]:
        prefix = prefix.rstrip("/")
        path = self.path(prefix)
        failures: list[str] = []

        def onexc(_fn: Any, failed: str, exc: BaseException) -> None:
            if not isinstance(exc, FileNotFoundError):
                failures.append(f"{failed}: {exc}")

        if path.is_dir():
            shutil.rmtree(path, onerror=lambda fn, p, info: onexc(fn, p, info[1]))
        self._attrs_cache.clear()
        self._remove_empty_parents(path.parent)
        return failures

    def _remove_empty_parents(self, directory: Path) -> None:
        root = self.root.resolve()
        current = directory.resolve()
        while current != root and root in current.parents:
            try:
                current.rmdir()
            except OSError:
                return
            current = current.parent

    def list_keys(self, prefix: str = "") -> list[str]:
        base = self.path(prefix.rstrip("/")) if prefix else self.root
        if not base.is_dir():
            return []
        keys: list[str] = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.endswith(ATTRS_SUFFIX) or name.startswith(_TMP_PREFIX):
                    continue
                keys.append(Path(dirpath, name).relative_to(self.root).as_posix())
        return sorted(keys)

    def close(self) -> None:
        self._attrs_cache.clear()
