"""``satchel.tools.reuseport``: the kernel behaviour the workers rely on (Linux)."""

from __future__ import annotations

import socket

import pytest

from satchel.server import bind_sockets
from satchel.tools.reuseport import SUPPORTED, PortShare, close_all

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="SO_REUSEPORT spreads connections on Linux only")


def accepted(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def connect(port: int, n: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]


def plain_bind_fails(port: int) -> bool:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            other.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def test_the_reservation_keeps_the_address_and_takes_no_connection() -> None:
    share = PortShare(bind_sockets("127.0.0.1", 0, listen=False))
    try:
        port = share.addresses[0][3][1]
        assert port != 0
        assert plain_bind_fails(port)  # no worker listening: the address is still ours
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        first = share.listen()
        clients = connect(port, 20)
        assert accepted(first[0]) == 20  # the reservation took none of them
        close_all(clients)
    finally:
        share.close()
    close_all(first)


def test_connections_are_spread_over_listeners_and_a_closed_one_gets_no_more() -> None:
    share = PortShare(bind_sockets("127.0.0.1", 0, listen=False))
    port = share.addresses[0][3][1]
    a, b = share.listen(), share.listen()
    try:
        clients = connect(port, 64)
        got_a, got_b = accepted(a[0]), accepted(b[0])
        assert got_a + got_b == 64 and got_a > 0 and got_b > 0, (got_a, got_b)
        close_all(clients)
        close_all(b)  # a worker that died: its socket went with it
        clients = connect(port, 20)
        assert accepted(a[0]) == 20
        close_all(clients)
    finally:
        close_all(a + b)
        share.close()


def test_an_address_in_use_is_refused_before_anything_is_reserved() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(Exception, match="address already in use"):
            PortShare(bind_sockets("127.0.0.1", port, listen=False))
