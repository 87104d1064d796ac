"""One SSE connection's state: id, IP, auth, subscriptions and a bounded outbox.

Kept small because thousands of idle clients live in one process: ``__slots__``,
the outbox list created on the first message, and no task while idle.  Messages are
written at the end of the loop turn they were pushed in, by one callback for every
client written to in that turn; a writer task exists only while a write waits for a
full socket to drain.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from satchel.core.realtime.subscriptions import Subscription
from satchel.tools.security import random_string

if TYPE_CHECKING:
    from satchel.core.collections.model import Collection
    from satchel.core.realtime.hub import Group

__all__ = ["Client", "ClientAuth", "Outgoing", "Sink"]

SUPERUSERS = "_superusers"
CLIENT_ID_LENGTH = 40

# (event name, data) as bytes, framed by the stream writer
Outgoing = tuple[bytes, bytes]
# writes one batch of messages to the connection (awaits while the socket is full)
Sink = Callable[[list[Outgoing]], Coroutine[Any, Any, None]]
AuthKey = tuple[str, str]


@dataclass(slots=True)
class ClientAuth:
    """The auth record bound by the last subscribe request.

    ``token_key`` and ``secret`` are the values the token was checked against:
    a change of either (password change, collection secret reset) drops the
    binding back to guest.
    """

    collection: Collection
    record: Mapping[str, Any]
    secret: str

    @property
    def key(self) -> AuthKey:
        return (self.collection.id, str(self.record.get("id", "")))

    @property
    def token_key(self) -> str:
        return str(self.record.get("tokenKey", ""))

    @property
    def is_superuser(self) -> bool:
        return self.collection.name == SUPERUSERS


_turn = threading.local()  # the clients to write at the end of this thread's loop turn


def _write_due(due: list[Client]) -> None:
    clients = due[:]
    due.clear()
    for client in clients:  # first, so that nothing raised below leaves a client unschedulable
        client._due = False
    for client in clients:
        if client._writer is None and client._queue and not client.closed and client._sink is not None:
            client._write_now()


class Client:
    __slots__ = (
        "_queue",
        "_sink",
        "_due",
        "_writer",
        "auth",
        "close_reason",
        "closed",
        "connected_at",
        "groups",
        "id",
        "id_bytes",
        "ip",
        "last_active",
        "on_close",
        "subscriptions",
    )

    def __init__(self, ip: str = "", client_id: str | None = None) -> None:
        self.id = client_id or random_string(CLIENT_ID_LENGTH)
        self.id_bytes = self.id.encode()
        self.ip = ip
        self.auth: ClientAuth | None = None
        self.subscriptions: dict[str, Subscription] = {}
        self.groups: list[Group] = []
        now = time.monotonic()
        self.connected_at = now
        self.last_active = now
        self.closed = False
        self.close_reason = ""
        self.on_close: Callable[[Client], None] | None = None
        self._queue: list[Outgoing] | None = None
        self._sink: Sink | None = None
        self._writer: asyncio.Task[None] | None = None  # a write that had to wait
        self._due = False  # a write is scheduled for the end of this loop turn

    @property
    def auth_key(self) -> AuthKey | None:
        return None if self.auth is None else self.auth.key

    def has_subscription(self, name: str) -> bool:
        return name in self.subscriptions

    @property
    def queued(self) -> int:
        return len(self._queue) if self._queue else 0

    def attach(self, sink: Sink) -> None:
        """Deliver queued and future messages to ``sink``, one batch at a time, in order."""
        self._sink = sink
        if self._queue:
            self._schedule()

    def push(self, name: bytes, data: bytes) -> int:
        """Queue one message; returns the queue length (the hub drops clients over the limit)."""
        if self.closed:
            return 0
        if self._queue is None:
            self._queue = []
        self._queue.append((name, data))
        if self._writer is None and not self._due and self._sink is not None:
            self._schedule()
        return len(self._queue)

    def _schedule(self) -> None:
        """Write at the end of this loop turn (what is pushed meanwhile goes in the same
        batch): one callback per turn for every client written to, not a task each."""
        self._due = True
        loop = asyncio.get_running_loop()
        due: list[Client] | None = getattr(_turn, "due", None)
        if due is None or _turn.loop is not loop:  # (a loop that ended left its list behind)
            due = _turn.due = []
            _turn.loop = loop
        if not due:
            loop.call_soon(_write_due, due)
        due.append(self)

    def _write_now(self) -> None:
        """Write the queue to the sink now, without a task.

        The stream's send only waits when the socket is full (flow control): run its
        coroutine here until it first waits, which it almost never does, so a fan-out to
        a thousand clients is a thousand socket writes rather than a thousand tasks (what
        ``asyncio.eager_task_factory`` does from Python 3.12).  A write that must wait goes
        on in a task (:meth:`_finish`), and what is queued meanwhile follows it in order."""
        assert self._sink is not None and self._queue
        batch, self._queue = self._queue, None
        coro = self._sink(batch)
        try:
            waiting = coro.send(None)
        except StopIteration:
            self.touch()
            return
        except (Exception, asyncio.CancelledError):  # a broken stream: stop delivering, the stream ends
            self.close("error")
            return
        self._writer = asyncio.get_running_loop().create_task(self._finish(coro, waiting))

    async def _finish(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        """The rest of a write that waited (run as its task would), then the next batches."""
        try:
            while True:
                try:
                    if asyncio.isfuture(waiting):  # (the loop's own future type: uvloop's is not asyncio's)
                        waiting._asyncio_future_blocking = False  # taken over, as a task's step does
                        await waiting
                    else:  # a bare yield (sleep(0))
                        await asyncio.sleep(0)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001, S110 - the write sees the outcome when resumed
                    pass
                try:
                    waiting = coro.send(None)
                except StopIteration:
                    break
            self.touch()
            while self._queue and not self.closed and self._sink is not None:
                batch, self._queue = self._queue, None
                await self._sink(batch)
                self.touch()
        except asyncio.CancelledError:
            coro.close()
            raise
        except Exception:  # a broken stream: stop delivering, the stream ends
            coro.close()
            self.close("error")
        finally:
            self._writer = None

    def touch(self) -> None:
        self.last_active = time.monotonic()

    def close(self, reason: str = "") -> None:
        """Stop delivering (a write in progress is cancelled) and tell ``on_close``; idempotent."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._queue = None
        writer, self._writer = self._writer, None
        if writer is not None and writer is not asyncio.current_task():
            writer.cancel()
        callback, self.on_close = self.on_close, None
        if callback is not None:
            callback(self)
