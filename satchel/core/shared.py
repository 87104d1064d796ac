"""What the serving processes of ``serve --workers`` keep in step through the bus.

A process that changes collections or settings marks the change; before the
response of that request is sent, :meth:`SharedChanges.flush` broadcasts it and
waits until every other worker has re-read it from the database (so no worker
answers with a stale schema, rules or SMTP settings once the change is
acknowledged).  Receivers re-read without marking, so nothing echoes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from satchel.core.collections.registry import load_collections
from satchel.tools.bus import Bus, BusTimeout, Message

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["COLLECTIONS", "SETTINGS", "SharedChanges"]

log = logging.getLogger("satchel.bus")

COLLECTIONS = "collections.changed"
SETTINGS = "settings.changed"
ACK_TIMEOUT = 10.0


class SharedChanges:
    def __init__(self, app: App, bus: Bus) -> None:
        self.app = app
        self.bus = bus
        # change counters (bumped from the writer thread) and what the others acknowledged
        self.made = {COLLECTIONS: 0, SETTINGS: 0}
        self.acked = {COLLECTIONS: 0, SETTINGS: 0}
        self.received = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    def install(self) -> None:
        """Mark this process's changes (call before serving)."""
        self.app.collections.on_saved.append(lambda: self.mark(COLLECTIONS))
        self.app.settings.on_saved.append(lambda: self.mark(SETTINGS))

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Receive the others' changes on ``loop``, and re-read everything once: a change
        broadcast before this worker joined the bus is not lost."""
        self._loop = loop
        self.bus.subscribe(self.on_message, loop)
        self.on_message({"type": COLLECTIONS})
        self.on_message({"type": SETTINGS})

    def mark(self, kind: str) -> None:
        """A change made here (from the writer thread): the response of the request waits for
        the others (:meth:`flush`); a change made outside a request (a cron, a hook) goes out
        at once in the background."""
        self.made[kind] += 1
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._flush_soon)

    def _flush_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    @property
    def pending(self) -> bool:
        return self.made != self.acked

    async def flush(self) -> None:
        """Broadcast the marked changes and wait for every other worker to apply them."""
        for kind, made in list(self.made.items()):
            if made <= self.acked[kind]:
                continue
            try:
                await self.bus.broadcast_acked({"type": kind}, ACK_TIMEOUT)
            except BusTimeout as exc:
                log.error("%s", exc)
            self.acked[kind] = max(self.acked[kind], made)

    def on_message(self, message: Message) -> None:
        """The bus subscriber: re-read what another worker changed (on the loop)."""
        kind = message.get("type")
        if kind == COLLECTIONS:
            self.received += 1
            self.app.registry.replace_all(self.app.db.read_sync(load_collections))
        elif kind == SETTINGS:
            self.received += 1
            self.app.settings.reload()
