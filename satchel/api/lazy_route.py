"""A Starlette route whose path regex is compiled on its first match.

Starlette compiles each route's path when the route is made: 69 regexes (~2 ms) before the
first answer, most of them for routes a health check never reaches (routes are tried in
order and stop at the first match).  Here the route is made as ``Route.__init__`` makes one
whose endpoint is an ASGI app (the only kind the route table uses), and ``compile_path``
runs when something first reads ``path_regex``, ``path_format`` or ``param_convertors``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.routing import Route, compile_path
from starlette.types import ASGIApp

__all__ = ["LazyPathRoute"]

_COMPILED = frozenset({"path_regex", "path_format", "param_convertors"})


class LazyPathRoute(Route):
    def __init__(self, path: str, endpoint: ASGIApp, *, methods: Collection[str]) -> None:
        assert path.startswith("/"), "Routed paths must start with '/'"
        self.path = path
        self.endpoint = endpoint
        self.name = type(endpoint).__name__  # Starlette's get_name() of an instance
        self.include_in_schema = True
        self.app = endpoint
        self.methods = {m.upper() for m in methods}
        if "GET" in self.methods:
            self.methods.add("HEAD")

    def __getattr__(self, name: str) -> Any:  # only for attributes not set yet
        if name in _COMPILED:
            # two threads may both compile: the same values, the last assignment wins
            self.path_regex, self.path_format, self.param_convertors = compile_path(self.path)
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
