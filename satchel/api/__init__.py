"""The HTTP layer: the only package that imports the web toolkit."""

from __future__ import annotations

from satchel.api.router import build_asgi

__all__ = ["build_asgi"]
