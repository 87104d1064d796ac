"""Blob storage for uploaded files: the :class:`Storage` protocol, local disk and S3,
PocketBase's file names and content sniffing.  Imports nothing from satchel
outside ``tools``."""

from satchel.tools.filesystem.base import FileInfo, FileNotFound, InvalidKey, Storage, StorageError, check_key
from satchel.tools.filesystem.local import ATTRS_SUFFIX, LocalStorage, attrs_json
from satchel.tools.filesystem.mime import OCTET_STREAM, SNIFF_BYTES, detect, extension_for
from satchel.tools.filesystem.names import extract_extension, normalize_name, original_name, snakecase

__all__ = [
    "ATTRS_SUFFIX",
    "OCTET_STREAM",
    "SNIFF_BYTES",
    "FileInfo",
    "FileNotFound",
    "InvalidKey",
    "LocalStorage",
    "S3Options",
    "S3Storage",
    "Storage",
    "StorageError",
    "attrs_json",
    "check_key",
    "detect",
    "extension_for",
    "extract_extension",
    "normalize_name",
    "original_name",
    "snakecase",
]


def __getattr__(name: str) -> object:
    # obstore (~4 MB) is loaded only when S3 storage is actually used
    if name in ("S3Options", "S3Storage"):
        from satchel.tools.filesystem import s3

        return getattr(s3, name)
    raise AttributeError(name)
