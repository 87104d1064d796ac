"""A restore swapped in at start, and the temporary folders of backups and restores cleaned.

Run by every start before the databases open (:class:`satchel.app.App`), so kept apart from
:mod:`.backups`, whose zip, storage and S3 code a start that has no restore to apply never
imports (``app.backups`` is made on first use).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from satchel.tools.security import random_string_with_alphabet

__all__ = ["DATABASES", "KEEP", "PENDING", "TEMP_DIR", "apply_pending_restore", "clean_temp", "undo_restore"]

log = logging.getLogger("satchel.backups")

TEMP_DIR = ".pb_temp_to_delete"
PENDING = "pending_restore"
#: top-level entries of pb_data never put in a backup nor replaced by a restore
KEEP = frozenset({"backups", TEMP_DIR, ".notify", ".autocert_cache", "lost+found"})
DATABASES = ("data.db", "auxiliary.db")
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def _move_content(source: Path, dest: Path, skip: frozenset[str]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name not in skip:
            os.replace(entry, dest / entry.name)


def apply_pending_restore(data_dir: Path) -> Path | None:
    """At start, before the databases open: swap a pending restore in.

    Returns the folder holding the previous data (deleted by :func:`clean_temp`
    once the new databases opened, or give it back with :func:`undo_restore`)."""
    tmp_root = data_dir / TEMP_DIR
    pending = tmp_root / PENDING
    if not (pending / "data.db").is_file():
        return None
    old = tmp_root / f"old_pb_data_{random_string_with_alphabet(10, _ALNUM)}"
    _move_content(data_dir, old, KEEP)
    _move_content(pending, data_dir, KEEP)
    shutil.rmtree(pending, ignore_errors=True)
    log.warning("restored a backup into %s; previous data in %s until the new one opened", data_dir, old)
    return old


def undo_restore(data_dir: Path, old: Path) -> None:
    """The restored data did not open: put the previous data back."""
    failed = data_dir / TEMP_DIR / f"failed_restore_{random_string_with_alphabet(10, _ALNUM)}"
    _move_content(data_dir, failed, KEEP)
    _move_content(old, data_dir, KEEP)
    shutil.rmtree(old, ignore_errors=True)


def clean_temp(data_dir: Path, previous: Path | None = None, min_age: float = 600.0) -> None:
    """Delete what earlier backups and restores left (PocketBase does it at every start):
    ``previous`` (the data a restore just replaced) at once, anything else once it is
    ``min_age`` seconds old, so a CLI command run beside a busy server spares its work."""
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)
    tmp_root = data_dir / TEMP_DIR
    if not tmp_root.is_dir():
        return
    cutoff = time.time() - min_age
    for entry in tmp_root.iterdir():
        try:
            if entry.name == PENDING or entry.stat().st_mtime > cutoff:
                continue
        except OSError:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
