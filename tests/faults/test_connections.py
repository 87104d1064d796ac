"""Half-open and slow connections against a live ``satchel serve`` (SATCHEL_READ_TIMEOUT=2).

PocketBase 0.40.6, measured with its binary: a connection that sent nothing, part of its
headers, or its headers one byte every 5 s is closed 60.0 s after it opened, without an
answer (the dripping one got a plain ``400 Bad Request``); a stalled body and an idle
keep-alive connection are closed after 300 s.  Satchel: headers within the read timeout
(60 s by default, absolute), a body that makes no progress for the read timeout is
dropped, keep-alive is uvicorn's 5 s.
"""

from __future__ import annotations

import resource
import select
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from satchel.http_protocol import BODY, HEADERS, IDLE, LeanHttpToolsProtocol, ReadTimeoutSweeper
from tests.faults.conftest import READ_TIMEOUT, Serve


def connect(server: Serve, first: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    if first:
        sock.sendall(first)
    return sock


def closed_after(sock: socket.socket, start: float, limit: float = 10.0) -> tuple[float, bytes]:
    """Seconds from ``start`` until the server closed ``sock``, and what it sent before."""
    got = b""
    deadline = start + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.1)
        if ready:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return time.monotonic() - start, got
            got += data
    raise AssertionError(f"still open after {limit}s (got {got[:200]!r})")


PARTIAL = {
    "nothing": b"",
    "partial headers": b"GET /api/health HTTP/1.1\r\nHost: x\r\n",
    "partial body": (
        b"POST /api/collections/users/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{\"a\":"
    ),
}


def test_unfinished_requests_are_closed_after_the_read_timeout(serve_factory: Callable[..., Serve]) -> None:
    server = serve_factory()
    start = time.monotonic()
    socks = {name: connect(server, first) for name, first in PARTIAL.items()}
    for name, sock in socks.items():
        elapsed, got = closed_after(sock, start)
        assert READ_TIMEOUT - 0.2 <= elapsed <= READ_TIMEOUT + 2, (name, elapsed)
        assert got == b"", (name, got)  # dropped without an answer, as Go's header deadline
        sock.close()
    # the closed body left no traceback behind (a ClientDisconnect while reading it)
    assert "Traceback" not in server.output, server.output


def test_dripping_headers_do_not_extend_the_deadline(serve_factory: Callable[..., Serve]) -> None:
    server = serve_factory()
    start = time.monotonic()
    sock = connect(server, b"G")
    line = b"ET /api/health HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 100
    sent = 0
    while time.monotonic() - start < READ_TIMEOUT + 3:
        try:
            sock.send(line[sent : sent + 1])
        except OSError:
            break
        sent += 1
        ready, _, _ = select.select([sock], [], [], 0.3)
        if ready and not sock.recv(1024):
            break
    elapsed = time.monotonic() - start
    assert READ_TIMEOUT - 0.2 <= elapsed <= READ_TIMEOUT + 2, elapsed
    sock.close()


def test_keep_alive_and_slow_progressing_bodies_are_left_alone(serve_factory: Callable[..., Serve]) -> None:
    server = serve_factory()
    # a complete request, then a pause longer than the read timeout (below uvicorn's 5 s keep-alive)
    with httpx.Client(base_url=server.base) as client:
        assert client.get("/api/health").status_code == 200
        time.sleep(READ_TIMEOUT + 1)
        assert client.get("/api/health").status_code == 200
    # a body sent a byte at a time, never stalling as long as the timeout, for 1.5 times the timeout
    body = b'{"name":"' + b"x" * 20 + b'"}'
    sock = connect(server, b"POST /api/health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
    sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body))
    start = time.monotonic()
    for i in range(len(body)):
        sock.sendall(body[i : i + 1])
        time.sleep(1.5 * READ_TIMEOUT / len(body))
    assert time.monotonic() - start >= 1.5 * READ_TIMEOUT
    sock.settimeout(5)
    answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 "), answer  # answered (POST /api/health is a 404), not dropped
    sock.close()


def test_half_open_sockets_do_not_lock_out_a_new_client(serve_factory: Callable[..., Serve], tmp_path: Path) -> None:
    soft, hard = 64, 128
    # one process: the open-file budget and its warning are per process (workers split the sockets)
    server = serve_factory(nofile=(soft, hard), flags=("--workers=1",))
    limits = Path(f"/proc/{server.proc.pid}/limits").read_text()
    row = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    assert row.split()[3:5] == [str(hard), str(hard)], row  # the soft limit was raised to the hard one

    # more half-open sockets than the server can hold open files
    socks = []
    for _ in range(hard + 40):
        try:
            socks.append(connect(server, b"GET /api/health HTTP/1.1\r\n"))
        except OSError:
            break
    try:
        start = time.monotonic()
        deadline = start + READ_TIMEOUT + 8
        status = None
        while time.monotonic() < deadline:
            try:
                status = httpx.get(f"{server.base}/api/health", timeout=2).status_code
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert status == 200, "a new client was locked out by half-open sockets"
    finally:
        for sock in socks:
            sock.close()
    time.sleep(0.5)
    out = server.output
    assert out.count("open files in use") == 1, out  # warned once, near the limit
    assert "Traceback" not in out, out


def test_nofile_limit_is_raised_in_process() -> None:
    from satchel.tools.fdlimit import raise_nofile_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        if hard != resource.RLIM_INFINITY and hard > 32:
            resource.setrlimit(resource.RLIMIT_NOFILE, (32, hard))
            assert raise_nofile_limit() == hard
            assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class _Flow:
    read_paused = False


class _Conn(LeanHttpToolsProtocol):
    """The read-timeout state of a protocol without uvicorn's constructor."""

    def __init__(self, phase: int, mark: float, paused: bool = False) -> None:
        self.read_phase, self.read_mark = phase, mark
        self.flow = _Flow()  # type: ignore[assignment]
        self.flow.read_paused = paused
        self.closed = False

    def close_overdue(self) -> None:
        self.closed = True


@pytest.mark.parametrize(
    ("phase", "mark", "paused", "closed"),
    [
        (HEADERS, 0.0, False, True),
        (BODY, 0.0, False, True),
        (HEADERS, 9.0, False, False),  # 1 s old, under the 2 s timeout
        (BODY, 0.0, True, False),  # we paused reading: the wait is ours
        (IDLE, 0.0, False, False),  # a request complete (handler running, SSE): never swept
    ],
)
def test_sweep_decisions(phase: int, mark: float, paused: bool, closed: bool) -> None:
    conn = _Conn(phase, mark, paused)
    sweeper = ReadTimeoutSweeper({conn}, 2.0)
    assert sweeper.sweep(10.0) == int(closed)
    assert conn.closed is closed


def test_uvicorn_hooks_the_protocol_relies_on() -> None:
    """The read timeout overrides these uvicorn internals (pinned to uvicorn 0.55.x)."""
    import uvicorn.protocols.http.flow_control as flow_control
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    for name in ("on_message_begin", "on_headers_complete", "on_body", "on_message_complete", "connection_made"):
        assert callable(getattr(HttpToolsProtocol, name)), name
    assert "read_paused" in flow_control.FlowControl.__init__.__code__.co_names
