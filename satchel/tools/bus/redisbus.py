"""A bus between Satchel nodes over Redis pub/sub (``serve --bus=redis://host:port/db``).

One channel per app.  Each node sends on one connection (under a lock, so one node's
messages keep their order) and listens on another, in a thread, as the PostgreSQL bus:
``PUBLISH`` returns once Redis has queued the message for every subscriber, so a node
publishing its record events under its write gate keeps commit order across nodes.
Messages over ``PART_LIMIT`` go as parts (:mod:`.frames`) so that no single reply
approaches Redis's output-buffer limits of pub/sub clients.

A failed listening connection is opened again every ``reconnect_delay`` seconds; once
it is back the ``on_reconnect`` hooks run (the node re-reads collections and
settings).  Messages published while a node was not listening are lost to it (Redis
pub/sub keeps nothing).  A send that fails is tried once more on a new connection,
then dropped with an error in the log: the write that caused it is committed anyway.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from satchel.tools.bus.frames import Reassembly, frames
from satchel.tools.bus.nodebus import NodeBus
from satchel.tools.bus.protocol import Message

__all__ = ["PART_LIMIT", "RedisBus"]

log = logging.getLogger("satchel.bus")

PART_LIMIT = 512 * 1024
# no silent retries inside redis-py: a lost connection must reach the listener's loop, which
# reconnects and then runs the on_reconnect hooks (re-reads what may have been missed)
_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 2.0, "socket_timeout": 5.0, "retry": Retry(NoBackoff(), 0)}


class RedisBus(NodeBus):
    def __init__(self, url: str, channel: str, *, reconnect_delay: float = 1.0,
                 part_limit: int = PART_LIMIT) -> None:  # fmt: skip
        super().__init__()
        self.url = url
        self.channel = channel
        self.reconnect_delay = reconnect_delay
        self.part_limit = part_limit
        self._send_lock = threading.Lock()
        self._sender: redis.Redis | None = None
        self._closed = threading.Event()
        self._listening = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._listen_forever, name="satchel-redisbus", daemon=True)
        self._thread.start()
        if not self._listening.wait(10) or self._failed is not None:
            self.close()
            raise RuntimeError(f"the Redis bus could not start listening on {url}: {self._failed}")

    def _send(self, message: Message, seq: int, others: bool = False) -> bool:
        data = frames(self.node, message, seq, others, self.part_limit)
        with self._send_lock:
            for attempt in (1, 2):
                try:
                    if self._sender is None:
                        self._sender = redis.Redis.from_url(self.url, **_OPTIONS)
                    if len(data) == 1:
                        self._sender.publish(self.channel, data[0])
                    else:  # the parts in one round trip, in order
                        pipe = self._sender.pipeline(transaction=False)
                        for frame in data:
                            pipe.publish(self.channel, frame)
                        pipe.execute()
                    return True
                except (redis.RedisError, OSError) as exc:
                    self._drop_sender()
                    if attempt == 2 or self._closed.is_set():
                        log.error("bus: could not send a message to Redis: %s", exc)
                        break
        return False

    def _drop_sender(self) -> None:
        sender, self._sender = self._sender, None
        if sender is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                sender.close()

    def close(self) -> None:
        self._closed.set()
        self._stop_delivering()
        with self._send_lock:
            self._drop_sender()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=3)

    def _listen_forever(self) -> None:
        first = True
        reassembly = Reassembly()
        while not self._closed.is_set():
            # a PING when idle 15 s: a server gone without closing the socket is noticed
            client = redis.Redis.from_url(self.url, health_check_interval=15, **_OPTIONS)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self._listening.set()
                if not first:
                    log.warning("bus: listening on Redis again")
                    reassembly.clear()
                    self._reconnected()
                first = False
                while not self._closed.is_set():
                    got = pubsub.get_message(timeout=0.5)
                    if got is not None and got.get("type") == "message":
                        envelope = reassembly.feed(got["data"])
                        if envelope is not None:
                            self._accept(envelope)
            except (redis.RedisError, OSError) as exc:
                if first:  # no Redis at start: the node does not start
                    self._failed = exc
                    self._listening.set()
                    return
                if self._closed.is_set():
                    return
                log.error("bus: the Redis listening connection failed (%s); reconnecting", exc)
                self._closed.wait(self.reconnect_delay)
            finally:
                for closable in (pubsub, client):
                    with contextlib.suppress(redis.RedisError, OSError):
                        closable.close()
