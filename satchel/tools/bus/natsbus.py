"""A bus between Satchel nodes over NATS core pub/sub (``serve --bus=nats://host:port``).

nats-py is asyncio-only: the connection lives on an event loop of its own, in a thread,
so that publishing works from the store's writer thread as with the other buses.  A
publish waits until the server has processed it (a ``PING``/``PONG`` round trip after the
message), so a node publishing its record events under its write gate keeps commit
order across nodes, as ``PUBLISH`` on Redis or ``NOTIFY`` on PostgreSQL do.  Messages
over the server's ``max_payload`` (1 MB by default) go as parts (:mod:`.frames`).

nats-py reconnects by itself (every ``reconnect_delay`` seconds, for ever) and
subscribes again; once it is back the ``on_reconnect`` hooks run (the node re-reads
collections and settings).  While it is disconnected, messages are not sent (they
are dropped with an error in the log, not buffered: their writes are committed and a
stale burst after the reconnect would help no one) and messages of others are lost to
it (core NATS keeps nothing).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg

from satchel.tools.bus.frames import Reassembly, frames
from satchel.tools.bus.nodebus import NodeBus
from satchel.tools.bus.protocol import Message

__all__ = ["NatsBus"]

log = logging.getLogger("satchel.bus")

_HEAD_ROOM = 1024  # bytes of a part's envelope and of NATS's own header
_SEND_TIMEOUT = 5.0


class NatsBus(NodeBus):
    def __init__(self, url: str, subject: str, *, reconnect_delay: float = 1.0) -> None:
        super().__init__()
        self.url = url
        self.subject = subject
        self.reconnect_delay = reconnect_delay
        self._reassembly = Reassembly()
        self._send_lock = threading.Lock()
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="satchel-natsbus", daemon=True)
        self._thread.start()
        self._nc: Client | None = None
        try:
            self._nc = self._run(self._connect(), timeout=15)
        except Exception as exc:
            self._stop_loop()
            raise RuntimeError(f"the NATS bus could not connect to {url}: {exc}") from exc

    def _run(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _connect(self) -> Client:
        async def reconnected() -> None:
            log.warning("bus: connected to NATS again")
            self._reassembly.clear()
            self._reconnected()

        async def disconnected() -> None:
            if not self._closed:
                log.error("bus: the NATS connection was lost; reconnecting")

        async def error(exc: Exception) -> None:
            if not self._closed:
                log.error("bus: NATS: %s", exc)

        nc = await nats.connect(
            self.url,
            name=f"satchel {self.node}",
            connect_timeout=2,
            reconnect_time_wait=self.reconnect_delay,  # type: ignore[arg-type]  # a float works
            ping_interval=10,  # a server gone without closing the socket: noticed within ~30 s
            max_outstanding_pings=3,
            max_reconnect_attempts=1,  # at start, a missing server is an error, not a wait
            allow_reconnect=True,
            reconnected_cb=reconnected,
            disconnected_cb=disconnected,
            error_cb=error,
        )
        # once connected, reconnect for ever (nats-py reads the option at each attempt)
        nc.options["max_reconnect_attempts"] = -1
        await nc.subscribe(self.subject, cb=self._received)
        await nc.flush()
        return nc

    async def _received(self, msg: Msg) -> None:
        envelope = self._reassembly.feed(msg.data)
        if envelope is not None:
            self._accept(envelope)

    def _send(self, message: Message, seq: int, others: bool = False) -> bool:
        nc = self._nc
        if nc is None or self._closed:
            return False
        if not nc.is_connected:
            log.error("bus: not connected to NATS; a %s message is dropped", message.get("type"))
            return False
        data = frames(self.node, message, seq, others, max(nc.max_payload - _HEAD_ROOM, 1024))
        with self._send_lock:
            try:
                self._run(self._publish(nc, data), timeout=_SEND_TIMEOUT + 1)
                return True
            except (nats.errors.Error, OSError, TimeoutError, concurrent.futures.TimeoutError) as exc:
                log.error("bus: could not send a message to NATS: %s", exc)
                return False

    async def _publish(self, nc: Client, data: list[bytes]) -> None:
        for frame in data:
            await nc.publish(self.subject, frame)
        await nc.flush(timeout=int(_SEND_TIMEOUT))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_delivering()
        nc = self._nc
        if nc is not None:
            try:
                self._run(nc.close(), timeout=3)
            except Exception as exc:  # noqa: BLE001 - closing a broken connection
                log.debug("bus: closing NATS: %s", exc)
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=3)
        if not self._thread.is_alive():
            self._loop.close()
