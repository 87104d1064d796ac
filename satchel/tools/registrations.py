"""Who registered what, so that hook files can be unloaded.

While hook files are imported (:func:`recording`), every registration site (a cron job,
a custom route, an event handler) reports how to undo itself with :func:`note_undo`;
reloading the files runs those undos, newest first, then imports the files again.
Registrations made outside :func:`recording` (built-in jobs, a library's ``main.py``)
are not noted and stay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["Registrations", "note_undo", "recording"]

log = logging.getLogger("satchel.hooks")

_current: ContextVar[Registrations | None] = ContextVar("satchel_registrations", default=None)


class Registrations:
    """The undo actions of one load of the hook files."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def add(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def __len__(self) -> int:
        return len(self._undo)

    def undo_all(self) -> None:
        """Undo every registration, newest first; one failing undo does not stop the others."""
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except Exception:
                log.exception("could not unregister a hook")


def note_undo(undo: Callable[[], None]) -> None:
    """Called by a registration site: ``undo`` removes what it just registered."""
    registrations = _current.get()
    if registrations is not None:
        registrations.add(undo)


@contextmanager
def recording(registrations: Registrations) -> Iterator[Registrations]:
    token = _current.set(registrations)
    try:
        yield registrations
    finally:
        _current.reset(token)
