"""Files of records: uploads, storage selection, thumbs, and deletion after commit.

The seam for the record write path (spec 06 §2-§4):

1. The API turns multipart parts into :class:`PendingFile` objects
   (:func:`prepare_uploads`: PocketBase's generated name, the content type sniffed
   from the content, the size) and merges them into the body
   (:func:`merge_uploads`: ``docs`` = listed existing names + uploads, ``docs+`` /
   ``+docs`` append/prepend); the file field validates them like any value.
2. Inside the write transaction, after validation and before the row is written,
   :func:`save_record_files` stores the uploads (on the writer thread) and
   remembers which old files the new value dropped; :func:`forget_record_files`
   marks a deleted record's directory.
3. After COMMIT the dropped files (with their ``thumbs_<name>/``) and deleted
   records' directories are removed in the background; after a ROLLBACK the
   new uploads are removed again, so nothing is left half-written.

:class:`FileService` (``app.files``) picks the storage from the settings (local
``pb_data/storage`` or S3), makes thumbs once per key even under concurrent
requests, and owns the background deletions.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from satchel.core.collections.model import Collection
from satchel.core.fields import FileField
from satchel.core.fields.file import file_name, to_file_list
from satchel.errors import ApiError
from satchel.tools.filesystem import (
    SNIFF_BYTES,
    FileInfo,
    LocalStorage,
    Storage,
    StorageError,
    detect,
    extension_for,
    normalize_name,
    original_name,
)

if TYPE_CHECKING:
    from satchel.core.settings.model import S3Config
    from satchel.store.database import Tx
    from satchel.tools.filesystem.s3 import S3Options, S3Storage
    from satchel.tools.thumbs import ThumbSize

__all__ = [
    "ALWAYS_ALLOWED_ALIASES",
    "DEFAULT_THUMB",
    "THUMB_SOURCE_TYPES",
    "FileService",
    "PendingFile",
    "SourceFile",
    "file_key",
    "forget_record_files",
    "merge_uploads",
    "forwarded_name",
    "prepare_upload",
    "prepare_uploads",
    "record_prefix",
    "resolve_thumb_size",
    "save_record_files",
    "thumb_key",
]

log = logging.getLogger("satchel.files")

DEFAULT_THUMB = "100x100"
#: the user guide's presets, accepted in their alias spelling without being listed
ALWAYS_ALLOWED_ALIASES = frozenset({"100x100!", "100x", "x100"})
THUMB_SOURCE_TYPES = frozenset({"image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp"})
THUMB_CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
                       "TIFF": "image/tiff", "BMP": "image/bmp"}


# -- keys ------------------------------------------------------------------------------


def record_prefix(collection_id: str, record_id: str) -> str:
    return f"{collection_id}/{record_id}/"


def file_key(collection_id: str, record_id: str, name: str) -> str:
    return f"{collection_id}/{record_id}/{name}"


def thumb_key(collection_id: str, record_id: str, name: str, size: str) -> str:
    return f"{collection_id}/{record_id}/thumbs_{name}/{size}_{name}"


def thumbs_prefix(collection_id: str, record_id: str, name: str) -> str:
    return f"{collection_id}/{record_id}/thumbs_{name}/"


# -- uploads ---------------------------------------------------------------------------


class SourceFile(Protocol):
    """What a multipart part gives (Starlette's ``UploadFile`` fits)."""

    @property
    def filename(self) -> str | None: ...

    @property
    def file(self) -> BinaryIO: ...


@dataclass(eq=False)
class PendingFile:
    """An upload on its way to storage (the file field's ``UploadLike``)."""

    name: str
    original_name: str
    size: int
    mime_type: str
    source: BinaryIO

    def __str__(self) -> str:  # what @request.body sees of it
        return self.name

    def __repr__(self) -> str:
        return f"PendingFile({self.name!r}, {self.size} bytes, {self.mime_type!r})"


def prepare_upload(filename: str, source: BinaryIO) -> PendingFile:
    """Sniff, measure and name one upload (reads only its first bytes)."""
    source.seek(0)
    head = source.read(SNIFF_BYTES)
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    mime = detect(head, complete=size <= len(head))
    name = normalize_name(filename, lambda: extension_for(mime))
    return PendingFile(name, original_name(filename), size, mime, source)


def forwarded_name(filename: str, source: BinaryIO) -> str:
    """The name a ``/api/batch`` upload reaches its record write with.

    PocketBase names each batch part once when it reads the batch form and again
    when the item's own record request reads it, so a batch upload is stored as
    ``red_<random>_<random>.png`` and keeps the once-named ``red_<random>.png`` as
    its original file name.  Same sniffing as :func:`prepare_upload`."""
    return prepare_upload(filename, source).name


def prepare_uploads(files: Mapping[str, Sequence[SourceFile]]) -> dict[str, list[PendingFile]]:
    """Every non-empty file part by form key (a part with no name and no bytes is
    what a browser sends for an empty file input: skipped)."""
    out: dict[str, list[PendingFile]] = {}
    for key, parts in files.items():
        for part in parts:
            pending = prepare_upload(part.filename or "", part.file)
            if pending.size == 0 and not part.filename:
                continue
            out.setdefault(key, []).append(pending)
    return out


def _file_field(c: Collection, key: str) -> FileField | None:
    name = key[1:] if key.startswith("+") else key[:-1] if key.endswith(("+", "-")) else key
    f = c.field(name)
    return f if isinstance(f, FileField) else None


def merge_uploads(c: Collection, body: Mapping[str, Any], uploads: Mapping[str, Sequence[PendingFile]]) -> dict[str, Any]:
    """The body with the uploads of file fields added under their form keys:
    ``docs`` = the listed existing names followed by the uploads, ``docs+`` /
    ``+docs`` = uploads to append/prepend.  Parts under any other key are dropped."""
    merged = dict(body)
    for key, files in uploads.items():
        if not files or key.endswith("-") or _file_field(c, key) is None:
            continue
        current = merged.get(key)
        listed: list[Any] = [] if current is None or current == "" else (
            list(current) if isinstance(current, list | tuple) else [current]
        )
        merged[key] = [*listed, *files]
    return merged


# -- thumbs ----------------------------------------------------------------------------


def resolve_thumb_size(requested: str, f: FileField) -> ThumbSize | None:
    """The size to make for ``?thumb=requested`` on field ``f``, or ``None`` (serve the
    original): ``100x100`` always, others only when listed in ``thumbs``; the guide's
    aliases (``WxH!``, ``Wx``, ``xH``) stand for their canonical size, the guide's own
    presets (``100x100!``, ``100x``, ``x100``) always allowed."""
    if not requested:
        return None
    # the thumbs module (and its size patterns) on the first thumb request, not at start-up
    from satchel.tools.thumbs import normalize_alias, parse_size

    canonical = normalize_alias(requested)
    size_text = canonical or requested
    allowed = size_text == DEFAULT_THUMB or size_text in f.thumbs or requested in ALWAYS_ALLOWED_ALIASES
    if not allowed:
        return None
    return parse_size(size_text)


# -- the service -----------------------------------------------------------------------


def _s3_options(cfg: S3Config) -> S3Options:
    from satchel.tools.filesystem.s3 import S3Options

    return S3Options(cfg.bucket, cfg.region, cfg.endpoint, cfg.access_key, cfg.secret, cfg.force_path_style)


def storage_for_s3(cfg: S3Config) -> S3Storage:
    from satchel.tools.filesystem.s3 import S3Storage

    return S3Storage(_s3_options(cfg))


class FileService:
    """``app.files``: the active storage, thumbs, background deletions."""

    def __init__(self, storage_dir: Path, s3_config: Callable[[], S3Config | None],
                 *, thumb_workers: int | None = None, thumb_timeout: float | None = None) -> None:
        self.storage_dir = storage_dir
        self._s3_config = s3_config
        self._local = LocalStorage(storage_dir)
        self._s3: tuple[S3Options, S3Storage] | None = None
        self._lock = threading.Lock()
        workers = thumb_workers or int(os.environ.get("PB_THUMBS_MAX_WORKERS", 0) or (os.cpu_count() or 1) + 2)
        self.thumb_timeout = thumb_timeout or float(os.environ.get("PB_THUMBS_MAX_WAIT", 0) or 60)
        self._thumb_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="satchel-thumbs")
        self._inflight: dict[tuple[int, str], asyncio.Future[bool]] = {}
        self._cleanup = ThreadPoolExecutor(max_workers=1, thread_name_prefix="satchel-files-cleanup")
        self._pending: set[Future[None]] = set()
        self.thumbs_made = 0  # observable in tests: how many thumbs were generated

    # -- storage selection --------------------------------------------------------------

    @property
    def storage(self) -> Storage:
        """S3 when ``settings.s3.enabled``, else ``pb_data/storage`` (as PocketBase:
        switching does not move files)."""
        cfg = self._s3_config()
        if cfg is None or not cfg.enabled:
            return self._local
        options = _s3_options(cfg)
        with self._lock:
            if self._s3 is None or self._s3[0] != options:
                self._s3 = (options, storage_for_s3(cfg))
            return self._s3[1]

    @property
    def local(self) -> LocalStorage:
        return self._local

    # -- background deletions ----------------------------------------------------------------

    def _run_later(self, fn: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                fn()
            except Exception:  # noqa: BLE001 - logged; a failed cleanup must not kill the worker
                log.exception("file cleanup failed")

        try:
            future = self._cleanup.submit(guarded)
        except RuntimeError:  # shut down: do it now
            guarded()
            return
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def delete_files_later(self, storage: Storage, keys: Iterable[str]) -> None:
        """Delete files and their ``thumbs_<name>/`` dirs (after a commit)."""
        keys = list(keys)
        if not keys:
            return

        def run() -> None:
            for key in keys:
                storage.delete(key)
                head, _, name = key.rpartition("/")
                failures = storage.delete_prefix(f"{head}/thumbs_{name}/")
                for failure in failures:
                    log.warning("failed to delete thumbs of %s: %s", key, failure)

        self._run_later(run)

    def delete_prefixes_later(self, storage: Storage, prefixes: Iterable[str]) -> None:
        prefixes = list(prefixes)
        if not prefixes:
            return

        def run() -> None:
            for prefix in prefixes:
                for failure in storage.delete_prefix(prefix):
                    log.warning("failed to delete %s: %s", prefix, failure)

        self._run_later(run)

    def delete_collection_files(self, collection_id: str) -> None:
        """Remove ``<collectionId>/`` in the background (call after the collection's
        deletion committed)."""
        if collection_id:
            self.delete_prefixes_later(self.storage, [f"{collection_id}/"])

    def delete_record_files(self, collection_id: str, record_id: str) -> None:
        if collection_id and record_id:
            self.delete_prefixes_later(self.storage, [record_prefix(collection_id, record_id)])

    def drain(self, timeout: float = 10.0) -> None:
        """Wait for the scheduled deletions (tests, shutdown)."""
        for future in list(self._pending):
            future.result(timeout=timeout)

    def close(self) -> None:
        self._cleanup.shutdown(wait=True)
        self._thumb_pool.shutdown(wait=False, cancel_futures=True)
        self._local.close()
        if self._s3 is not None:
            self._s3[1].close()

    # -- thumbs -------------------------------------------------------------------------

    def _make_thumb_sync(self, storage: Storage, original: str, target: str, size: ThumbSize,
                         source_type: str) -> None:
        data = storage.read_bytes(original)
        from satchel.tools.thumbs import make_thumb, output_format

        out = make_thumb(data, size, source_type)
        content_type = THUMB_CONTENT_TYPES[output_format(source_type)]
        storage.put_bytes(target, out, content_type=content_type)
        self.thumbs_made += 1

    async def ensure_thumb(self, storage: Storage, original: str, target: str, size: ThumbSize,
                           source_type: str) -> FileInfo | None:
        """The thumb ``target`` of ``original`` (of content type ``source_type``, which picks
        the thumb's format), made once even when asked concurrently;
        ``None`` when it can't be made (the caller serves the original)."""
        info = await storage.astat(target)
        if info is not None:
            return info
        flight_key = (id(storage), target)
        existing = self._inflight.get(flight_key)
        if existing is None:
            from satchel.tools.thumbs import ThumbError

            loop = asyncio.get_running_loop()
            future: asyncio.Future[bool] = loop.create_future()
            self._inflight[flight_key] = future
            try:
                job = loop.run_in_executor(self._thumb_pool, self._make_thumb_sync, storage, original, target, size,
                                           source_type)
                await asyncio.wait_for(asyncio.shield(job), self.thumb_timeout)
                future.set_result(True)
            except (ThumbError, StorageError, TimeoutError) as exc:
                log.info("thumb %s not made: %s", target, exc)
                future.set_result(False)
            except Exception:  # noqa: BLE001 - the original is served instead
                log.exception("thumb %s failed", target)
                future.set_result(False)
            finally:
                self._inflight.pop(flight_key, None)
            made = future.result()
        else:
            made = await asyncio.shield(existing)
        return await storage.astat(target) if made else None


# -- the record write path (runs on the writer thread, inside the transaction) ---------


class _TxFiles:
    """Files touched by one transaction: removed on rollback / dropped after commit."""

    def __init__(self, service: FileService, tx: Tx) -> None:
        self.service = service
        self.storage = service.storage
        self.uploaded: list[str] = []
        self.dropped: list[str] = []
        self.prefixes: list[str] = []
        tx.after_commit(self.committed)
        tx.after_rollback(self.rolled_back)

    def committed(self) -> None:
        self.service.delete_files_later(self.storage, [k for k in self.dropped if k not in self.uploaded])
        self.service.delete_prefixes_later(self.storage, self.prefixes)

    def rolled_back(self) -> None:
        for key in self.uploaded:
            try:
                self.storage.delete(key)
            except StorageError:
                log.warning("failed to remove the upload %s of a rolled back write", key)


_TX_FILES: dict[int, _TxFiles] = {}
_TX_LOCK = threading.Lock()


def _tx_files(service: FileService, tx: Tx) -> _TxFiles:
    with _TX_LOCK:
        found = _TX_FILES.get(id(tx))
        if found is not None and found.service is service:
            return found
        created = _TxFiles(service, tx)
        _TX_FILES[id(tx)] = created

    def forget() -> None:
        with _TX_LOCK:
            if _TX_FILES.get(id(tx)) is created:
                del _TX_FILES[id(tx)]

    tx.after_commit(forget)
    tx.after_rollback(forget)
    return created


def save_record_files(
    service: FileService | None,
    tx: Tx,
    c: Collection,
    record_id: str,
    values: Mapping[str, Any],
    original: Mapping[str, Any] | None,
    *,
    failure_message: str,
) -> None:
    """Store the pending uploads of ``values`` under ``<c.id>/<record_id>/`` and note the
    files of ``original`` no longer referenced (deleted after COMMIT).

    A storage failure is a 400 with ``failure_message`` (the transaction rolls back
    and the uploads stored so far are removed)."""
    if service is None:
        return
    fields = [f for f in c.fields if isinstance(f, FileField)]
    if not fields:
        return
    state: _TxFiles | None = None
    for f in fields:
        items = to_file_list(values.get(f.name))
        old = {file_name(x) for x in to_file_list(original.get(f.name))} if original is not None else set()
        new_names = {file_name(x) for x in items}
        uploads = [x for x in items if isinstance(x, PendingFile)]
        dropped = [n for n in old if n and n not in new_names]
        if not uploads and not dropped:
            continue
        state = state or _tx_files(service, tx)
        for upload in uploads:
            key = file_key(c.id, record_id, upload.name)
            try:
                upload.source.seek(0)
                state.storage.put_stream(key, upload.source, content_type=upload.mime_type,
                                         original_name=upload.original_name)
            except (StorageError, OSError) as exc:
                log.warning("upload of %s failed: %s", key, exc)
                raise ApiError(400, failure_message) from exc
            state.uploaded.append(key)
        state.dropped.extend(file_key(c.id, record_id, n) for n in sorted(dropped))


def forget_record_files(service: FileService | None, tx: Tx, c: Collection, record_id: str) -> None:
    """The record is being deleted: remove its directory after COMMIT."""
    if service is None or c.is_view or not any(isinstance(f, FileField) for f in c.fields):
        return
    _tx_files(service, tx).prefixes.append(record_prefix(c.id, record_id))
