"""The bus of one process: messages are handed over by reference to the event loops."""

from __future__ import annotations

import asyncio
import logging
import threading

from satchel.tools.bus.protocol import Message, MessageHandler, RequestHandler

__all__ = ["InProcessBus", "answer_request", "safe_call"]

log = logging.getLogger("satchel.bus")


class InProcessBus:
    """Order is kept per publisher thread (``call_soon_threadsafe`` is FIFO).  A message
    published while no loop is attached is dropped: no subscriber, nobody to tell."""

    member = 0

    def __init__(self) -> None:
        self._handlers: list[tuple[MessageHandler, asyncio.AbstractEventLoop]] = []
        self._lock = threading.Lock()
        self.request_handlers: dict[str, RequestHandler] = {}

    def subscribe(self, handler: MessageHandler, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._handlers.append((handler, loop))

    def publish(self, message: Message, *, seq: int = 0) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler, loop in handlers:
            if loop.is_closed():
                continue
            try:
                loop.call_soon_threadsafe(safe_call, handler, message)
            except RuntimeError:  # the loop closed in between
                continue

    async def broadcast_acked(self, message: Message, timeout: float = 5.0) -> None:
        return None  # no other member

    def on_request(self, kind: str, handler: RequestHandler) -> None:
        self.request_handlers[kind] = handler

    async def request(self, member: int, message: Message, timeout: float = 5.0) -> Message | None:
        if member != self.member:
            return None
        return await answer_request(self.request_handlers, message)

    def close(self) -> None:
        with self._lock:
            self._handlers.clear()

    def loops(self) -> list[asyncio.AbstractEventLoop]:
        """The loops of the subscribers."""
        with self._lock:
            return [loop for _, loop in self._handlers]


async def answer_request(handlers: dict[str, RequestHandler], message: Message) -> Message | None:
    handler = handlers.get(str(message.get("type", "")))
    return None if handler is None else await handler(message)


def safe_call(handler: MessageHandler, message: Message) -> None:
    try:
        handler(message)
    except Exception:  # noqa: BLE001 - one bad message must not stop the loop's callbacks
        log.exception("bus message handler failed")
