"""``pb_hooks/*.py``: imported at start, reloaded in place when they change.

Every ``*.py`` of the directory whose name does not start with ``_`` is run, sorted by
name, as the module ``pb_hooks.<name>``; files starting with ``_`` are helpers the
others import (``from pb_hooks import _util`` or ``from . import _util``).  Everything
the files register (hooks, routes, cron jobs) is noted (:mod:`satchel.tools.registrations`)
so a reload first undoes it, then runs the files again.

A file that fails: at start, :class:`HookLoadError` (the command prints the traceback
and exits 1); on a reload, the error is logged and the previous version of the files
is run again, so the server keeps its last working hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
import traceback
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from satchel.tools.registrations import Registrations, recording

__all__ = ["js_warning_shown", "PACKAGE", "HookFiles", "HookLoadError"]

log = logging.getLogger("satchel.hooks")

PACKAGE = "pb_hooks"
POLL_INTERVAL = 0.3  # seconds between two looks at the directory
_warned_js: set[Path] = set()


def js_warning_shown(directory: Path) -> None:
    """Count the JS-hooks warning of ``directory`` as printed (the workers of
    ``serve --workers`` after the first, which printed it)."""
    _warned_js.add(directory)


class HookLoadError(Exception):
    """A hook file raised while it was run; ``str()`` is the file name and traceback."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A hook file compiled once: its name, path and code."""
    name: str
    path: Path
    code: types.CodeType


Snapshot = frozenset[tuple[str, int, int]]


