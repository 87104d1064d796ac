"""A cheap SSE subscriber for the realtime benches: a protocol the event loop calls directly.

The load generator shares the cores with the server it measures, so each subscriber's reading
must cost as little as possible, and the same for every server: no coroutine wake-up, no
``StreamReader`` buffering, and once the stream is connected a chunk is first searched for the
awaited marker in its raw bytes.  Only a chunk without the marker is decoded (de-chunked when
the response is chunked, then split into SSE events), so the marker is still found when a
server splits it over two reads or two chunks, and ``PB_CONNECT`` is parsed exactly.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import cast

from bench.http1 import parse_head

__all__ = ["Arrivals", "Event", "SseDecoder", "SseStream", "open_streams"]

Event = dict[str, bytes]


class SseDecoder:
    """Body bytes in, complete SSE events (field name -> value) out; de-chunks when ``chunked``."""

    def __init__(self, chunked: bool) -> None:
        self.chunked = chunked
        self.ended = False  # the terminating zero-size chunk was read
        self._raw = b""  # chunked framing not parsed yet
        self._left = 0  # bytes of the current chunk still to come
        self._skip = 0  # bytes of the CRLF after a chunk still to skip
        self._text = b""  # de-chunked text not yet split into events

    def feed(self, data: bytes) -> list[Event]:
        if self.chunked:
            self._dechunk(data)
        else:
            self._text += data
        return self._events()

    def _dechunk(self, data: bytes) -> None:
        raw, pos, parts = self._raw + data, 0, [self._text]
        while not self.ended:
            if self._left:
                part = raw[pos:pos + self._left]
                parts.append(part)
                pos += len(part)
                self._left -= len(part)
                if self._left:
                    break
                self._skip = 2
            if self._skip:
                skipped = min(self._skip, len(raw) - pos)
                pos += skipped
                self._skip -= skipped
                if self._skip:
                    break
            end = raw.find(b"\r\n", pos)
            if end < 0:
                break
            size = int(raw[pos:end].split(b";", 1)[0].strip() or b"0", 16)
            pos = end + 2
            self.ended = size == 0
            self._left = size
        self._raw = raw[pos:]
        self._text = b"".join(parts)

    def _events(self) -> list[Event]:
        # lines may end in CRLF: normalise, keeping a trailing CR until its LF comes
        text, held = (self._text[:-1], b"\r") if self._text.endswith(b"\r") else (self._text, b"")
        *complete, rest = text.replace(b"\r\n", b"\n").split(b"\n\n")
        self._text = rest + held
        return [_fields(block) for block in complete if block]


def _fields(block: bytes) -> Event:
    fields: Event = {}
    for line in block.split(b"\n"):
        name, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        key = name.decode("latin-1")
        fields[key] = fields[key] + b"\n" + value if key in fields else value
    return fields


class Arrivals:
    """When each stream saw the marker; ``done`` resolves once every counted stream saw it or failed."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.expected = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def expect(self, count: int) -> None:
        self.expected = count
        self._check()

    def arrived(self, at: float | None) -> None:
        if at is not None:
            self.times.append(at)
        self.expected -= 1
        self._check()

    def _check(self) -> None:
        if self.expected <= 0 and not self.done.done():
            self.done.set_result(None)


class SseStream(asyncio.Protocol):
    """``GET /api/realtime`` held open; reports ``PB_CONNECT``'s client id, then the marker's arrival."""

    def __init__(self, request: bytes, marker: bytes, arrivals: Arrivals | None,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self.request = request
        self.marker = marker
        self.arrivals = arrivals
        self.on_event = on_event  # every decoded event after PB_CONNECT (when no marker is awaited)
        self.client_id: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self.status = 0
        self.headers: dict[str, str] = {}
        self.error = ""
        self.transport: asyncio.Transport | None = None
        self.counted = False  # its arrival (or its failure) is expected by ``arrivals``
        self.seen = False  # the marker arrived
        self.lost = False
        self._head = b""
        self._decoder: SseDecoder | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # (uvloop's transports are not asyncio's classes)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.seen:
            return
        if self.counted and self.marker in data:  # the fast path: nothing decoded
            self._arrive()
        elif self._decoder is None:
            self._read_head(data)
        else:
            self._decode(data)

    def _read_head(self, data: bytes) -> None:
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            return
        self.status, self.headers = parse_head(self._head[:end + 4])
        body, self._head = self._head[end + 4:], b""
        if self.status != 200:
            self._fail(f"GET /api/realtime: {self.status}")
            return
        self._decoder = SseDecoder(self.headers.get("transfer-encoding", "").lower() == "chunked")
        if body:
            self._decode(body)

    def _decode(self, data: bytes) -> None:
        assert self._decoder is not None
        for event in self._decoder.feed(data):
            if not self.client_id.done():
                if event.get("event") == b"PB_CONNECT":
                    self.client_id.set_result(str(json.loads(event["data"])["clientId"]))
            elif self.counted and self.marker in event.get("data", b""):
                self._arrive()
                return
            elif self.on_event is not None:
                self.on_event(event)
        if self._decoder.ended:
            self._fail("stream ended")

    def _arrive(self) -> None:
        self.seen = True
        if self.arrivals is not None:
            self.arrivals.arrived(time.perf_counter())

    def count(self) -> None:
        """From now on the marker is awaited: its arrival (or this stream's end) is reported."""
        self.counted = True

    def _fail(self, error: str) -> None:
        self.error = self.error or error
        if not self.client_id.done():
            self.client_id.set_result(None)
        if self.counted and not self.seen and self.arrivals is not None:
            self.seen = True
            self.arrivals.arrived(None)
        self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._fail(str(exc) if exc else "stream closed")

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_streams(host: str, port: int, streams: list[SseStream], timeout: float) -> None:
    """Connect every stream, in waves of 200 (listen backlogs are finite), until PB_CONNECT or failure."""
    loop = asyncio.get_running_loop()

    async def connect(stream: SseStream) -> None:
        try:
            await loop.create_connection(lambda: stream, host, port)
        except OSError as exc:
            stream.connection_lost(exc)

    for start in range(0, len(streams), 200):
        wave = streams[start:start + 200]
        await asyncio.gather(*(connect(s) for s in wave))
        await asyncio.wait([s.client_id for s in wave], timeout=timeout)
