"""One SSE connection's state: id, IP, auth, subscriptions and a bounded outbox.

Kept small because thousands of idle clients live in one process: ``__slots__``,
the outbox list created on the first message, and no task while idle.  A writer
task exists only while messages are being written to the stream's sink.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
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
Sink = Callable[[list[Outgoing]], Awaitable[None]]
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


class Client:
    __slots__ = (
        "_queue",
        "_sink",
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
        self._writer: asyncio.Task[None] | None = None

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
            self._start_writer()

    def push(self, name: bytes, data: bytes) -> int:
        """Queue one message; returns the queue length (the hub drops clients over the limit)."""
        if self.closed:
            return 0
        if self._queue is None:
            self._queue = []
        self._queue.append((name, data))
        if self._writer is None and self._sink is not None:
            self._start_writer()
        return len(self._queue)

    def _start_writer(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        # every message queued meanwhile goes out in the next batch
        try:
            while self._queue and not self.closed and self._sink is not None:
                batch, self._queue = self._queue, None
                await self._sink(batch)
                self.touch()
        except Exception:  # a broken stream: stop delivering, the stream ends
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
