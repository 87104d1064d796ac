"""The broker: how realtime messages reach the hub that owns the connections.

Messages are plain JSON-serializable dicts (``{"type": "record", ...}``,
``{"type": "client", ...}``); publishers never know who receives them and every
rule check happens on the receiving side.  :class:`InProcessBroker` hands them
to the event loop of this process; a multi-process bus (PostgreSQL
``LISTEN/NOTIFY``, Redis, NATS...) implements the same two methods and the
delivery logic stays untouched.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["Broker", "InProcessBroker", "Message", "MessageHandler"]

log = logging.getLogger("satchel.realtime")

Message = Mapping[str, Any]
MessageHandler = Callable[[Message], None]


class Broker(Protocol):
    def publish(self, message: Message) -> None:
        """Send ``message`` to every subscribed hub; safe from any thread, never blocks."""

    def subscribe(self, handler: MessageHandler, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver every published message to ``handler`` on ``loop``, in publish order."""

    def close(self) -> None:
        """Stop delivering."""


class InProcessBroker:
    """Messages are handed over by reference to the subscribers' event loops.

    Order is kept per publisher thread (``call_soon_threadsafe`` is FIFO).  A
    message published while no loop is attached is dropped: no hub, no client.
    """

    def __init__(self) -> None:
        self._handlers: list[tuple[MessageHandler, asyncio.AbstractEventLoop]] = []
        self._lock = threading.Lock()

    def subscribe(self, handler: MessageHandler, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._handlers.append((handler, loop))

    def publish(self, message: Message) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler, loop in handlers:
            if loop.is_closed():
                continue
            try:
                loop.call_soon_threadsafe(_safe_call, handler, message)
            except RuntimeError:  # the loop closed in between
                continue

    def close(self) -> None:
        with self._lock:
            self._handlers.clear()


def _safe_call(handler: MessageHandler, message: Message) -> None:
    try:
        handler(message)
    except Exception:  # noqa: BLE001 - one bad message must not stop the loop's callbacks
        log.exception("realtime message handler failed")
