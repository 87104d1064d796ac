"""Modules registered now whose code runs when they are first used.

The serving stack imports modules that a start-up never runs: uvicorn's
``logging.config``, Starlette's ``http.client`` (with most of the ``email`` package),
anyio's package face...  Registered before their first importer, they cost nothing until
some request uses them (docs/performance.md, start-up).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import Any

__all__ = ["defer_imports", "deferred_module", "is_deferred"]

_COMPLETE = "_satchel_deferred_complete"


def deferred_module(name: str) -> ModuleType:
    """``name`` in ``sys.modules`` as a module whose code runs on the first name it is asked
    for and lacks (a PEP 562 ``__getattr__``): importing it costs nothing until then.  (The
    stdlib's ``LazyLoader`` would not do: ``import`` itself reads ``__spec__`` and loads it.)

    Only for modules whose importers use them inside functions: an importer that takes a
    name at import time (``from m import x``) runs the module then, as without this.  A
    dotted ``name`` needs its parent package imported (or deferred) first.  An extension
    module is initialised here already (its loader does it to create the module object).
    """
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"{name} is not installed")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    lock = threading.RLock()  # reentrant: the module's own code may ask it for a name
    running = False

    def complete(attr: str) -> Any:
        nonlocal running
        with lock:  # a second thread's first use waits for the module's code to finish
            if _COMPLETE in module.__dict__:  # its code has not finished yet
                if running:  # asked by that code itself (an import cycle): a partly run module
                    try:
                        return module.__dict__[attr]
                    except KeyError:
                        raise AttributeError(f"partially initialized module {name!r} has no attribute {attr!r}") from None
                running = True
                loader.exec_module(module)
                if module.__dict__.get("__getattr__") is complete:
                    del module.__getattr__  # (a module may define its own, which replaced this one)
                del module.__dict__[_COMPLETE]
        return getattr(module, attr)  # the module's own __getattr__, if it has one

    module.__getattr__ = complete  # type: ignore[method-assign]
    setattr(module, _COMPLETE, complete)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def defer_imports(names: Iterable[str]) -> None:
    """:func:`deferred_module` for each of ``names`` not imported yet, parents first."""
    for name in names:
        parent = name.rpartition(".")[0]
        if parent and parent not in sys.modules:
            importlib.import_module(parent)
        deferred_module(name)


def is_deferred(name: str) -> bool:
    """``name`` was registered by :func:`deferred_module` and has not run yet."""
    module = sys.modules.get(name)
    return module is not None and _COMPLETE in module.__dict__
