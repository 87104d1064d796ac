"""Satchel: a PocketBase-compatible backend in one Python program."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from satchel.tools import dataclass_cache

dataclass_cache.install()  # before any of Satchel's dataclasses is created

from satchel.errors import ApiError, ValidationError  # noqa: E402 (after the cache is installed)

if TYPE_CHECKING:
    from satchel.library import Satchel

__version__ = "0.1.0"

__all__ = ["ApiError", "Satchel", "ValidationError", "__version__"]


def __getattr__(name: str) -> Any:
    # imported on first use: `import satchel` stays cheap (start-up time of every command)
    if name == "Satchel":
        from satchel.library import Satchel

        return Satchel
    raise AttributeError(f"module 'satchel' has no attribute {name!r}")
