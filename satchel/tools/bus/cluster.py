"""The bus of one serving process among many nodes: a cluster bus, plus its siblings' link.

Every serving process of every node (a ``--workers=1`` node, or each worker of a
``--workers=N`` node) joins the cluster bus (PostgreSQL's ``LISTEN/NOTIFY``, or
another bus with the same interface) directly: published messages, acknowledged
broadcasts and their one order are the cluster bus's.  A worker's directed
requests by member number (rate limits, the leader's guards, realtime stats) stay
on its node's relay link, as with ``--workers`` on SQLite.

Requests to one process *anywhere* (the holder of a realtime stream, named by its
client id) travel as two published messages: ``bus.req`` naming the process's
``address`` and ``bus.rep`` naming the asker's.  Every process sees both and keeps
only its own; they are rare (a client's subscription change, an OAuth2 popup).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from typing import Any

from satchel.tools.bus.inprocess import answer_request
from satchel.tools.bus.protocol import Bus, Message, MessageHandler, RequestHandler

__all__ = ["ADDRESS_LENGTH", "ClusterBus", "new_address"]

log = logging.getLogger("satchel.bus")

#: characters of a process's address (the first ones of its realtime client ids)
ADDRESS_LENGTH = 8
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_REQUEST = "bus.req"
_REPLY = "bus.rep"


def new_address() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(ADDRESS_LENGTH))


class ClusterBus:
    """A :class:`~satchel.tools.bus.protocol.Bus` over ``cluster`` (every process of every
    node), with ``link`` (the node's relay, ``None`` for a one-process node) for the
    requests addressed by member number, and :meth:`request_at` for one process anywhere."""

    def __init__(self, cluster: Bus, link: Bus | None = None, *, address: str | None = None) -> None:
        self.cluster = cluster
        self.link = link
        self.member = link.member if link is not None else 0
        self.address = address or new_address()
        self.request_handlers: dict[str, RequestHandler] = {}
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Message | None]] = {}
        self._answering: set[asyncio.Task[None]] = set()
        self._listening = False

    # -- the Bus interface ---------------------------------------------------------------

    def subscribe(self, handler: MessageHandler, loop: asyncio.AbstractEventLoop) -> None:
        if not self._listening:
            self._listening = True
            self.cluster.subscribe(self._on_message, loop)

        def domain_only(message: Message) -> None:
            if message.get("type") not in (_REQUEST, _REPLY):
                handler(message)

        self.cluster.subscribe(domain_only, loop)
        if self.link is not None:
            # the link delivers on the loop of its subscribers only: without one, the
            # siblings' requests and the answers to ours would wait unread forever
            self.link.subscribe(domain_only, loop)

    def publish(self, message: Message, *, seq: int = 0) -> None:
        self.cluster.publish(message, seq=seq)

    async def broadcast_acked(self, message: Message, timeout: float = 5.0) -> None:
        """Round the cluster (the other nodes do not acknowledge) and, on a node of several
        workers, to the siblings, which acknowledge once they handled it: no worker of this
        node answers with the old schema or settings after the response.  The siblings get
        it twice (a re-read more, see docs/workers.md)."""
        sends = [self.cluster.broadcast_acked(message, timeout)]
        if self.link is not None:
            sends.append(self.link.broadcast_acked(message, timeout))
        for outcome in await asyncio.gather(*sends, return_exceptions=True):
            if isinstance(outcome, BaseException):
                raise outcome

    def on_request(self, kind: str, handler: RequestHandler) -> None:
        self.request_handlers[kind] = handler
        if self.link is not None:
            self.link.on_request(kind, handler)

    async def request(self, member: int, message: Message, timeout: float = 5.0) -> Message | None:
        if self.link is not None:
            return await self.link.request(member, message, timeout)
        if member != self.member:
            return None
        return await answer_request(self.request_handlers, message)

    async def request_at(self, address: str, message: Message, timeout: float = 3.0) -> Message | None:
        """Ask the process of ``address`` (this one included); ``None`` when no process
        answers within ``timeout`` (it is gone: its clients are gone with it)."""
        if address == self.address:
            return await answer_request(self.request_handlers, message)
        request_id = next(self._ids)
        future: asyncio.Future[Message | None] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        envelope = {
            "type": _REQUEST,
            "to": address,
            "from": self.address,
            "id": request_id,
            "m": dict(message),
        }
        try:
            # the cluster's publish may do network I/O: off the loop
            await asyncio.to_thread(self.cluster.publish, envelope)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            log.warning("bus: no answer from %s to %s in %gs", address, message.get("type"), timeout)
            return None
        finally:
            self._waiting.pop(request_id, None)

    def close(self) -> None:
        for task in list(self._answering):
            with contextlib.suppress(RuntimeError):  # its loop is gone
                task.get_loop().call_soon_threadsafe(task.cancel)
        with contextlib.suppress(Exception):
            self.cluster.close()
        if self.link is not None:
            self.link.close()

    # -- addressed requests ------------------------------------------------------------------

    def _on_message(self, message: Message) -> None:
        """On the loop: requests to this address are answered, replies to it resolved."""
        kind = message.get("type")
        if kind not in (_REQUEST, _REPLY) or message.get("to") != self.address:
            return
        if kind == _REPLY:
            future = self._waiting.get(int(message.get("id") or 0))
            if future is not None and not future.done():
                answer = message.get("m")
                future.set_result(answer if isinstance(answer, dict) else None)
            return
        task = asyncio.get_running_loop().create_task(self._answer(message))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, message: Message) -> None:
        asked = message.get("m")
        answer: Any = None
        try:
            answer = await answer_request(self.request_handlers, asked if isinstance(asked, dict) else {})
        except Exception:  # noqa: BLE001 - the asker gets null rather than a timeout
            log.exception("bus request handler failed")
        reply = {"type": _REPLY, "to": message.get("from"), "id": message.get("id"),
                 "m": None if answer is None else dict(answer)}  # fmt: skip
        await asyncio.to_thread(self.cluster.publish, reply)
