"""Satchel as a library: ``Satchel(data_dir=...)`` then ``app.start()``, as PocketBase's
``pocketbase.New()`` / ``app.Start()`` in Go.

The App is only built once ``start()`` has parsed the command line (``serve --dir=...``),
so what ``main.py`` registers before that (hooks, routes, cron jobs) is recorded and
replayed on the real :class:`~satchel.hooks.HookApp` as soon as it exists, before any
hook file runs and before anything is served.  After that the object forwards every
attribute to it, so handlers may use ``app.find_record_by_id(...)`` and the like.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["Satchel"]

#: commands that take --dir (and the other persistent flags)
_DIR_COMMANDS = ("serve", "migrate", "superuser")


class _Deferred:
    """An attribute path or a call on the app-to-be, replayed by :meth:`Satchel._bind`."""

    __slots__ = ("_args", "_kind", "_kwargs", "_name", "_owner", "_parent")

    def __init__(self, owner: Satchel, parent: _Deferred | None, kind: str, name: str = "",
                 args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> None:
        self._owner = owner
        self._parent = parent
        self._kind = kind
        self._name = name
        self._args = args
        self._kwargs = kwargs or {}

    def __getattr__(self, name: str) -> _Deferred:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Deferred(self._owner, self, "attr", name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        node = _Deferred(self._owner, self, "call", args=args, kwargs=kwargs)
        self._owner._calls.append(node)
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], _Deferred):
            return args[0]  # a decorator: the function stays the user's
        return node

    def __repr__(self) -> str:
        return f"<deferred {self._path()} (Satchel not started yet)>"

    def _path(self) -> str:
        parent = self._parent._path() if self._parent is not None else "app"
        return f"{parent}.{self._name}" if self._kind == "attr" else f"{parent}(...)"


class Satchel:
    """A Satchel application configured in Python (see the module docstring)."""

    def __init__(self, data_dir: str | Path = "pb_data", *, hooks_dir: str | Path | None = None,
                 migrations_dir: str | Path | None = None, public_dir: str | Path | None = None) -> None:
        self._defaults = {"--dir": data_dir, "--hooksDir": hooks_dir, "--migrationsDir": migrations_dir,
                          "--publicDir": public_dir}
        self._calls: list[_Deferred] = []
        self._app: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._app is not None:
            return getattr(self._app, name)
        return _Deferred(self, None, "attr", name)

    @property
    def started(self) -> bool:
        """Whether the App exists (``start()`` has built it)."""
        return self._app is not None

    def command_line(self, args: Sequence[str]) -> list[str]:
        """``args`` with this object's directories added where the command takes them
        and the caller did not give them."""
        out = list(args)
        if not out or out[0] not in _DIR_COMMANDS:
            return out
        given = {a.split("=", 1)[0] for a in out}
        for flag, value in self._defaults.items():
            if value is not None and flag not in given:
                out.append(f"{flag}={value}")
        return out

    def start(self, args: Sequence[str] | None = None) -> None:
        """Run the ``satchel`` command line (``python main.py serve --http=...``); exits."""
        from satchel import cli

        cli.on_app_created(self._bind)
        cli.main(self.command_line(sys.argv[1:] if args is None else args))

    def _bind(self, core: Any) -> None:
        """Replay what was recorded on the new App's hook facade, in order."""
        self._app = core.hook_app
        values: dict[int, Any] = {}

        def value(node: Any) -> Any:
            if not isinstance(node, _Deferred):
                return node
            if id(node) in values:
                return values[id(node)]
            if node._parent is None:
                out = getattr(self._app, node._name)
            elif node._kind == "attr":
                out = getattr(value(node._parent), node._name)
            else:
                args = [value(a) for a in node._args]
                kwargs = {k: value(v) for k, v in node._kwargs.items()}
                out = value(node._parent)(*args, **kwargs)
            values[id(node)] = out
            return out

        for call in self._calls:
            value(call)
