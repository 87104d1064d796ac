"""Blob storage for uploaded files: the :class:`Storage` protocol, local disk and S3,
PocketBase's file names and content sniffing.  Imports nothing from satchel
outside ``tools``."""

from satchel.tools.filesystem.base import FileInfo, FileNotFound, InvalidKey, Storage, StorageError, check_key
from satchel.tools.filesystem.local import ATTRS_SUFFIX, LocalStorage, attrs_json
from satchel.tools.filesystem.mime import OCTET_STREAM, SNIFF_BYTES, detect, extension_for
from satchel.tools.filesystem.names import extract_extension, normalize_name, original_name, snakecase
from satchel.tools.filesystem.s3 import S3Options, S3Storage

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
