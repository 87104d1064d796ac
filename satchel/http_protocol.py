"""uvicorn's httptools protocol with less memory per connection.

Measured with tracemalloc on 2,000 idle SSE connections (uvicorn 0.54): uvicorn
holds ~9.4 KB per connection, of which ~2.2 KB are three ``collections.deque``
objects (a deque allocates a 64-slot block up front): the pipelining queue and
the deques inside two ``asyncio.Event`` (the request cycle's message event and
the flow control's writable event).  Realtime clients sit idle by the thousand,
so those three are swapped for lazy equivalents right after uvicorn creates
them.  Behaviour is unchanged; ``tests/api/test_realtime_load.py`` prints the
per-connection figure.

It also bounds how long a client may take to send a request (a slowloris defence
uvicorn lacks: its keep-alive timer only starts after a response).  The headers of a
request must arrive within ``read_timeout`` of its start (connection opened, or first
byte of the next request), as PocketBase's 60 s header deadline; a body must make
progress at least every ``read_timeout``.  One :class:`ReadTimeoutSweeper` per server
walks the open connections once a second instead of arming a timer per connection.
"""

from __future__ import annotations

import asyncio
import http
import logging
from collections import deque
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

__all__ = ["LeanEvent", "LeanHttpToolsProtocol", "ReadTimeoutSweeper"]

log = logging.getLogger("satchel.server")

_NO_PHRASE = SimpleNamespace(phrase="")


@contextmanager
def status_phrases_by_lookup() -> Iterator[None]:
    """While uvicorn's httptools module imports, ``http.HTTPStatus(code)`` is a plain lookup.

    That module builds its status lines at import from ``http.HTTPStatus(code).phrase`` for
    every code from 100 to 599; 440 of them are not statuses, and each goes through the
    enum's failed lookup and a caught ``ValueError`` (10.4 M instructions, ~2 % of the
    start-up, callgrind).  Here an unknown code has an empty phrase, as the caught error
    gives it: the same lines (``tests/cli/test_uvicorn_logging.py`` compares them)."""
    real = http.HTTPStatus
    by_code: dict[int, Any] = {status.value: status for status in real}
    http.HTTPStatus = lambda code: by_code.get(code, _NO_PHRASE)  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        http.HTTPStatus = real  # type: ignore[misc]


with status_phrases_by_lookup():
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# what a connection is waiting for from the client (LeanHttpToolsProtocol.read_phase)
IDLE, HEADERS, BODY = 0, 1, 2


class LeanEvent:
    """``asyncio.Event``'s contract (``set``/``clear``/``is_set``/``wait``); the
    waiter list exists only while someone waits."""

    __slots__ = ("_value", "_waiters")

    def __init__(self, value: bool = False) -> None:
        self._value = value
        self._waiters: list[asyncio.Future[bool]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if not self._value:
            self._value = True
            for waiter in self._waiters or ():
                if not waiter.done():
                    waiter.set_result(True)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = [waiter]
        else:
            self._waiters.append(waiter)
        try:
            return await waiter
        finally:
            waiters = self._waiters
            if waiters is not None:
                waiters.remove(waiter)
                if not waiters:
                    self._waiters = None


class LazyDeque:
    """The part of ``deque`` uvicorn uses for pipelined requests, allocated on first use."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: deque[Any] | None = None

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items) if self._items else 0

    def appendleft(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.appendleft(item)

    def pop(self) -> Any:
        if not self._items:
            raise IndexError("pop from an empty deque")
        return self._items.pop()


class LeanHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pipeline = LazyDeque()  # type: ignore[assignment]
        # IDLE: nothing owed by the client (a request is complete, or keep-alive, which
        # uvicorn's own timer bounds); HEADERS since read_mark; BODY: last progress at read_mark
        self.read_phase = IDLE
        self.read_mark = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow._is_writable_event = LeanEvent(value=True)  # type: ignore[assignment]
        self.read_phase, self.read_mark = HEADERS, self.loop.time()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.read_phase != HEADERS:  # the first request's deadline runs from the connection
            self.read_phase, self.read_mark = HEADERS, self.loop.time()

    def on_headers_complete(self) -> None:
        previous = self.cycle
        super().on_headers_complete()
        self.read_phase, self.read_mark = BODY, self.loop.time()
        if self.cycle is not previous:
            # a new cycle whose task has not run yet: nothing waits on the event it replaces
            self.cycle.message_event = LeanEvent()  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        self.read_mark = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        self.read_phase = IDLE
        super().on_message_complete()

    def read_overdue(self, now: float, timeout: float) -> bool:
        """Whether the client has owed us request bytes for ``timeout`` seconds.

        Not while reading is paused: then we are the slow side (a full body buffer or a
        pipelined request waiting its turn)."""
        return self.read_phase != IDLE and now - self.read_mark >= timeout and not self.flow.read_paused

    def close_overdue(self) -> None:
        """Drop the connection as Go's net/http does on its header deadline: no answer."""
        self.read_phase = IDLE
        if not self.transport.is_closing():
            self.transport.close()


class ReadTimeoutSweeper:
    """Closes the connections of one server whose client stopped sending a request.

    ``connections`` is uvicorn's live set of protocols (``ServerState.connections``).
    The same pass watches the open-file budget: ``fd_budget()`` returns (fds in use,
    soft limit) and is only asked when the connection count alone comes near the limit,
    so the common pass costs a ``len()``.
    """

    def __init__(
        self,
        connections: Collection[Any],
        timeout: float,
        *,
        fd_budget: Callable[[], tuple[int, int]] | None = None,
        fd_limit: int = 0,
    ) -> None:
        self.connections = connections
        self.timeout = timeout
        self.interval = min(1.0, timeout / 4) if timeout > 0 else 1.0
        self.fd_budget = fd_budget
        self.fd_limit = fd_limit
        self.warned = False
        self.closed = 0  # connections dropped so far (tests and logs)
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if self.timeout > 0 or self.fd_budget is not None:
            self._handle = asyncio.get_running_loop().call_later(self.interval, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        if self.timeout > 0:
            self.sweep(loop.time())
        self.check_fds()
        self._handle = loop.call_later(self.interval, self._tick)

    def sweep(self, now: float) -> int:
        overdue = [
            c for c in self.connections if isinstance(c, LeanHttpToolsProtocol) and c.read_overdue(now, self.timeout)
        ]
        for conn in overdue:
            conn.close_overdue()
        self.closed += len(overdue)
        return len(overdue)

    def check_fds(self) -> None:
        """Warn once when open files near the soft limit; again after they fell back to half."""
        if self.fd_budget is None or not self.fd_limit:
            return
        if len(self.connections) < self.fd_limit // 2:
            self.warned = False
            return
        if self.warned:
            return
        used, limit = self.fd_budget()
        if used >= limit * 0.9:
            self.warned = True
            log.warning(
                "%d of %d open files in use (%d connections): new clients will be refused at the limit",
                used,
                limit,
                len(self.connections),
            )
