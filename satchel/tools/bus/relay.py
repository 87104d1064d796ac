"""The inter-process bus: a relay in the parent process, a :class:`LinkBus` in each worker.

Workers connect to the relay's Unix socket and say ``hello`` with their member number.
Frames (``k`` names the kind):

* ``pub`` {m, seq}: forwarded to every member, the sender included, so that all of them
  get one order; one with a ``seq`` (a commit's record events) only to the members that
  listen to them (:mod:`.listeners`, when the relay has one) (a sender delivering its own events at once could pass an earlier
  commit of another worker still on its way through the relay).  Frames read in one
  turn of the relay's loop are forwarded sorted by ``seq``: a worker sends its record
  events while it still holds the write gate, so a later commit's frame can only reach
  the relay after an earlier one's is in its socket buffer, and the sort restores the
  commit order the two sockets may be read in.
* ``bc`` {id, m} -> ``bc`` {id, from, m} to the others, who answer ``bcack`` once
  their subscribers handled it; the sender gets ``bcdone`` when every member alive at
  the time has acknowledged (a member that disconnects stops counting).
* ``req`` {id, to, m} -> ``req`` {id, from, m} to member ``to``, whose ``rep`` {id, to, m}
  goes back to the asker; a member that is absent or disconnects answers ``m: null``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

from satchel.tools.bus.inprocess import answer_request, safe_call
from satchel.tools.bus.listeners import Listeners
from satchel.tools.bus.protocol import BusTimeout, Message, MessageHandler, RequestHandler
from satchel.tools.bus.wire import FrameDecoder, FrameError, encode

__all__ = ["LinkBus", "Relay"]

log = logging.getLogger("satchel.bus")


class _Peer(asyncio.Protocol):
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.member: int | None = None
        self.transport: asyncio.Transport | None = None
        self.decoder = FrameDecoder()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            frames = self.decoder.feed(data)
        except FrameError as exc:
            log.error("bus: dropping member %s: %s", self.member, exc)
            if self.transport is not None:
                self.transport.close()
            return
        for frame in frames:
            self.relay.received(self, frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.lost(self)

    def send(self, frame: Any) -> None:
        self.send_encoded(encode(frame))

    def send_encoded(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class Relay:
    """The parent's end: relays frames between the members connected at ``path``."""

    def __init__(self, path: str, listeners: Listeners | None = None) -> None:
        self.path = path
        self.listeners = listeners
        self.members: dict[int, _Peer] = {}
        self.relayed = 0
        self._server: asyncio.AbstractServer | None = None
        self._batch: list[tuple[_Peer, dict[str, Any]]] = []
        self._flush_scheduled = False
        self._broadcasts: dict[tuple[int, Any], set[int]] = {}
        self._requests: dict[int, list[tuple[int, Any]]] = {}  # member asked -> (asker, id)
        self.on_member: list[Any] = []  # callbacks(member, connected: bool)

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(lambda: _Peer(self), self.path)

    async def wait_members(self, count: int, timeout: float) -> bool:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.members) < count:
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for peer in list(self.members.values()):
            if peer.transport is not None:
                peer.transport.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    # -- frames ------------------------------------------------------------------------

    def received(self, peer: _Peer, frame: dict[str, Any]) -> None:
        if peer.member is None:
            if frame.get("k") != "hello" or not isinstance(frame.get("member"), int):
                if peer.transport is not None:
                    peer.transport.close()
                return
            peer.member = int(frame["member"])
            old = self.members.get(peer.member)
            if old is not None and old.transport is not None:
                old.transport.close()
            self.members[peer.member] = peer
            for callback in self.on_member:
                callback(peer.member, True)
            return
        self._batch.append((peer, frame))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            # runs after every read callback of this loop turn: see the module's doc
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._batch = self._batch, []
        batch.sort(key=lambda item: int(item[1].get("seq") or 0) if item[1].get("k") == "pub" else 0)
        for peer, frame in batch:
            try:
                self._relay(peer, frame)
            except Exception:  # noqa: BLE001 - one bad frame must not stop the relay
                log.exception("bus relay failed on a %r frame", frame.get("k"))

    def _relay(self, peer: _Peer, frame: dict[str, Any]) -> None:
        sender = peer.member
        assert sender is not None
        kind = frame.get("k")
        self.relayed += 1
        if kind == "pub":
            data = encode({"k": "pub", "m": frame.get("m")})
            listeners = self.listeners if frame.get("seq") else None
            for member, other in list(self.members.items()):
                if listeners is None or listeners.listens(member):
                    other.send_encoded(data)
        elif kind == "bc":
            others = {m for m in self.members if m != sender}
            key = (sender, frame.get("id"))
            if not others:
                peer.send({"k": "bcdone", "id": frame.get("id")})
                return
            self._broadcasts[key] = others
            out = {"k": "bc", "id": frame.get("id"), "from": sender, "m": frame.get("m")}
            for member in others:
                self.members[member].send(out)
        elif kind == "bcack":
            self._acked((int(frame.get("from") or 0), frame.get("id")), sender)
        elif kind == "req":
            target = self.members.get(int(frame.get("to") or 0))
            if target is None:
                peer.send({"k": "rep", "id": frame.get("id"), "m": None})
                return
            self._requests.setdefault(int(frame.get("to") or 0), []).append((sender, frame.get("id")))
            target.send({"k": "req", "id": frame.get("id"), "from": sender, "m": frame.get("m")})
        elif kind == "rep":
            asker = int(frame.get("to") or 0)
            pending = self._requests.get(sender, [])
            with contextlib.suppress(ValueError):
                pending.remove((asker, frame.get("id")))
            target = self.members.get(asker)
            if target is not None:
                target.send({"k": "rep", "id": frame.get("id"), "m": frame.get("m")})

    def _acked(self, key: tuple[int, Any], member: int) -> None:
        waiting = self._broadcasts.get(key)
        if waiting is None:
            return
        waiting.discard(member)
        if not waiting:
            del self._broadcasts[key]
            sender = self.members.get(key[0])
            if sender is not None:
                sender.send({"k": "bcdone", "id": key[1]})

    def lost(self, peer: _Peer) -> None:
        member = peer.member
        if member is None or self.members.get(member) is not peer:
            return
        del self.members[member]
        for callback in self.on_member:
            callback(member, False)
        for key in [k for k in self._broadcasts if k[0] == member]:
            del self._broadcasts[key]
        for key in list(self._broadcasts):
            self._acked(key, member)
        for asker, request_id in self._requests.pop(member, []):
            target = self.members.get(asker)
            if target is not None:
                target.send({"k": "rep", "id": request_id, "m": None})


