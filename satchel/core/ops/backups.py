"""Backups of ``pb_data`` (spec 12 §4): create, list, upload, delete, restore.

A backup is a zip of ``pb_data`` in which ``data.db`` and ``auxiliary.db`` are online
snapshots (SQLite's backup API, see :meth:`Database.snapshot_to`) and the rest is copied
as it is, without ``backups/`` and the temporary folders.  Backups live in
``pb_data/backups`` (the files storage layer, so each has its ``.attrs`` sidecar).

A restore is checked and unpacked before it is accepted (:mod:`.restore_zip`), then
applied by the next start of the app (:func:`~.restore_swap.apply_pending_restore`): the current data
moves aside, the backup's content moves in, and the old data is deleted only once the
new databases opened.  One backup or restore at a time.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from satchel.core.files.storage import storage_for_s3
from satchel.core.hook_events import AppHooks, BackupEvent
from satchel.core.ops.restore_swap import _ALNUM, DATABASES, KEEP, PENDING, TEMP_DIR, apply_pending_restore
from satchel.errors import ApiError, BadRequestError
from satchel.tools.filesystem import FileInfo, InvalidKey, LocalStorage, Storage, StorageError, snakecase
from satchel.tools.security import random_string_with_alphabet

# the backups API on a database that is not a file of pb_data (PostgreSQL)
NO_SNAPSHOTS_MESSAGE = (
    "Backups are not available when the data is in PostgreSQL: "
    "use the database's own tools (pg_dump, your provider's snapshots)."
)

if TYPE_CHECKING:
    from satchel.core.settings.model import S3Config, Settings
    from satchel.store.database import Database

__all__ = [
    "AUTO_PREFIX",
    "BackupService",
    "BUSY_MESSAGE",
    "TEMP_DIR",
    "apply_pending_restore",
    "backup_name_error",
    "default_backup_name",
]

log = logging.getLogger("satchel.backups")

BUSY_MESSAGE = "Try again later - another backup/restore process has already been started."
AUTO_PREFIX = "@auto_pb_backup_"
_NAME_RE = re.compile(r"^[a-z0-9_-]+\.zip$")


def backup_name_error(name: str) -> dict[str, object] | None:
    """PocketBase's validation of a backup name (``None`` when valid)."""
    if not 1 <= len(name) <= 150:
        return {"code": "validation_length_out_of_range", "message": "The length must be between 1 and 150.",
                "params": {"max": 150, "min": 1}}
    if not _NAME_RE.match(name):
        return {"code": "validation_match_invalid", "message": "Must be in a valid format."}
    return None


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")


def default_backup_name(app_name: str, now: datetime | None = None, prefix: str = "pb_backup_") -> str:
    return f"{prefix}{snakecase(app_name)[:50]}_{_stamp(now)}.zip"


def _skipped(rel: Path) -> bool:
    top = rel.parts[0]
    return top in KEEP or any(top == db or top.startswith(db + "-") for db in DATABASES)


def write_backup_zip(data_dir: Path, snapshots: dict[str, Path], out: Path) -> None:
    """Zip ``pb_data`` into ``out``: the database snapshots, then every other file."""
    import zipfile  # here, not at start-up: only a backup needs it

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, path in snapshots.items():
            zf.write(path, name)
        for dirpath, dirnames, filenames in os.walk(data_dir):
            base = Path(dirpath)
            rel_dir = base.relative_to(data_dir)
            if rel_dir.parts and _skipped(rel_dir):
                dirnames[:] = []
                continue
            for filename in sorted(filenames):
                rel = rel_dir / filename
                if _skipped(rel):
                    continue
                try:
                    zf.write(base / filename, rel.as_posix())
                except FileNotFoundError:
                    continue  # deleted while we walked (a record's file replaced meanwhile)


