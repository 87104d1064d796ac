"""The lazy public face of a domain package (PEP 562 module ``__getattr__``).

A package's ``__init__`` names what it offers and where each name lives; a name is
imported from its module on first use.  Eager re-exports would import every module
of a package as soon as any one of them is imported, which ties the packages into
import cycles (records and collections use each other) and slows the CLI's start.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that loads ``name`` from ``package.where[name]``."""

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        # Cache on the package so the next lookup is a plain attribute read.
        setattr(importlib.import_module(package), name, value)
        return value

    return getattr_
