"""The realtime benches' SSE subscriber: exact PB_CONNECT parsing and the marker found however the
bytes are split, for chunked and plain streams."""

from __future__ import annotations

import asyncio

import pytest

from bench.sse import Arrivals, SseDecoder, SseStream

CONNECT = b'id:abc\nevent:PB_CONNECT\ndata:{"clientId":"abc"}\n\n'
EVENT = b'id:abc\r\nevent:comments/create\r\ndata:{"record":{"message":"fanout-1-77"}}\r\n\r\n'
MARKER = b"fanout-1-77"


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)


def test_decoder_every_split_chunked() -> None:
    wire = chunked(CONNECT, EVENT[:30], EVENT[30:]) + b"0\r\n\r\n"
    for cut in range(len(wire) + 1):
        decoder = SseDecoder(chunked=True)
        events = decoder.feed(wire[:cut]) + decoder.feed(wire[cut:])
        assert [e.get("event") for e in events] == [b"PB_CONNECT", b"comments/create"], cut
        assert events[0]["data"] == b'{"clientId":"abc"}'
        assert MARKER in events[1]["data"]
        assert decoder.ended


def test_decoder_plain_and_multiline_data() -> None:
    decoder = SseDecoder(chunked=False)
    assert decoder.feed(b"event: x\ndata: a\r") == []
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [{"event": b"x", "data": b"a\nb"}]


def stream_fed(pieces: list[bytes]) -> tuple[SseStream, Arrivals]:
    async def main() -> tuple[SseStream, Arrivals]:
        arrivals = Arrivals()
        stream = SseStream(b"", MARKER, arrivals)
        for piece in pieces:
            stream.data_received(piece)
            if stream.client_id.done() and not stream.counted:
                stream.count()
                arrivals.expect(1)
        return stream, arrivals

    return asyncio.run(main())


@pytest.mark.parametrize("is_chunked", [True, False])
def test_stream_connects_then_sees_the_marker_split_anywhere(is_chunked: bool) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + (b"Transfer-Encoding: chunked\r\n" if is_chunked else b"") + b"\r\n"
    first = head + (chunked(CONNECT) if is_chunked else CONNECT)
    start = EVENT.index(MARKER)
    for cut in range(start, start + len(MARKER) + 1):
        # a server writing the marker in two pieces: two reads, or two chunks in one read
        pieces = [EVENT[:cut], EVENT[cut:]]
        body = [chunked(p) for p in pieces] if is_chunked else pieces
        for split in (body, [b"".join(body)]):
            stream, arrivals = stream_fed([first, *split])
            assert stream.client_id.result() == "abc"
            assert stream.seen and len(arrivals.times) == 1 and arrivals.done.done(), (cut, split)


def test_stream_failure_counts_as_missing() -> None:
    stream, arrivals = stream_fed([b"HTTP/1.1 200 OK\r\n\r\n" + CONNECT])
    stream.connection_lost(None)
    assert arrivals.done.done() and arrivals.times == [] and stream.error == "stream closed"
    refused, _ = stream_fed([b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"])
    assert refused.status == 404 and refused.client_id.result() is None
