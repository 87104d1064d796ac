"""Each serving process its own listening sockets on one address (``SO_REUSEPORT``).

Processes that accept from one shared listening socket do not share its connections
evenly: whichever wakes first takes every connection waiting in the queue, so a client
that opens a few keep-alive connections at once (a load balancer's pool, a benchmark)
often lands all of them on one process while the others idle (8 of 8 in 6 of 10 runs
of ``wrk -c8`` against two workers).  With a listening socket of its own per process,
the kernel hashes each new connection to one of them.

The address stays reserved for this server the whole time: ``PortShare`` holds a bound
socket that never listens (it gets no connections) with ``SO_REUSEPORT`` but without
``SO_REUSEADDR``, so another program's plain bind fails as it would against a listening
socket, even while every worker is down.  A worker's sockets are made just before it is
forked and closed in the parent right after, so when a worker dies its sockets go with it
and no connection waits for a process that is not there.
"""

from __future__ import annotations

import contextlib
import socket
import sys

__all__ = ["SUPPORTED", "PortShare"]

# elsewhere (macOS, the BSDs) SO_REUSEPORT does not spread connections: share one socket
SUPPORTED = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")

BACKLOG = 2048


class PortShare:
    def __init__(self, bound: list[socket.socket]) -> None:
        """Take over ``bound``, plain listening sockets that proved the address free (and
        resolved a port 0): they are closed and their addresses reserved."""
        self.addresses = [(sock.family, sock.type, sock.proto, sock.getsockname()) for sock in bound]
        for sock in bound:
            sock.close()
        self.reserved: list[socket.socket] = []
        try:
            for family, kind, proto, address in self.addresses:
                sock = socket.socket(family, kind, proto)
                self.reserved.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
        except OSError:
            self.close()
            raise

    def listen(self) -> list[socket.socket]:
        """New listening sockets on every address, for one process."""
        sockets: list[socket.socket] = []
        try:
            for family, kind, proto, address in self.addresses:
                sock = socket.socket(family, kind, proto)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)
                sock.listen(BACKLOG)
                sock.setblocking(False)
        except OSError:
            close_all(sockets)
            raise
        return sockets

    def close(self) -> None:
        close_all(self.reserved)
        self.reserved = []


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.close()