class LinkBus:
    """A worker's end of the relay; the :class:`~satchel.tools.bus.protocol.Bus` of workers.

    Sends are blocking writes under a lock (so a writer thread can publish while it holds
    the write gate).  Frames are read by the subscribers' loop itself (``add_reader``,
    non-blocking ``recv``) from its first subscription on: no reader thread to wake, hand
    the GIL to and back, and no ``call_soon_threadsafe`` per frame.  Frames that arrive
    before it wait in the socket (and the relay's buffer).
    """

    def __init__(self, path: str, member: int) -> None:
        self.member = member
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(path)
        self._send_lock = threading.Lock()
        self._handlers: list[tuple[MessageHandler, asyncio.AbstractEventLoop]] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading_on: int | None = None  # the thread of the loop that reads the socket
        self._decoder = FrameDecoder()
        self.request_handlers: dict[str, RequestHandler] = {}
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._closed = False
        self._answering: set[asyncio.Task[None]] = set()
        #: called (on the reading loop) when the relay goes away: the parent died
        self.on_lost: Callable[[], None] | None = None
        self._send({"k": "hello", "member": member})

    # -- the Bus interface ---------------------------------------------------------------

    def subscribe(self, handler: MessageHandler, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            self._handlers.append((handler, loop))
            first = self._loop is None
            self._loop = self._loop or loop
        if first:
            loop.call_soon_threadsafe(self._start_reading, loop)

    def publish(self, message: Message, *, seq: int = 0) -> None:
        # delivered here too by the relay, in the one order every member sees
        self._send({"k": "pub", "m": message, "seq": seq})

    async def broadcast_acked(self, message: Message, timeout: float = 5.0) -> None:
        request_id, future = self._expect()
        try:
            self._send({"k": "bc", "id": request_id, "m": message})
            await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise BusTimeout(f"bus broadcast {message.get('type')!r} not acknowledged in {timeout}s") from exc
        finally:
            self._waiting.pop(request_id, None)

    def on_request(self, kind: str, handler: RequestHandler) -> None:
        self.request_handlers[kind] = handler

    async def request(self, member: int, message: Message, timeout: float = 5.0) -> Message | None:
        if member == self.member:
            return await answer_request(self.request_handlers, message)
        request_id, future = self._expect()
        try:
            self._send({"k": "req", "id": request_id, "to": member, "m": message})
            answer: Message | None = await asyncio.wait_for(future, timeout)
            return answer
        except TimeoutError as exc:
            raise BusTimeout(f"bus request {message.get('type')!r} to member {member} timed out") from exc
        finally:
            self._waiting.pop(request_id, None)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        loop = self._loop
        if self._reading_on is not None and loop is not None and not loop.is_closed() and (
            self._reading_on != threading.get_ident()
        ):
            # the loop reading the socket runs in another thread: it lets go of it, then closes it
            try:
                loop.call_soon_threadsafe(self._stop_reading)
            except RuntimeError:  # closed meanwhile
                self._sock.close()
        else:
            self._stop_reading()
        with self._lock:
            self._handlers.clear()
        for task in list(self._answering):
            with contextlib.suppress(RuntimeError):  # its loop is gone
                task.get_loop().call_soon_threadsafe(task.cancel)

    # -- plumbing ----------------------------------------------------------------------------

    def _expect(self) -> tuple[int, asyncio.Future[Any]]:
        request_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        return request_id, future

    def _send(self, frame: Any) -> None:
        data = encode(frame)
        with self._send_lock:
            if self._closed:
                return
            try:
                self._sock.sendall(data)
            except OSError as exc:  # the relay is gone: the parent is stopping us
                log.warning("bus: send failed: %s", exc)

    def _start_reading(self, loop: asyncio.AbstractEventLoop) -> None:
        """On ``loop``: read the relay's frames from now on."""
        if self._closed:
            return
        self._reading_on = threading.get_ident()
        loop.add_reader(self._sock.fileno(), self._readable)

    def _stop_reading(self) -> None:
        """On the reading loop (or once it is gone): let go of the socket and close it."""
        loop = self._loop
        if self._reading_on is not None and loop is not None and not loop.is_closed():
            with contextlib.suppress(Exception):  # the socket may be closed already
                loop.remove_reader(self._sock.fileno())
        self._reading_on = None
        self._sock.close()

    def _readable(self) -> None:
        try:
            data = self._sock.recv(1 << 16, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        try:
            frames = self._decoder.feed(data) if data else None
        except FrameError as exc:
            log.error("bus: bad frame from the relay: %s", exc)
            frames = None
        if frames is None:  # the relay is gone (or talks nonsense)
            self._lost()
            return
        for frame in frames:
            self._dispatch(frame)

    def _lost(self) -> None:
        loop = self._loop
        if loop is not None and self._reading_on is not None:
            with contextlib.suppress(Exception):
                loop.remove_reader(self._sock.fileno())
            self._reading_on = None
        if not self._closed:
            log.error("bus: the relay closed the link")
            if self.on_lost is not None:
                self.on_lost()

    def _dispatch(self, frame: dict[str, Any]) -> None:
        """On the loop, in arrival order."""
        kind = frame.get("k")
        if kind == "pub":
            self._run_handlers(frame.get("m") or {})
        elif kind == "bc":
            self._run_handlers(frame.get("m") or {})
            self._send({"k": "bcack", "id": frame.get("id"), "from": frame.get("from")})
        elif kind in ("bcdone", "rep"):
            future = self._waiting.get(int(frame.get("id") or 0))
            if future is not None and not future.done():
                future.set_result(frame.get("m"))
        elif kind == "req":
            task = asyncio.get_running_loop().create_task(self._answer(frame))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    def _run_handlers(self, message: Message) -> None:
        with self._lock:
            handlers = [h for h, _ in self._handlers]
        for handler in handlers:
            safe_call(handler, message)

    async def _answer(self, frame: dict[str, Any]) -> None:
        answer: Message | None = None
        try:
            answer = await answer_request(self.request_handlers, frame.get("m") or {})
        except Exception:  # noqa: BLE001 - the asker gets null rather than a timeout
            log.exception("bus request handler failed")
        self._send({"k": "rep", "id": frame.get("id"), "to": frame.get("from"), "m": answer})
