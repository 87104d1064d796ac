"""Dataclass methods compiled once, kept on disk next to Satchel's bytecode.

``dataclasses`` writes the source of each generated method (``__init__``, ``__repr__``,
``__eq__``...) and compiles it with ``exec`` every time a class is created: about 520
compiles for the classes ``satchel serve`` imports, 15 % of the instructions it runs
before its first answer (callgrind).  The text depends only on the class's fields and
options, so the code compiled from one text is always the same: this module hands
``dataclasses`` a code object looked up by the text, compiled only when the text is new.
Nothing else changes (the same code, globals and locals; a miss compiles as before).

The cache file is rewritten with the texts this process used when one was missing,
as Python writes bytecode: not under ``PYTHONDONTWRITEBYTECODE`` unless asked
(``python -m satchel.tools.precompile``, run by ``make`` and the benchmark).

Also while installed: ``dataclasses._is_type`` (run three times per field with a string
annotation, to tell ``ClassVar``/``InitVar``/``KW_ONLY`` apart) parses the leading
identifiers of each annotation text once, not once per field (:func:`_is_type`).

The precompile step splits it in two: the classes ``serve`` creates before its first answer
(loaded by :func:`install`), and the rest (the handler modules imported on first use, other
commands), loaded on the first text missing from the first file: ``serve`` unmarshals only
what it uses (~60 % of the texts, -2 ms of start-up).
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import CodeType
from typing import Any

__all__ = ["cache_path", "install", "mark_start", "release", "save", "stats"]

_cache: dict[str, CodeType] = {}
_used: dict[str, CodeType] = {}
_rest_keys: set[str] = set()  # the texts that came from the second file
_start: set[str] | None = None  # the texts used up to mark_start() (the precompile step)
_state = {"hits": 0, "misses": 0, "installed": False, "rest_loaded": False}


def cache_path() -> Path:
    tag = sys.implementation.cache_tag or "python"
    return Path(__file__).resolve().parent.parent / "__pycache__" / f"dataclasses.{tag}.marshal"


def rest_path() -> Path:
    path = cache_path()
    return path.with_name(path.name.replace("dataclasses.", "dataclasses-rest.", 1))


def _read(path: Path) -> dict[str, CodeType]:
    with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
        blob = path.read_bytes()
        magic = importlib.util.MAGIC_NUMBER
        if blob.startswith(magic):
            loaded = marshal.loads(blob[len(magic):])
            if isinstance(loaded, dict):
                return loaded
    return {}


def _load_rest() -> None:
    _state["rest_loaded"] = True
    rest = {k: v for k, v in _read(rest_path()).items() if k not in _cache}
    _rest_keys.update(rest)
    _cache.update(rest)


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    if not isinstance(source, str):  # not dataclasses' own call: leave it alone
        builtins.exec(source, globals, locals)
        return
    code = _cache.get(source)
    if code is None and not _state["rest_loaded"]:
        _load_rest()
        code = _cache.get(source)
    if code is None:
        # dont_inherit: compiled as in dataclasses' module, not under this one's __future__ flags
        code = _cache[source] = compile(source, "<string>", "exec", dont_inherit=True)
        _state["misses"] += 1
    else:
        _state["hits"] += 1
    _used[source] = code
    builtins.exec(code, globals, locals)


# (an interpreter whose dataclasses lack these internals keeps its own: nothing replaced)
_STDLIB_IS_TYPE = getattr(dataclasses, "_is_type", None)
_IDENTIFIER_RE = getattr(dataclasses, "_MODULE_IDENTIFIER_RE", None)
_NOT_PARSED = ("", "")
#: annotation text -> its ``(module, name)`` leading identifiers (``None``: no identifier)
_idents: dict[str, tuple[str | None, str] | None] = {}


def _is_type(annotation: str, cls: type, a_module: Any, a_type: Any, is_type_predicate: Any) -> bool:
    """``dataclasses._is_type`` (does a string annotation name ``a_type`` of ``a_module``?),
    the same answer with the regex match kept per annotation text: most texts repeat
    (``str``, ``int``...), and the match with its groups was ~5 k of the ~7 k instructions
    of a call, ~1,000 calls at start-up (callgrind)."""
    parts = _idents.get(annotation, _NOT_PARSED)
    if parts is _NOT_PARSED:
        match = _IDENTIFIER_RE.match(annotation)  # type: ignore[union-attr]
        parts = _idents[annotation] = (match.group(1), match.group(2)) if match else None
    if parts is None:
        return False
    module_name, name = parts
    ns = None
    if not module_name:
        ns = sys.modules.get(cls.__module__).__dict__  # type: ignore[union-attr]  # as dataclasses does
    else:
        module = sys.modules.get(cls.__module__)
        if module and module.__dict__.get(module_name) is a_module:
            ns = sys.modules.get(a_type.__module__).__dict__  # type: ignore[union-attr]
    return bool(ns and is_type_predicate(ns.get(name), a_module))


def install() -> None:
    """Load the cache and route ``dataclasses``' compiles through it (once per process)."""
    if _state["installed"]:
        return
    _state["installed"] = True
    _cache.update(_read(cache_path()))
    # dataclasses calls the global names `exec` and `_is_type`: module globals, replaced
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    if _STDLIB_IS_TYPE is not None and _IDENTIFIER_RE is not None:
        dataclasses._is_type = _is_type  # type: ignore[attr-defined]


def mark_start() -> None:
    """The texts used so far are the first file's (the precompile step calls this once it
    has done what ``serve`` does before its first answer)."""
    global _start
    _start = set(_used)


def _write(path: Path, data: dict[str, CodeType]) -> bool:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        tmp.write_bytes(importlib.util.MAGIC_NUMBER + marshal.dumps(data))
        os.replace(tmp, path)  # atomic: workers starting at once never read half a file
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    return True


def save(*, force: bool = False) -> bool:
    """Write the cache when a text was compiled here; True when written.  Skipped under
    ``PYTHONDONTWRITEBYTECODE`` unless ``force``; a read-only install is fine.  ``force``
    (the precompile step) writes only the texts this process used, dropping stale ones,
    split at :func:`mark_start`; otherwise the first file keeps what it had plus the texts
    compiled here (the second file is left as it is)."""
    if not force and (not _state["misses"] or sys.dont_write_bytecode):
        return False
    if force:
        start = set(_used) if _start is None else _start
        first = {k: v for k, v in _used.items() if k in start}
        rest = {k: v for k, v in _used.items() if k not in start}
        if not (_write(cache_path(), first) and _write(rest_path(), rest)):
            return False
    elif not _write(cache_path(), {k: v for k, v in _cache.items() if k not in _rest_keys}):
        return False
    _state["misses"] = 0
    return True


def release() -> None:
    """Once serving: save what is new, then let ``dataclasses`` compile as usual and drop
    the cache (its outer code objects and texts held ~1 MB that no class uses)."""
    save()
    with contextlib.suppress(AttributeError):
        del dataclasses.exec  # type: ignore[attr-defined]
    if _STDLIB_IS_TYPE is not None:
        dataclasses._is_type = _STDLIB_IS_TYPE  # type: ignore[attr-defined]
    _idents.clear()
    _cache.clear()
    _used.clear()
    _rest_keys.clear()


def stats() -> dict[str, int]:
    """Hits and misses since :func:`install`, and whether the second file was read (the
    tests check the cache is used)."""
    return {"hits": _state["hits"], "misses": _state["misses"], "rest_loaded": int(_state["rest_loaded"])}
