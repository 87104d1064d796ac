"""PocketBase's stored file names (``tools/filesystem/file.go``), pure.

``normalize_name("My Doc (final).txt", ...)`` -> ``my_doc_final_4ruh3jhrpu.txt``:
the extension (up to two dots, cleaned), the rest snake_cased, and always a
random 10-char ``[a-z0-9]`` suffix, so a stored name never contains a path
separator, a control character or a leading dot.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from satchel.tools.lazy_re import LazyPattern
from satchel.tools.security import random_string_with_alphabet

__all__ = [
    "NAME_ALPHABET",
    "extract_extension",
    "normalize_name",
    "original_name",
    "snakecase",
]

NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_EXT_INVALID = LazyPattern(r"[^A-Za-z0-9_.*+=#-]+")
_SNAKE_SPLIT = LazyPattern(r"[^A-Za-z0-9]+")
_CONTROL = LazyPattern(r"[\x00-\x1f\x7f]")
MAX_ORIGINAL_BYTES = 300
MAX_EXT = 20
MAX_BASE = 100
MIN_BASE = 3


def _random(n: int) -> str:
    return random_string_with_alphabet(n, NAME_ALPHABET)


def original_name(raw: str) -> str:
    """The client's file name without any directory part or control characters,
    cut to its last 300 bytes (UTF-8 safe)."""
    name = _CONTROL.sub("", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_ORIGINAL_BYTES:
        name = encoded[-MAX_ORIGINAL_BYTES:].decode("utf-8", errors="ignore")
    return name


def extract_extension(name: str) -> str:
    """The extension with its leading dot; two dots at most (``a.tar.gz`` -> ``.tar.gz``)."""
    primary = name.rfind(".")
    if primary < 0:
        return ""
    secondary = name.rfind(".", 0, primary)
    return name[secondary:] if secondary >= 0 else name[primary:]


def snakecase(text: str) -> str:
    """PocketBase's ``inflector.Snakecase``: ASCII words split at other characters and
    at lower->upper transitions, joined with ``_``, lowercased."""
    out: list[str] = []
    for word in _SNAKE_SPLIT.split(text):
        if not word:
            continue
        if out:
            out.append("_")
        for i, ch in enumerate(word):
            if ch.isupper() and i > 0 and not word[i - 1].isupper():
                out.append("_")
            out.append(ch)
    return "".join(out).lower()


def normalize_name(name: str, detect_extension: Callable[[], str] = lambda: "",
                   random: Callable[[int], str] = _random) -> str:
    """The stored name of an upload called ``name``.

    ``detect_extension`` gives the extension (``.txt``) from the content when the
    name has none; ``random`` makes the random parts (injectable for tests).
    """
    name = original_name(name)
    original_ext = extract_extension(name)
    clean_ext = _EXT_INVALID.sub("", original_ext).strip(".")
    clean_ext = "." + clean_ext if clean_ext else detect_extension()
    if len(clean_ext) > MAX_EXT:
        clean_ext = "." + clean_ext[-MAX_EXT:]
    base = name[: len(name) - len(original_ext)] if original_ext else name
    clean = snakecase(base.strip("."))
    if len(clean) < MIN_BASE:
        clean += random(10)
    elif len(clean) > MAX_BASE:
        clean = clean[:MAX_BASE]
    return f"{clean}_{random(10)}{clean_ext}"
