"""Accepting on the listening socket the workers of ``serve --workers`` share.

uvloop's own accept drains the whole backlog on each wake-up, so the worker that runs first
after a burst of connections (``wrk -c8`` connects all eight at once) takes them all and its
sibling idles: 8/0 in about 6 runs of 10 on two cores (taking one per wake-up is not enough:
the sibling is often not even scheduled yet).  Here a worker takes one connection per
wake-up, and early in a burst (less than ``BURST`` since its first accept after ``QUIET``
without any) while it holds more connections than the least loaded sibling, it first lets
that sibling take the new one (looking again every ``RECHECK``, accepting once the counts
are even); if no sibling took any connection for ``DEFER`` (it is stopped, or busy in a long
synchronous hook), it takes the connection itself and stops deferring for ``DISTRUST``, so a
stalled worker never holds new connections back for long.  Under a steady churn of new
connections (clients without keep-alive) nothing is deferred after the first ``BURST``:
deferring each one cost ~100 us of CPU and two thirds of the throughput.  Connections that
come one at a time are taken by whichever worker wakes first, as before.  The counts live in
shared memory (:class:`ConnectionCounts`), kept by uvicorn's own set of connections
(:class:`CountedConnections`).  Per-worker ``SO_REUSEPORT`` sockets were tried and
reverted: there the kernel hashes a new connection to a stalled worker all the same.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import mmap
import socket
import struct
from collections.abc import Callable
from typing import Any

__all__ = ["ABSENT", "ConnectionCounts", "CountedConnections", "SharedAccept"]

log = logging.getLogger("satchel")

QUIET = 0.1  # seconds without an accept after which this worker's next accept starts a burst
BURST = 0.05  # seconds from the start of a burst during which connections are balanced
DEFER = 0.02  # seconds without a sibling accepting after which a deferring worker takes the connection
RECHECK = 0.001  # seconds between a deferring worker's looks at its siblings' counts
DISTRUST = 0.5  # seconds a worker stops deferring to siblings after one let a connection wait
PAUSE_ON_ERROR = 0.1  # seconds without accepting after EMFILE/ENFILE/ENOBUFS (the reader would spin)
_SLOT = struct.Struct("=II")  # open connections, connections accepted so far
ABSENT = 0xFFFFFFFF  # open count of a worker that is not accepting (not started yet, or stopped serving)


class ConnectionCounts:
    """Each worker's open and accepted connections, in an anonymous shared mapping made before fork.
    A slot is written by its own worker, and by the parent once that worker died."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._map = mmap.mmap(-1, _SLOT.size * max(count, 1))
        for member in range(count):
            self.set(member, ABSENT, 0)

    def set(self, member: int, open_: int, accepted: int) -> None:
        _SLOT.pack_into(self._map, member * _SLOT.size, open_, accepted)

    def leave(self, member: int) -> None:
        """``member`` stopped accepting (in the parent: it died, possibly while counted)."""
        self.set(member, ABSENT, self.get(member)[1])

    def get(self, member: int) -> tuple[int, int]:
        return _SLOT.unpack_from(self._map, member * _SLOT.size)  # type: ignore[return-value]

    def others(self, member: int) -> tuple[int | None, int]:
        """The fewest open connections of the siblings that accept (None: no such sibling), and
        how many connections the siblings accepted so far."""
        fewest, accepted = None, 0
        for i in range(self.count):
            if i != member:
                open_, took = self.get(i)
                accepted += took
                if open_ != ABSENT and (fewest is None or open_ < fewest):
                    fewest = open_
        return fewest, accepted


class CountedConnections(set[Any]):
    """uvicorn's ``ServerState.connections`` (its protocols add and discard themselves) that
    keeps this worker's slot of the shared counts up to date while it accepts."""

    def __init__(self, counts: ConnectionCounts, member: int) -> None:
        super().__init__()
        self.counts = counts
        self.member = member
        self.accepted = 0
        self.pending = 0  # accepted, their protocol not made yet
        self.publishing = False

    def held(self) -> int:
        return len(self) + self.pending

    def publish(self) -> None:
        if self.publishing:
            self.counts.set(self.member, self.held(), self.accepted)

    def accept(self) -> None:
        self.accepted += 1
        self.pending += 1
        self.publish()

    def abandon(self) -> None:
        """An accepted connection that never got its protocol."""
        self.pending -= 1
        self.publish()

    def add(self, item: Any) -> None:
        super().add(item)
        self.pending = max(0, self.pending - 1)
        self.publish()

    def discard(self, item: Any) -> None:
        super().discard(item)
        self.publish()