class HookFiles:
    def __init__(self, directory: Path, *, watch: bool = True, poll_interval: float = POLL_INTERVAL) -> None:
        self.directory = directory
        self.watch = watch
        self.poll_interval = poll_interval
        self.registrations = Registrations()
        self.loaded: list[str] = []  # file names of the running version
        self.reloads = 0  # successful reloads (the tests wait on it)
        self.failed_reloads = 0
        self.started = False  # load() was called once
        self._good: list[_Compiled] = []
        self._snapshot: Snapshot = frozenset()
        self._task: asyncio.Task[None] | None = None
        #: awaited around a reload by the watcher: the server fires the files' on_terminate
        #: before, their on_bootstrap/on_serve after (PocketBase restarts instead)
        self.before_reload: Callable[[], Awaitable[None]] | None = None
        self.after_reload: Callable[[], Awaitable[None]] | None = None

    # -- files --------------------------------------------------------------------------

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.py") if not p.name.startswith("_") and p.is_file())

    def snapshot(self) -> Snapshot:
        """Name, mtime and size of every ``*.py`` (helpers included): a change reloads."""
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return frozenset()
        out = set()
        for entry in entries:
            if entry.name.endswith(".py"):
                with contextlib.suppress(OSError):
                    st = entry.stat()
                    out.add((entry.name, st.st_mtime_ns, st.st_size))
        return frozenset(out)

    # -- loading ------------------------------------------------------------------------

    def load(self) -> None:
        """Run every hook file; on an error, undo what the run registered and raise."""
        if not self.started:
            self._warn_js()
        self.started = True
        self._snapshot = self.snapshot()
        compiled = [self._compile(p) for p in self.files()]
        self._run(compiled)
        self._good = compiled
        self.loaded = [c.path.name for c in compiled]

    def _warn_js(self) -> None:
        """A PocketBase project's JS hooks are not run: say so instead of ignoring them silently."""
        if self.directory in _warned_js:  # once per process tree (workers fork after the parent's load)
            return
        _warned_js.add(self.directory)
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.js")):
                _console(f"{path.name}: JavaScript hooks are not run by Satchel (write them in Python: pb_hooks/*.py)")

    def _compile(self, path: Path) -> _Compiled:
        name = f"{PACKAGE}.{path.stem}"
        try:
            return _Compiled(name, path, compile(path.read_bytes(), str(path), "exec"))
        except (SyntaxError, ValueError, OSError) as exc:
            raise HookLoadError(f"failed to load hook file {path.name}:\n{_format(exc)}") from exc

    def _run(self, compiled: list[_Compiled]) -> None:
        package = _package(self.directory)
        try:
            with recording(self.registrations):
                for item in compiled:
                    module = types.ModuleType(item.name)
                    module.__file__ = str(item.path)
                    module.__package__ = PACKAGE
                    sys.modules[item.name] = module
                    setattr(package, item.path.stem, module)
                    try:
                        exec(item.code, module.__dict__)  # noqa: S102 - running the user's hook files is the point
                    except BaseException as exc:
                        sys.modules.pop(item.name, None)
                        raise HookLoadError(f"failed to load hook file {item.path.name}:\n{_format(exc)}") from exc
        except HookLoadError:
            self.registrations.undo_all()
            raise

    def unload(self) -> None:
        """Undo every registration of the files and forget their modules."""
        self.registrations.undo_all()
        _forget_modules()

    def reload(self) -> bool:
        """Run the files again; False (logged, previous version back) when they fail."""
        previous, helpers = self._good, _forget_modules()
        self.registrations.undo_all()
        try:
            self.load()
        except HookLoadError as exc:
            self.failed_reloads += 1
            _console(f"hooks not reloaded, the previous version stays: {exc}")
            log.error("hooks not reloaded, the previous version stays: %s", exc)
            _forget_modules()
            sys.modules.update(helpers)  # the helpers the previous version imported
            try:
                self._run(previous)
            except HookLoadError as again:
                log.error("the previous hooks could not be run again either: %s", again)
            return False
        self.reloads += 1
        log.info("hooks reloaded: %s", ", ".join(self.loaded) or "(no files)")
        return True

    # -- watching -----------------------------------------------------------------------

    def start_watching(self) -> None:
        """Poll the directory on the running loop (owned here, cancelled by :meth:`stop`)."""
        if not self.started:
            return  # the files were never loaded (an App served without `satchel serve`)
        if self.watch and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._poll(), name="hooks-watch")

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            current = self.snapshot()
            if current == self._snapshot:
                continue
            # an editor may write in several steps: wait until the directory is still
            while True:
                await asyncio.sleep(self.poll_interval / 3)
                settled = self.snapshot()
                if settled == current:
                    break
                current = settled
            await self._around(self.before_reload)
            self.reload()
            await self._around(self.after_reload)
            self._snapshot = current

    async def _around(self, step: Callable[[], Awaitable[None]] | None) -> None:
        if step is None:
            return
        try:
            await step()
        except Exception as exc:  # a hook raising here must not stop the watching
            _console(f"a hook failed around the reload: {exc!r}")
            log.exception("a hook failed around the reload")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _package(directory: Path) -> types.ModuleType:
    """The ``pb_hooks`` package: its path is the hooks directory, so helpers import normally."""
    package = sys.modules.get(PACKAGE)
    if package is None or list(getattr(package, "__path__", [])) != [str(directory)]:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(directory)]
        package.__package__ = PACKAGE
        sys.modules[PACKAGE] = package
    return package


def _forget_modules() -> dict[str, types.ModuleType]:
    """Remove ``pb_hooks.*`` from ``sys.modules`` (so edited helpers are read again); returns them."""
    gone = {name: m for name, m in sys.modules.items() if name.startswith(PACKAGE + ".")}
    for name in gone:
        del sys.modules[name]
    package = sys.modules.get(PACKAGE)
    if package is not None:
        for name in gone:
            package.__dict__.pop(name.rpartition(".")[2], None)
    return gone


def _console(message: str) -> None:
    """The developer watching the terminal sees a failed reload at once (PocketBase's line format)."""
    sys.stderr.write(f"{time.strftime('%Y/%m/%d %H:%M:%S')} {message}\n")
    sys.stderr.flush()


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)).rstrip()
