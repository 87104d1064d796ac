"""``serve --workers=2`` publishes record events on the relay only while some worker has a
realtime client (satchel.tools.bus.listeners): a client that connects to a server with
none, subscribes, and gets its 204 must still get every commit made after it, on either
worker.  Its own server (module fixture): no stream of another test may linger here."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.serve_support import LiveServer, superuser_token
from tests.workers.test_workers import create_collection, fresh, realtime_stats, worker_of


class RawStream:
    """An SSE client on a plain socket, so that closing it reaches the server at once."""

    def __init__(self, server: LiveServer) -> None:
        url = urlsplit(server.base)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=10)
        self.sock.sendall(b"GET /api/realtime HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        self.events: list[dict[str, Any]] = []
        self.client_id = ""
        self.worker = -1
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "no PB_CONNECT"

    def _run(self) -> None:
        buffer = b""
        head_done = False
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                buffer += data
                if not head_done:
                    if b"\r\n\r\n" not in buffer:
                        continue
                    head, buffer = buffer.split(b"\r\n\r\n", 1)
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"x-satchel-worker:"):
                            self.worker = int(line.split(b":", 1)[1])
                    head_done = True
                # chunked body: the SSE blocks are whole inside it; find them by their data lines
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    event, payload = "", b""
                    for line in block.split(b"\n"):
                        if line.startswith(b"event:"):
                            event = line[6:].decode()
                        elif line.startswith(b"data:"):
                            payload = line[5:]
                    if event == "PB_CONNECT":
                        self.client_id = json.loads(payload)["clientId"]
                        self._ready.set()
                    elif event:
                        self.events.append(json.loads(payload))
        except OSError:
            return

    def wait(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.events

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


@pytest.fixture(scope="module")
def token(workers_server: LiveServer) -> str:
    return superuser_token(workers_server.base)


def test_a_first_subscriber_gets_the_next_commit_of_another_worker(workers_server: LiveServer, token: str) -> None:
    assert create_collection(workers_server, token, "race").status_code == 200
    crossed = 0
    for round_ in range(12):
        realtime_stats(workers_server, token, 0)  # no client on any worker: nobody listens
        s = RawStream(workers_server)
        try:
            r = fresh(workers_server, "POST", "/api/realtime", json={"clientId": s.client_id, "subscriptions": ["race"]})
            assert r.status_code == 204, r.text
            written: list[int] = []
            for n in range(30):  # at once after the 204, until one write lands on the other worker
                r = fresh(workers_server, "POST", "/api/collections/race/records", json={"n": round_ * 100 + n})
                assert r.status_code == 200, r.text
                written.append(round_ * 100 + n)
                if worker_of(r) != s.worker:
                    crossed += 1
                    break
            got = s.wait(len(written))
            assert [event["record"]["n"] for event in got] == written, (round_, s.worker, got)
        finally:
            s.close()
    assert crossed >= 6, crossed


def test_writes_with_no_client_anywhere_still_succeed_and_a_later_client_gets_the_next(
    workers_server: LiveServer, token: str
) -> None:
    """Writes while nobody listens publish nothing (gaps in the commit numbers): the next
    subscriber is not held back waiting for them."""
    assert create_collection(workers_server, token, "gaps").status_code == 200
    realtime_stats(workers_server, token, 0)
    for n in range(40):
        r = fresh(workers_server, "POST", "/api/collections/gaps/records", json={"n": n})
        assert r.status_code == 200, r.text
    s = RawStream(workers_server)
    try:
        r = fresh(workers_server, "POST", "/api/realtime", json={"clientId": s.client_id, "subscriptions": ["gaps"]})
        assert r.status_code == 204
        for n in range(40, 46):
            assert fresh(workers_server, "POST", "/api/collections/gaps/records", json={"n": n}).status_code == 200
        got = s.wait(6)
        assert [event["record"]["n"] for event in got] == list(range(40, 46))
    finally:
        s.close()
