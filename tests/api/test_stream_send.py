"""The outermost ASGI wrapper lends the server's own ``send`` to a stream for its body
messages (the wrappers act on the response start only), for the request's time only."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from satchel.api.realtime import chunk_writer
from satchel.server import answer_cancelled
from satchel.tools.sse import RAW_SEND


def test_the_raw_send_is_in_the_scope_during_the_request_only() -> None:
    sent: list[Any] = []
    lent: list[Any] = []

    async def raw(message: Any) -> None:
        sent.append(message)

    async def stream(scope: Any, receive: Any, send: Any) -> None:
        lent.append(scope[RAW_SEND])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await scope[RAW_SEND]({"type": "http.response.body", "body": b"id:x\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    scope: dict[str, Any] = {"type": "http"}
    asyncio.run(answer_cancelled(stream)(scope, None, raw))
    assert lent == [raw]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body", "http.response.body"]
    assert RAW_SEND not in scope  # uvicorn's cycle holds the scope: no reference cycle is left


class Wire:
    """A transport that records what is written."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data

    def close(self) -> None:
        pass


def started_cycle() -> tuple[Any, Wire]:
    from uvicorn.protocols.http.flow_control import FlowControl
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    wire = Wire()
    scope = {"type": "http", "method": "GET", "http_version": "1.1", "path": "/api/realtime"}
    cycle = RequestResponseCycle(scope, wire, FlowControl(wire), logging.getLogger("t"),  # type: ignore[arg-type]
                                 logging.getLogger("t"), False, [], asyncio.Event(), False, True, lambda: None)
    asyncio.run(cycle.send({"type": "http.response.start", "status": 200, "headers": []}))
    return cycle, wire


def test_the_chunk_writer_writes_what_uvicorns_send_writes() -> None:
    by_send, sent = started_cycle()
    by_writer, written = started_cycle()
    write = chunk_writer(by_writer.send)
    assert write is not None and chunk_writer(answer_cancelled) is None
    for body in (b"id:a\nevent:x\ndata:{}\n\n", b"", b"id:b\nevent:y\ndata:" + b"z" * 300 + b"\n\n"):
        asyncio.run(by_send.send({"type": "http.response.body", "body": body, "more_body": True}))
        asyncio.run(write(body))
    assert written.data == sent.data and b"\r\n140\r\nid:b" in sent.data
    by_writer.disconnected = True  # the client left: nothing more is written, as uvicorn does
    asyncio.run(write(b"id:c\n\n"))
    assert written.data == sent.data
