"""What every bus between nodes shares, whatever carries its messages (PostgreSQL, Redis, NATS).

A node sends each message to one shared channel and takes every message back from it,
its own included, so every node delivers the same messages in the same order.  An
envelope names the sending node (``n``), its own sequence number (``s``), and whether
only the *other* nodes' subscribers take it (``o``: an acknowledged broadcast, whose
echo back to the sender is its acknowledgement).

Directed requests stay within a node: every node is member 0 of its own.
Subclasses implement :meth:`NodeBus._send` and hand each received envelope to
:meth:`NodeBus._accept`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
from collections.abc import Callable
from typing import Any

from satchel.tools.bus.inprocess import InProcessBus
from satchel.tools.bus.protocol import BusTimeout, Message, MessageHandler, RequestHandler

__all__ = ["NodeBus"]


class NodeBus:
    """Messages sent round the nodes; this node's subscribers and requests are those of
    an in-process bus (not a subclass: the realtime hub tells a shared bus by its class)."""

    member = 0

    def __init__(self) -> None:
        self._local = InProcessBus()
        self.node = f"{os.uname().nodename}:{os.getpid()}:{os.urandom(4).hex()}"
        #: called on each loop after the listener reconnected (re-read what may have been missed)
        self.on_reconnect: list[Callable[[], None]] = []
        self.delivered = 0
        self._ids = itertools.count(1)
        self._echo: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = {}

    def _send(self, message: Message, seq: int, others: bool = False) -> bool:
        """Send one message on the shared channel (blocking; any thread); ``False`` when it
        could not be sent (the error is logged)."""
        raise NotImplementedError

    # -- the Bus interface -----------------------------------------------------------------

    def subscribe(self, handler: MessageHandler, loop: asyncio.AbstractEventLoop) -> None:
        self._local.subscribe(handler, loop)

    def on_request(self, kind: str, handler: RequestHandler) -> None:
        self._local.on_request(kind, handler)

    async def request(self, member: int, message: Message, timeout: float = 5.0) -> Message | None:
        return await self._local.request(member, message, timeout)

    def publish(self, message: Message, *, seq: int = 0) -> None:
        # the channel's order is the order of the sends: the caller's ``seq`` is not needed
        self._send(message, next(self._ids))

    async def broadcast_acked(self, message: Message, timeout: float = 5.0) -> None:
        """Sent, and back through the channel to this node: every node listening got it
        before.  Other nodes do not acknowledge (their number is not known); see
        docs/scaling.md."""
        loop = asyncio.get_running_loop()
        seq = next(self._ids)
        future: asyncio.Future[None] = loop.create_future()
        self._echo[seq] = (loop, future)
        try:
            if not await asyncio.to_thread(self._send, message, seq, True):
                # no echo will come: do not hold the response for nothing
                raise BusTimeout(f"bus: {message.get('type')} could not be sent")
            await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise BusTimeout(f"bus: no echo of {message.get('type')} within {timeout}s") from exc
        finally:
            self._echo.pop(seq, None)

    def close(self) -> None:
        """Stop delivering (subclasses also close their connections)."""
        self._stop_delivering()

    def _stop_delivering(self) -> None:
        self._local.close()

    # -- receiving -------------------------------------------------------------------------

    def _accept(self, envelope: dict[str, Any]) -> None:
        """Deliver the message of a received envelope, and resolve its sender's wait."""
        message = envelope.get("m")
        if not isinstance(message, dict):
            return
        mine = envelope.get("n") == self.node
        if not (mine and envelope.get("o")):
            self.delivered += 1
            self._deliver(message)
        if mine:
            echo = self._echo.get(int(envelope.get("s") or 0))
            if echo is not None:
                loop, future = echo
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_resolve, future)

    def _deliver(self, message: Message) -> None:
        self._local.publish(message)  # to this node's subscribers

    def _reconnected(self) -> None:
        loops = {id(loop): loop for loop in self._local.loops()}
        for loop in loops.values():
            for hook in list(self.on_reconnect):
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(hook)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
