"""S3-compatible storage through obstore (Rust ``object_store``): streaming
uploads (multipart above 5 MiB), ranged streaming downloads, async reads for
the event loop and blocking calls (they release the GIL) for worker threads.

Objects carry PocketBase's attributes: ``Content-Type`` and the user metadata
``original-filename`` (``x-amz-meta-original-filename``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

import obstore
from obstore.exceptions import NotFoundError as _ObstoreNotFound
from obstore.store import S3Store

from satchel.tools.filesystem.base import FileInfo, FileNotFound, StorageError, check_key

__all__ = ["S3Options", "S3Storage"]

#: obstore raises the builtin FileNotFoundError for a missing object (its own class otherwise)
ObjNotFound = (FileNotFoundError, _ObstoreNotFound)

META_ORIGINAL = "original-filename"
STREAM_CHUNK = 256 << 10


@dataclass(frozen=True, slots=True)
class S3Options:
    bucket: str
    region: str
    endpoint: str
    access_key: str
    secret: str
    force_path_style: bool = False
    timeout: float = 60.0


def _error(key: str, exc: Exception) -> StorageError:
    if isinstance(exc, ObjNotFound):
        return FileNotFound(key)
    return StorageError(f"[key: {key}] {exc}")


class S3Storage:
    kind = "s3"

    def __init__(self, options: S3Options) -> None:
        self.options = options
        try:
            self.store = S3Store(
                options.bucket,
                endpoint=options.endpoint.rstrip("/"),
                region=options.region or "us-east-1",
                access_key_id=options.access_key,
                secret_access_key=options.secret,
                virtual_hosted_style_request=not options.force_path_style,
                client_options={
                    "allow_http": True,
                    "connect_timeout": timedelta(seconds=10),
                    "timeout": timedelta(seconds=options.timeout),
                },
                retry_config={"max_retries": 2, "backoff": {"init_backoff": timedelta(milliseconds=100)},
                              "retry_timeout": timedelta(seconds=options.timeout)},
            )
        except Exception as exc:  # invalid endpoint/region strings
            raise StorageError(str(exc)) from exc

    @staticmethod
    def _attributes(content_type: str, original_name: str | None) -> dict[str, str]:
        attrs = {"Content-Type": content_type or "application/octet-stream"}
        if original_name is not None:
            attrs[META_ORIGINAL] = original_name
        return attrs

    # -- writing -----------------------------------------------------------------------

    def put_stream(self, key: str, source: BinaryIO, *, content_type: str, original_name: str = "") -> None:
        try:
            obstore.put(self.store, check_key(key), source, attributes=self._attributes(content_type, original_name))
        except StorageError:
            raise
        except Exception as exc:
            raise _error(key, exc) from exc

    def put_bytes(self, key: str, data: bytes, *, content_type: str, original_name: str = "") -> None:
        try:
            obstore.put(self.store, check_key(key), data,
                        attributes=self._attributes(content_type, original_name or None))
        except StorageError:
            raise
        except Exception as exc:
            raise _error(key, exc) from exc

    # -- reading -----------------------------------------------------------------------

    @staticmethod
    def _info(key: str, result: Any) -> FileInfo:
        meta = result.meta
        attrs = result.attributes
        return FileInfo(key, int(meta["size"]), meta["last_modified"],
                        str(attrs.get("Content-Type") or ""), str(attrs.get(META_ORIGINAL) or ""))

    def stat(self, key: str) -> FileInfo | None:
        try:
            return self._info(key, obstore.get(self.store, check_key(key), options={"head": True}))
        except ObjNotFound:
            return None
        except StorageError:
            raise
        except Exception as exc:
            raise _error(key, exc) from exc

    async def astat(self, key: str) -> FileInfo | None:
        try:
            result = await obstore.get_async(self.store, check_key(key), options={"head": True})
            return self._info(key, result)
        except ObjNotFound:
            return None
        except StorageError:
            raise
        except Exception as exc:
            raise _error(key, exc) from exc

    def read_bytes(self, key: str) -> bytes:
        try:
            return bytes(obstore.get(self.store, check_key(key)).bytes())
        except StorageError:
            raise
        except Exception as exc:
            raise _error(key, exc) from exc

    async def aiter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        if end <= start:
            return
        try:
            result = await obstore.get_async(self.store, check_key(key), options={"range": (start, end)})
        except StorageError:
            raise
        except Exception as exc:
            raise _error(key, exc) from exc
        async for chunk in result.stream(min_chunk_size=STREAM_CHUNK):
            yield bytes(chunk)

    def local_path(self, key: str) -> Path | None:
        return None

    # -- listing and deleting ---------------------------------------------------------------

    def list_keys(self, prefix: str = "") -> list[str]:
        try:
            keys: list[str] = []
            for batch in obstore.list(self.store, prefix.rstrip("/") or None):
                keys.extend(str(meta["path"]) for meta in batch)
            return sorted(keys)
        except Exception as exc:
            raise _error(prefix, exc) from exc

    def delete(self, key: str) -> None:
        try:
            obstore.delete(self.store, check_key(key))
        except ObjNotFound:
            return
        except StorageError:
            raise
        except Exception as exc:
            raise _error(key, exc) from exc

    def delete_prefix(self, prefix: str) -> list[str]:
        check_key(prefix)
        try:
            keys = self.list_keys(prefix)
        except StorageError as exc:
            return [str(exc)]
        failures: list[str] = []
        for i in range(0, len(keys), 1000):
            chunk = keys[i : i + 1000]
            try:
                obstore.delete(self.store, chunk)
            except Exception as exc:  # noqa: BLE001 - reported, the rest still goes
                failures.append(str(exc))
        return failures

    def close(self) -> None:
        return None
