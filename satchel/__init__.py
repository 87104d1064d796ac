"""Satchel: a PocketBase-compatible backend in one Python program."""

from __future__ import annotations

from satchel.errors import ApiError, ValidationError

__version__ = "0.1.0"

__all__ = ["ApiError", "ValidationError", "__version__"]
