"""A minimal keep-alive HTTP/1.1 client on asyncio streams.

Used by the built-in load generator (when ``wrk`` is missing) and by the realtime fan-out
client: it is far cheaper per request than a full-featured client, which matters when the
load generator shares a 2-core machine with the servers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

__all__ = ["Connection", "Response", "parse_head", "read_chunks"]


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    return parse_head(await reader.readuntil(b"\r\n\r\n"))


def parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    """Status and lower-cased headers of a response head (through its blank line)."""
    lines = raw.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_chunks(reader: asyncio.StreamReader) -> bytes | None:
    """One chunk of a chunked body; ``None`` at the terminating zero-size chunk."""
    size_line = await reader.readuntil(b"\r\n")
    size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
    if size == 0:
        await reader.readuntil(b"\r\n")
        return None
    data = await reader.readexactly(size)
    await reader.readexactly(2)
    return data


class Connection:
    """One persistent connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=1 << 22)
        return self._reader, self._writer

    def encode(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None or method in ("POST", "PATCH", "PUT"):
            lines.append(f"Content-Length: {len(body or b'')}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")

    async def send_head(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, dict[str, str], asyncio.StreamReader]:
        """Send a request and read only the response head (for streams such as SSE)."""
        reader, writer = await self.open()
        writer.write(self.encode(method, path, headers, body))
        await writer.drain()
        status, head = await _read_head(reader)
        return status, head, reader

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> Response:
        try:
            return await self._request(method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()  # the server dropped an idle keep-alive connection: retry once
            return await self._request(method, path, headers, body)

    async def _request(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Response:
        status, head, reader = await self.send_head(method, path, headers, body)
        if method == "HEAD" or status in (204, 304):
            data = b""
        elif "content-length" in head:
            data = await reader.readexactly(int(head["content-length"]))
        elif head.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while (chunk := await read_chunks(reader)) is not None:
                parts.append(chunk)
            data = b"".join(parts)
        else:
            data = await reader.read()
            self.close()
        if head.get("connection", "").lower() == "close":
            self.close()
        return Response(status, head, data)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