class SharedAccept:
    """A listening socket read by this loop, one ``accept`` per wake-up; quacks as the
    ``asyncio.Server`` uvicorn keeps in ``Server.servers`` (``close``, ``wait_closed``)."""

    def __init__(self, sock: socket.socket, protocol_factory: Callable[[], asyncio.Protocol],
                 connections: CountedConnections) -> None:  # fmt: skip
        self._sock = sock
        self._factory = protocol_factory
        self._connections = connections
        self._loop = asyncio.get_running_loop()
        self._fd = sock.fileno()
        self._reading = False
        self._deferred: asyncio.TimerHandle | None = None
        self._trust_after = 0.0
        self._last_accept = -QUIET
        self._burst_start = -BURST
        self._others_then = 0  # what the siblings had accepted at the last recheck
        self._progress_at = 0.0  # when a sibling was last seen accepting, while deferring
        self._closed = False
        self.deferrals = 0  # times a connection was left to a sibling first (tests)
        self._short = False  # out of files (or buffers): accepting paused, warned once
        self._tasks: set[asyncio.Task[Any]] = set()
        sock.setblocking(False)
        connections.publishing = True
        connections.publish()
        self._resume()

    def _resume(self) -> None:
        self._deferred = None
        if not self._closed and not self._reading:
            self._loop.add_reader(self._fd, self._on_readable)
            self._reading = True

    def _pause(self, seconds: float, then: Callable[[], None]) -> None:
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False
        self._deferred = self._loop.call_later(seconds, then)

    def _on_readable(self) -> None:
        connections = self._connections
        fewest, accepted = connections.counts.others(connections.member)
        now = self._loop.time()
        if (fewest is not None and connections.held() > fewest
                and now - self._last_accept < QUIET and now - self._burst_start < BURST
                and now >= self._trust_after):  # fmt: skip
            self._others_then, self._progress_at = accepted, now
            self.deferrals += 1
            self._pause(RECHECK, self._recheck)
            return
        self._accept_one()

    def _recheck(self) -> None:
        """While deferring: accept again once the siblings caught up; when none of them took a
        connection for ``DEFER`` they are stalled: take one, and stop deferring for a while."""
        self._deferred = None
        connections = self._connections
        fewest, accepted = connections.counts.others(connections.member)
        now = self._loop.time()
        if accepted != self._others_then:
            self._others_then, self._progress_at = accepted, now
        if fewest is not None and connections.held() > fewest and now - self._progress_at < DEFER:
            self._pause(RECHECK, self._recheck)
            return
        if now - self._progress_at >= DEFER and self._accept_one():
            self._trust_after = now + DISTRUST
        if self._deferred is None:
            self._resume()

    def _accept_one(self) -> bool:
        try:
            conn, _ = self._sock.accept()
        except (BlockingIOError, InterruptedError):
            return False
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                if not self._short:  # once until an accept succeeds again, not ten times a second
                    log.warning("accept: %s (new connections wait in the backlog)", exc)
                    self._short = True
                self._pause(PAUSE_ON_ERROR, self._resume)
            return False  # (ECONNABORTED and the like: that client is gone)
        self._short = False
        now = self._loop.time()
        if now - self._last_accept >= QUIET:
            self._burst_start = now
        self._last_accept = now
        self._connections.accept()
        task = self._loop.create_task(self._adopt(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _adopt(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except OSError:
            conn.close()
            self._connections.abandon()

    def close(self) -> None:
        self._closed = True
        connections = self._connections
        connections.publishing = False
        connections.counts.leave(connections.member)
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = None

    async def wait_closed(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
