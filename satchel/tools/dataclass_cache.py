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

__all__ = ["cache_path", "install", "release", "save", "stats"]

_cache: dict[str, CodeType] = {}
_used: dict[str, CodeType] = {}
_state = {"hits": 0, "misses": 0, "installed": False}


def cache_path() -> Path:
    tag = sys.implementation.cache_tag or "python"
    return Path(__file__).resolve().parent.parent / "__pycache__" / f"dataclasses.{tag}.marshal"


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    if not isinstance(source, str):  # not dataclasses' own call: leave it alone
        builtins.exec(source, globals, locals)
        return
    code = _cache.get(source)
    if code is None:
        # dont_inherit: compiled as in dataclasses' module, not under this one's __future__ flags
        code = _cache[source] = compile(source, "<string>", "exec", dont_inherit=True)
        _state["misses"] += 1
    else:
        _state["hits"] += 1
    _used[source] = code
    builtins.exec(code, globals, locals)


def install() -> None:
    """Load the cache and route ``dataclasses``' compiles through it (once per process)."""
    if _state["installed"]:
        return
    _state["installed"] = True
    with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
        blob = cache_path().read_bytes()
        magic = importlib.util.MAGIC_NUMBER
        if blob.startswith(magic):
            loaded = marshal.loads(blob[len(magic):])
            if isinstance(loaded, dict):
                _cache.update(loaded)
    # dataclasses calls the global name `exec`: a module global shadows the builtin
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def save(*, force: bool = False) -> bool:
    """Write the cache when a text was compiled here; True when written.  Skipped under
    ``PYTHONDONTWRITEBYTECODE`` unless ``force``; a read-only install is fine.  ``force``
    (the precompile step) writes only the texts this process used, dropping stale ones;
    otherwise the ones loaded are kept too (another command may use other classes)."""
    if not force and (not _state["misses"] or sys.dont_write_bytecode):
        return False
    path = cache_path()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(exist_ok=True)
        tmp.write_bytes(importlib.util.MAGIC_NUMBER + marshal.dumps(dict(_used if force else _cache)))
        os.replace(tmp, path)  # atomic: workers starting at once never read half a file
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    _state["misses"] = 0
    return True


def release() -> None:
    """Once serving: save what is new, then let ``dataclasses`` compile as usual and drop
    the cache (its outer code objects and texts held ~1 MB that no class uses)."""
    save()
    with contextlib.suppress(AttributeError):
        del dataclasses.exec  # type: ignore[attr-defined]
    _cache.clear()
    _used.clear()


def stats() -> dict[str, int]:
    """Hits and misses since :func:`install` (the tests check the cache is used)."""
    return {"hits": _state["hits"], "misses": _state["misses"]}
