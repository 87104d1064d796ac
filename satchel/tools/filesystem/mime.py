"""Content type sniffing with the names PocketBase reports (Go's
``gabriel-vasile/mimetype``): ``image/png``, ``text/plain; charset=utf-8``...

Only the first :data:`SNIFF_BYTES` bytes are looked at; the client's
Content-Type and the file name are never trusted.
"""

from __future__ import annotations

import csv
import io
import re

import orjson

__all__ = ["OCTET_STREAM", "SNIFF_BYTES", "detect", "extension_for"]

SNIFF_BYTES = 3072
OCTET_STREAM = "application/octet-stream"
TEXT_UTF8 = "text/plain; charset=utf-8"

_OOXML = {
    b"word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    b"xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    b"ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/x-icon": ".ico",
    "image/tiff": ".tiff",
    "image/avif": ".avif",
    "image/heic": ".heic",
    "image/svg+xml": ".svg",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/3gpp": ".3gp",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "audio/x-m4a": ".m4a",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/flac": ".flac",
    "audio/midi": ".midi",
    "audio/aiff": ".aiff",
    "audio/ogg": ".ogg",
    "application/ogg": ".ogg",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/gzip": ".gz",
    "application/x-7z-compressed": ".7z",
    "application/x-rar-compressed": ".rar",
    "application/wasm": ".wasm",
    "application/vnd.sqlite3": ".sqlite",
    "application/epub+zip": ".epub",
    "application/json": ".json",
    "text/html": ".html",
    "text/xml": ".xml",
    "text/csv": ".csv",
    "text/plain": ".txt",
    **{mime: "." + ext for ext, mime in (
        ("docx", _OOXML[b"word/"]), ("xlsx", _OOXML[b"xl/"]), ("pptx", _OOXML[b"ppt/"])
    )},
}

_HTML_TAGS = (
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div", b"<font",
    b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--",
)


def _ftyp(head: bytes) -> str | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in (b"avif", b"avis"):
        return "image/avif"
    if brand in (b"heic", b"heix", b"heim", b"heis"):
        return "image/heic"
    if brand == b"qt  ":
        return "video/quicktime"
    if brand.startswith(b"3gp"):
        return "video/3gpp"
    if brand in (b"M4A ", b"M4B "):
        return "audio/x-m4a"
    return "video/mp4"


def _zip(head: bytes) -> str:
    if head[30:58] == b"mimetypeapplication/epub+zip":
        return "application/epub+zip"
    for marker, mime in _OOXML.items():
        if marker in head:
            return mime
    return "application/zip"


_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"\x1f\x8b", 0, "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", 0, "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", 0, "application/x-rar-compressed"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
    (b"\x00\x00\x01\x00", 0, "image/x-icon"),
    (b"ID3", 0, "audio/mpeg"),
    (b"fLaC", 0, "audio/flac"),
    (b"MThd", 0, "audio/midi"),
    (b"OggS", 0, "audio/ogg"),
    (b"\x00asm", 0, "application/wasm"),
    (b"SQLite format 3\x00", 0, "application/vnd.sqlite3"),
)


def _binary(head: bytes) -> str | None:
    for magic, offset, mime in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head[:2] == b"BM" and len(head) >= 14:
        return "image/bmp"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:4] == b"PK\x03\x04":
        return _zip(head)
    return _ftyp(head)


_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _charset(head: bytes) -> str | None:
    """``utf-8`` / ``utf-16be|le`` / ``iso-8859-1`` for text, ``None`` for binary data."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if head.startswith(b"\xfe\xff"):
        return "utf-16be"
    if head.startswith(b"\xff\xfe"):
        return "utf-16le"
    if _BINARY_BYTES.search(head):
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sniffed prefix is still UTF-8
        if exc.start < len(head) - 3:
            return "iso-8859-1"
    return "utf-8"


def _is_csv(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()][:10]
    if len(lines) < 2:
        return False
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines))))
    except csv.Error:
        return False
    widths = {len(r) for r in rows}
    return len(widths) == 1 and widths.pop() > 1


def _text(head: bytes, charset: str, complete: bool) -> str:
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    lower = body[:64].lower()
    if lower.startswith(b"<?xml"):
        return "image/svg+xml" if b"<svg" in head.lower() else f"text/xml; charset={charset}"
    if lower.startswith(b"<svg"):
        return "image/svg+xml"
    for tag in _HTML_TAGS:
        if lower.startswith(tag) and len(lower) > len(tag) and lower[len(tag)] in b" >":
            return f"text/html; charset={charset}"
    if body[:1] in (b"{", b"[") and complete:
        try:
            orjson.loads(body)
            return "application/json"
        except orjson.JSONDecodeError:
            pass
    if charset == "utf-8" and _is_csv(head.decode("utf-8", errors="ignore")):
        return "text/csv"
    return f"text/plain; charset={charset}"


def detect(head: bytes, *, complete: bool = False) -> str:
    """The content type of data starting with ``head`` (``complete``: ``head`` is all of it)."""
    head = head[:SNIFF_BYTES]
    found = _binary(head)
    if found:
        return found
    charset = _charset(head)
    if charset is None:
        return OCTET_STREAM
    return _text(head, charset, complete or len(head) < SNIFF_BYTES)


def extension_for(content_type: str) -> str:
    """``.txt`` for ``text/plain; charset=utf-8``; ``""`` when unknown."""
    return _EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower(), "")
