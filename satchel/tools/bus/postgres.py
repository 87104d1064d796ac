"""A bus between Satchel nodes sharing one PostgreSQL database: ``LISTEN/NOTIFY``.

Each node keeps one listening connection (a thread) and one connection to send on.
Every message, a node's own included, goes through PostgreSQL and comes back by
``LISTEN``, so every node sees one order: the order in which the ``NOTIFY`` calls
committed (a node publishes its record events in commit order, from its writer).
A body over NOTIFY's 8000-byte limit is stored in ``_busPayloads`` and the
notification carries its id.  A listening connection that fails is opened again
(messages sent meanwhile are lost to that node; its caches are re-read on reconnect
by the subscribers' ``on_reconnect`` hook).

What it shares with the Redis and NATS buses (envelopes, acknowledged broadcasts,
delivery) is :class:`~satchel.tools.bus.nodebus.NodeBus`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

import orjson
import psycopg

from satchel.tools.bus.nodebus import NodeBus
from satchel.tools.bus.protocol import Message

__all__ = ["CHANNEL", "NOTIFY_LIMIT", "PgBus", "decode", "encode"]

log = logging.getLogger("satchel.bus")

CHANNEL = "satchel_bus"
#: PostgreSQL refuses a payload of 8000 bytes or more; keep a margin for the envelope
NOTIFY_LIMIT = 7900
_KEEP_PAYLOADS = 300.0  # seconds a stored body stays for a slow listener

_CREATE_LOCK = 0x5A7C4E1B  # pg_advisory_xact_lock key of the table's creation
_TABLE = 'CREATE TABLE IF NOT EXISTS "_busPayloads" (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL, created TIMESTAMPTZ NOT NULL DEFAULT now())'  # noqa: E501


def encode(node: str, message: Message, seq: int, *, others: bool = False) -> bytes:
    """The envelope of ``message``: the sending node, its own order, the body, and
    whether only the other nodes' subscribers take it (``o``)."""
    return orjson.dumps({"n": node, "s": seq, "m": message, "o": others})


def decode(payload: str) -> dict[str, Any] | None:
    """The envelope of a notification; ``None`` for a foreign or broken one."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


class PgBus(NodeBus):
    def __init__(self, url: str, *, reconnect_delay: float = 1.0) -> None:
        super().__init__()
        self.url = url
        self.reconnect_delay = reconnect_delay
        self._send_lock = threading.Lock()
        self._send_conn: psycopg.Connection[Any] | None = None
        self._closed = threading.Event()
        self._listening = threading.Event()
        self._last_sweep = 0.0
        # nodes starting together race on IF NOT EXISTS (PostgreSQL refuses the loser with
        # UniqueViolation, DuplicateTable or, for the BIGSERIAL's sequence, DuplicateObject):
        # one transaction-scoped advisory lock lets them create the table one at a time
        with psycopg.connect(url) as conn:  # one transaction, committed on leaving
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
            conn.execute(_TABLE)
        self._thread = threading.Thread(target=self._listen_forever, name="satchel-pgbus", daemon=True)
        self._thread.start()
        if not self._listening.wait(10):
            raise RuntimeError("the PostgreSQL bus could not start listening")

    # -- sending ---------------------------------------------------------------------------

    def _send(self, message: Message, seq: int, others: bool = False) -> bool:
        body = encode(self.node, message, seq, others=others)
        with self._send_lock:
            for attempt in (1, 2):
                try:
                    conn = self._sender()
                    if len(body) > NOTIFY_LIMIT:
                        row = conn.execute(
                            'INSERT INTO "_busPayloads" (body) VALUES (%s) RETURNING id', (body.decode(),)
                        ).fetchone()
                        assert row is not None
                        payload = orjson.dumps({"n": self.node, "ref": row[0]}).decode()
                        self._sweep(conn)
                    else:
                        payload = body.decode()
                    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return True
                except psycopg.Error as exc:
                    self._drop_sender()
                    if attempt == 2 or self._closed.is_set():
                        log.error("bus: could not send a message: %s", exc)
                        break
        return False

    def _sender(self) -> psycopg.Connection[Any]:
        if self._send_conn is None or self._send_conn.closed:
            self._send_conn = psycopg.connect(self.url, autocommit=True)
        return self._send_conn

    def _drop_sender(self) -> None:
        if self._send_conn is not None:
            with contextlib.suppress(Exception):
                self._send_conn.close()
        self._send_conn = None

    def _sweep(self, conn: psycopg.Connection[Any]) -> None:
        now = time.monotonic()
        if now - self._last_sweep > 60:
            self._last_sweep = now
            conn.execute(
                'DELETE FROM "_busPayloads" WHERE created < now() - make_interval(secs => %s)',
                (_KEEP_PAYLOADS,),
            )

    def close(self) -> None:
        self._closed.set()
        self._stop_delivering()
        with self._send_lock:
            self._drop_sender()
        self._thread.join(timeout=3)

    # -- receiving -------------------------------------------------------------------------

    def _listen_forever(self) -> None:
        first = True
        while not self._closed.is_set():
            try:
                # stored bodies are read on a second connection: the listening one is busy
                # inside ``notifies()``
                with (
                    psycopg.connect(self.url, autocommit=True) as conn,
                    psycopg.connect(self.url, autocommit=True) as fetch,
                ):
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    if not first:
                        log.warning("bus: listening on PostgreSQL again")
                        self._reconnected()
                    first = False
                    while not self._closed.is_set():
                        for notify in conn.notifies(timeout=0.5):
                            self._received(fetch, notify.payload)
            except psycopg.Error as exc:
                if self._closed.is_set():
                    return
                log.error("bus: the listening connection failed (%s); reconnecting", exc)
                self._closed.wait(self.reconnect_delay)

    def _received(self, conn: psycopg.Connection[Any], payload: str) -> None:
        envelope = decode(payload)
        if envelope is None:
            return
        ref = envelope.get("ref")
        if ref is not None:
            row = conn.execute('SELECT body FROM "_busPayloads" WHERE id = %s', (ref,)).fetchone()
            envelope = None if row is None else decode(row[0])
            if envelope is None:
                log.error("bus: a stored message (%s) is gone", ref)
                return
        self._accept(envelope)