class BackupService:
    """``app.backups``."""

    def __init__(self, data_dir: Path, db: Database, aux_db: Database, settings: Callable[[], Settings]) -> None:
        self.data_dir = data_dir
        self.db = db
        self.aux_db = aux_db
        self._settings = settings
        self._busy = threading.Lock()
        self._in_use: str | None = None
        self._local = LocalStorage(data_dir / "backups")
        self._s3: tuple[S3Config, Storage] | None = None
        self._s3_lock = threading.Lock()
        #: bytes a restore may unpack; by default what the disk can hold (tests lower it)
        self.max_restore_bytes: int | None = None
        self.hooks: AppHooks | None = None  # on_backup_create/_restore (set by the App)

    @property
    def storage(self) -> Storage:
        """The ``backups.s3`` bucket when enabled, else ``pb_data/backups``."""
        cfg = self._settings().backups.s3
        if not cfg.enabled:
            return self._local
        with self._s3_lock:
            if self._s3 is None or self._s3[0] != cfg:
                self._s3 = (cfg, storage_for_s3(cfg))
            return self._s3[1]

    @property
    def busy(self) -> bool:
        return self._busy.locked()

    @contextmanager
    def _exclusive(self, key: str) -> Iterator[None]:
        if not self._busy.acquire(blocking=False):
            raise BadRequestError(BUSY_MESSAGE)
        self._in_use = key
        try:
            yield
        finally:
            self._in_use = None
            self._busy.release()

    # -- listing ------------------------------------------------------------------------

    def list(self) -> list[FileInfo]:
        storage = self.storage
        try:
            infos = [storage.stat(key) for key in storage.list_keys() if "/" not in key]
        except StorageError as exc:
            raise BadRequestError(f"Failed to retrieve backup items. Raw error: \n{exc}") from exc
        return [i for i in infos if i is not None]

    def exists(self, key: str) -> bool:
        try:
            return self.storage.stat(key) is not None
        except StorageError:
            return False

    # -- create -------------------------------------------------------------------------

    def create(self, name: str) -> None:
        """Snapshot and zip ``pb_data`` into the backup ``name`` (blocking), through the
        ``on_backup_create`` hook (``e.name`` may be changed; not calling ``e.next()`` skips it)."""
        hooks = self.hooks
        if hooks is None or not hooks.on_backup_create.handlers:
            self._create(name)
            return
        hooks.on_backup_create.trigger_sync(BackupEvent(app=hooks.app, name=name), lambda e: self._create(e.name))

    def _require_snapshots(self) -> None:
        if not self.db.snapshots:
            raise BadRequestError(NO_SNAPSHOTS_MESSAGE)

    def _create(self, name: str) -> None:
        self._require_snapshots()
        with self._exclusive(name):
            tmp_root = self.data_dir / TEMP_DIR
            tmp_root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="pb_backup_", dir=tmp_root) as tmp:
                snapshots = {}
                for filename, database in zip(DATABASES, (self.db, self.aux_db), strict=True):
                    snapshots[filename] = Path(tmp, filename)
                    database.snapshot_to(str(snapshots[filename]))
                archive = Path(tmp, "backup.zip")
                write_backup_zip(self.data_dir, snapshots, archive)
                with open(archive, "rb") as source:
                    self.storage.put_stream(name, source, content_type="application/zip", original_name=name)

    def create_auto(self) -> None:
        """The ``__pbAutoBackup__`` job: a new ``@auto_pb_backup_*`` zip, then only the newest
        ``cronMaxKeep`` of them are kept."""
        settings = self._settings()
        self.create(default_backup_name(settings.meta.app_name, prefix=AUTO_PREFIX))
        keep = max(settings.backups.cron_max_keep, 1)
        autos = sorted((i for i in self.list() if i.key.startswith(AUTO_PREFIX)),
                       key=lambda i: (i.modified, i.key), reverse=True)
        for old in autos[keep:]:
            self.storage.delete(old.key)

    # -- upload / delete ----------------------------------------------------------------

    def save_upload(self, name: str, path: Path) -> None:
        with open(path, "rb") as source:
            self.storage.put_stream(name, source, content_type="application/zip", original_name=name)

    def delete(self, key: str) -> None:
        if key == self._in_use:
            raise BadRequestError("The backup is currently being used and cannot be deleted.")
        if not self.exists(key):
            try:
                path = self.storage.local_path(key) or key
            except InvalidKey:  # a name no file can have (a NUL, a path trick): shown as sent
                path = key
            raise BadRequestError(
                "Invalid or already deleted backup file. Raw error: \n"
                f"[key: {key}] remove {path}: no such file or directory\nresource not found."
            )
        self.storage.delete(key)

    # -- restore ------------------------------------------------------------------------

    def prepare_restore(self, key: str) -> None:
        """:meth:`_prepare_restore` through the ``on_backup_restore`` hook."""
        self._require_snapshots()
        hooks = self.hooks
        if hooks is None or not hooks.on_backup_restore.handlers:
            self._prepare_restore(key)
            return
        event = BackupEvent(app=hooks.app, name=key)
        hooks.on_backup_restore.trigger_sync(event, lambda e: self._prepare_restore(e.name))

    def _prepare_restore(self, key: str) -> None:
        """Check and unpack the backup ``key`` as the pending restore (blocking).

        Raises a 400 with the reason for a missing, corrupt or hostile zip; nothing of the
        current data is touched until :func:`apply_pending_restore` runs at the next start.
        """
        with self._exclusive(key):
            if not self.exists(key):
                raise BadRequestError("Missing or invalid backup file.")
            tmp_root = self.data_dir / TEMP_DIR
            tmp_root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="pb_download_", dir=tmp_root) as tmp:
                self._unpack(key, self._local_copy(key, Path(tmp)), tmp_root)

    def _local_copy(self, key: str, tmp: Path) -> Path:
        storage = self.storage
        path = storage.local_path(key)
        if path is not None:
            return path
        target = tmp / "backup.zip"
        try:
            target.write_bytes(storage.read_bytes(key))
        except StorageError as exc:
            raise BadRequestError("Missing or invalid backup file.") from exc
        return target

    def _unpack(self, key: str, path: Path, tmp_root: Path) -> None:
        from satchel.core.ops.restore_zip import RestoreError, extract_backup

        target = tmp_root / f"pb_restore_{random_string_with_alphabet(10, _ALNUM)}"
        limit = self.max_restore_bytes
        if limit is None:
            limit = int(shutil.disk_usage(tmp_root).free * 0.9)
        try:
            extract_backup(path, target, max_bytes=limit)
        except RestoreError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise ApiError(400, f"Failed to restore the backup: {exc}") from exc
        pending = tmp_root / PENDING
        shutil.rmtree(pending, ignore_errors=True)
        os.replace(target, pending)
