"""The interface of a bus, shared by the in-process and the inter-process implementations."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

__all__ = ["Bus", "BusTimeout", "Message", "MessageHandler", "RequestHandler"]

Message = Mapping[str, Any]
MessageHandler = Callable[[Message], None]
#: answers a directed request; ``None`` when the member has nothing to say
RequestHandler = Callable[[Message], Awaitable[Message | None]]


class BusTimeout(Exception):
    """A request or an acknowledged broadcast got no answer in time."""


class Bus(Protocol):
    #: this member's number (0 in a single process); directed requests name it
    member: int

    def publish(self, message: Message, *, seq: int = 0) -> None:
        """Send ``message`` to every subscriber of every member, this one included.

        Safe from any thread and never waits for receivers.  Messages of one thread
        keep their order; ``seq`` (a number increasing with commit order, taken under
        the cross-process write gate) orders messages of different members."""

    def subscribe(self, handler: MessageHandler, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver every published message to ``handler`` on ``loop``, in order."""

    async def broadcast_acked(self, message: Message, timeout: float = 5.0) -> None:
        """Deliver ``message`` to the subscribers of every *other* member and return once
        each has handled it (cache invalidation before a response is sent); a member
        that dies meanwhile no longer counts.  :class:`BusTimeout` past ``timeout``."""

    def on_request(self, kind: str, handler: RequestHandler) -> None:
        """Answer the requests of type ``kind`` directed at this member with ``handler``."""

    async def request(self, member: int, message: Message, timeout: float = 5.0) -> Message | None:
        """Ask ``member`` (possibly this one) and return its answer; ``None`` when it is gone."""

    def close(self) -> None:
        """Stop delivering."""
