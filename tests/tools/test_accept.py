"""The workers' shared accept: a burst of connections is split between the acceptors, and a
stalled sibling (stopped: its count says it could take them) holds none back for long."""

from __future__ import annotations

import asyncio
import errno
import logging
import multiprocessing
import socket
import threading
import time
from typing import Any

import pytest

from satchel.tools.accept import ABSENT, DEFER, DISTRUST, ConnectionCounts, CountedConnections, SharedAccept


class Held(asyncio.Protocol):
    """uvicorn's protocols put themselves in ``ServerState.connections`` the same way."""

    def __init__(self, connections: set[Any]) -> None:
        self.connections = connections

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)


def listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def burst(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]


class Worker(threading.Thread):
    """One acceptor on its own loop, in a thread (the stalled-sibling case: one worker only)."""

    def __init__(self, sock: socket.socket, counts: ConnectionCounts, member: int) -> None:
        super().__init__(daemon=True)
        self.sock = sock.dup()  # as a forked worker holds its own descriptor
        self.connections = CountedConnections(counts, member)
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()

    def run(self) -> None:
        async def main() -> None:
            self.acceptor = acceptor = SharedAccept(self.sock, lambda: Held(self.connections), self.connections)
            self.stop: asyncio.Future[None] = self.loop.create_future()
            self.ready.set()
            await self.stop
            acceptor.close()
            await acceptor.wait_closed()

        self.loop.run_until_complete(main())
        self.loop.close()
        self.sock.close()

    def finish(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.join(5)


def serve_forked(sock: socket.socket, counts: ConnectionCounts, member: int, stop: Any) -> None:
    """A worker process: accepts on the inherited socket until ``stop`` is set."""
    async def main() -> None:
        connections = CountedConnections(counts, member)
        acceptor = SharedAccept(sock, lambda: Held(connections), connections)
        while not stop.is_set():
            await asyncio.sleep(0.01)
        acceptor.close()

    asyncio.run(main())


def wait_for(condition: Any, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


def test_bursts_are_split_between_two_worker_processes() -> None:
    sock = listener()
    counts = ConnectionCounts(2)
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    workers = [context.Process(target=serve_forked, args=(sock, counts, m, stop)) for m in range(2)]
    for worker in workers:
        worker.start()
    wait_for(lambda: all(counts.get(m)[0] == 0 for m in range(2)))
    splits = []
    try:
        for _ in range(3):  # (without the balance one worker often takes all eight)
            clients = burst(sock.getsockname()[1], 8)
            wait_for(lambda: sum(counts.get(m)[0] for m in range(2)) == 8)
            splits.append(sorted(counts.get(m)[0] for m in range(2)))
            for client in clients:
                client.close()
            wait_for(lambda: all(counts.get(m)[0] == 0 for m in range(2)))
            time.sleep(DISTRUST)
    finally:
        stop.set()
        for worker in workers:
            worker.join(5)
        sock.close()
    assert all(sum(split) == 8 and split[0] >= 3 for split in splits), splits
    slots = [counts.get(m) for m in range(2)]
    assert [open_ for open_, _ in slots] == [ABSENT, ABSENT]  # closed acceptors leave the balance
    assert sum(accepted for _, accepted in slots) == 24


def test_a_stalled_sibling_holds_no_connection_back() -> None:
    sock = listener()
    counts = ConnectionCounts(2)
    counts.set(1, 0, 0)  # a sibling that accepts nothing (SIGSTOPped) but looks the least loaded
    worker = Worker(sock, counts, 0)
    worker.start()
    worker.ready.wait(5)
    started = time.monotonic()
    clients = burst(sock.getsockname()[1], 8)
    wait_for(lambda: len(worker.connections) == 8)
    took = time.monotonic() - started
    accepted = len(worker.connections)
    worker.finish()
    for client in clients:
        client.close()
    sock.close()
    assert accepted == 8
    # it deferred once (DEFER), then stopped deferring to the stalled sibling
    assert worker.acceptor.deferrals == 1
    assert took < DEFER + 0.5, took


class ShortOfFiles(socket.socket):
    """A listening socket whose first accepts fail as at the open-file limit."""

    failures = 3

    def accept(self) -> tuple[socket.socket, Any]:
        if self.failures:
            self.failures -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return super().accept()


def test_out_of_files_pauses_accepting_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    sock = ShortOfFiles()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    counts = ConnectionCounts(1)

    async def main() -> int:
        connections = CountedConnections(counts, 0)
        acceptor = SharedAccept(sock, lambda: Held(connections), connections)
        client = await asyncio.to_thread(socket.create_connection, sock.getsockname())
        for _ in range(200):  # three pauses of PAUSE_ON_ERROR, then the connection is taken
            if connections:
                break
            await asyncio.sleep(0.01)
        acceptor.close()
        client.close()
        return len(connections)

    with caplog.at_level(logging.WARNING, logger="satchel"):
        assert asyncio.run(main()) == 1
    sock.close()
    assert [r.getMessage() for r in caplog.records].count(
        "accept: [Errno 24] Too many open files (new connections wait in the backlog)") == 1
