"""Check and unpack a backup zip before a restore: nothing outside the target folder,
no links, bounded size (zip bombs), a ``data.db`` that is an SQLite file."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

__all__ = ["RestoreError", "extract_backup", "safe_member_path"]

_SQLITE_HEADER = b"SQLite format 3\x00"
_MAX_MEMBERS = 1_000_000
_CHUNK = 1024 * 1024


class RestoreError(Exception):
    """Why a zip can't be restored (shown to the superuser)."""


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path of a zip member, or :class:`RestoreError` when it could escape."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise RestoreError(f"unsafe path in the zip: {name!r}")
    path = PurePosixPath(name)
    if any(part in ("..", "") for part in path.parts) or path.is_absolute():
        raise RestoreError(f"unsafe path in the zip: {name!r}")
    return path


def _check(zf: zipfile.ZipFile, max_bytes: int) -> list[zipfile.ZipInfo]:
    members = zf.infolist()
    if len(members) > _MAX_MEMBERS:
        raise RestoreError("too many files in the zip")
    total = 0
    names = set()
    for info in members:
        safe_member_path(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise RestoreError(f"links are not allowed in the zip: {info.filename!r}")
        total += info.file_size
        names.add(info.filename.rstrip("/"))
    if total > max_bytes:
        raise RestoreError(f"the zip unpacks to {total} bytes, more than the {max_bytes} bytes allowed")
    if "data.db" not in names:
        raise RestoreError("missing data.db in the zip")
    return members


def extract_backup(zip_path: Path, target: Path, *, max_bytes: int) -> None:
    """Unpack ``zip_path`` into the new folder ``target`` (:class:`RestoreError` if unfit)."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = _check(zf, max_bytes)
            target.mkdir(parents=True)
            for info in members:
                dest = target.joinpath(*safe_member_path(info.filename).parts)
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                # zipfile stops at the declared size and checks the CRC: the sum checked
                # above bounds what lands on disk
                with zf.open(info) as source, open(dest, "wb") as out:
                    shutil.copyfileobj(source, out, _CHUNK)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
        raise RestoreError(f"invalid zip file ({exc})") from exc
    with open(target / "data.db", "rb") as db:
        if db.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise RestoreError("data.db in the zip is not an SQLite database")
