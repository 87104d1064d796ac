"""Realtime: fan-out (N SSE subscribers, one create, time until every subscriber has it)
and idle connections (N subscribed streams held open, server memory per connection)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.http1 import Connection, read_chunks

__all__ = ["FanoutResult", "IdleResult", "run_fanout", "run_idle"]


@dataclass(frozen=True)
class FanoutResult:
    status: int  # status of GET /api/realtime (404 when the server has no realtime)
    subscribers: int
    connected: int
    received: int
    max_ms: float
    p50_ms: float
    error: str = ""

    def shape(self) -> dict[str, Any]:
        return {"status": self.status, "connected": self.connected, "received": self.received}


@dataclass(frozen=True)
class IdleResult:
    status: int
    connections: int
    held: int  # streams still open after the hold, subscribed
    kb_per_connection: float
    error: str = ""

    def shape(self) -> dict[str, Any]:
        return {"status": self.status, "held": self.held}


class _Subscriber:
    def __init__(self, host: str, port: int, marker: bytes) -> None:
        self.conn = Connection(host, port)
        self.marker = marker
        # both resolve to None when the stream fails, so a failure is a missing subscriber
        self.client_id: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self.arrived: asyncio.Future[float | None] = asyncio.get_running_loop().create_future()
        self.status = 0
        self.error = ""

    async def run(self) -> None:
        try:
            self.status, head, reader = await self.conn.send_head(
                "GET", "/api/realtime", {"Accept": "text/event-stream"})
            if self.status != 200:
                raise ConnectionError(f"GET /api/realtime: {self.status}")
            chunked = head.get("transfer-encoding", "").lower() == "chunked"
            buffer = b""
            while not self.arrived.done():
                data = await read_chunks(reader) if chunked else await reader.read(65536)
                if not data:
                    raise ConnectionError("stream closed")
                buffer += data.replace(b"\r\n", b"\n")
                while b"\n\n" in buffer:
                    event, buffer = buffer.split(b"\n\n", 1)
                    self._on_event(event)
        except Exception as exc:  # noqa: BLE001 - any failure ends this subscriber, reported as missing
            self.error = str(exc)
            for future in (self.client_id, self.arrived):
                if not future.done():
                    future.set_result(None)
        finally:
            self.conn.close()

    def _on_event(self, event: bytes) -> None:
        fields: dict[str, bytes] = {}
        for line in event.split(b"\n"):
            name, _, value = line.partition(b":")
            fields[name.decode()] = fields.get(name.decode(), b"") + value.strip()
        if fields.get("event") == b"PB_CONNECT" and not self.client_id.done():
            self.client_id.set_result(str(json.loads(fields["data"])["clientId"]))
        elif self.marker in fields.get("data", b"") and not self.arrived.done():
            self.arrived.set_result(time.perf_counter())


async def _subscribe(host: str, port: int, token: str | None, subs: list[_Subscriber], topic: str) -> None:
    pending = [s for s in subs if s.client_id.done() and s.client_id.result()]

    async def worker() -> None:
        conn = Connection(host, port)
        headers = {"Content-Type": "application/json", **({"Authorization": token} if token else {})}
        while pending:
            sub = pending.pop()
            body = json.dumps({"clientId": sub.client_id.result(), "subscriptions": [topic]}).encode()
            response = await conn.request("POST", "/api/realtime", headers, body)
            if response.status >= 300:
                raise ConnectionError(f"POST /api/realtime: {response.status} {response.body[:200]!r}")
        conn.close()

    await asyncio.gather(*(worker() for _ in range(16)))


async def _connect(host: str, port: int, subs: list[_Subscriber], timeout: float) -> list[asyncio.Task[None]]:
    tasks: list[asyncio.Task[None]] = []
    for start in range(0, len(subs), 200):  # connect in waves: listen backlogs are finite
        wave = subs[start:start + 200]
        tasks += [asyncio.create_task(s.run()) for s in wave]
        await asyncio.wait([s.client_id for s in wave], timeout=timeout)
    return tasks


async def _fanout(host: str, port: int, token: str | None, n: int, create: tuple[str, bytes],
                  marker: bytes, timeout: float) -> FanoutResult:
    subs = [_Subscriber(host, port, marker) for _ in range(n)]
    tasks = await _connect(host, port, subs, timeout)
    connected = sum(1 for s in subs if s.client_id.done() and s.client_id.result())
    status = next((s.status for s in subs if s.status), 0)
    try:
        if connected == 0:
            errors = {s.error for s in subs if s.error}
            return FanoutResult(status or 599, n, 0, 0, 0.0, 0.0, "; ".join(sorted(errors))[:200])
        await _subscribe(host, port, token, subs, "comments")
        await asyncio.sleep(0.2)
        path, body = create
        conn = Connection(host, port)
        headers = {"Content-Type": "application/json", **({"Authorization": token} if token else {})}
        t0 = time.perf_counter()
        response = await conn.request("POST", path, headers, body)
        conn.close()
        if response.status >= 300:
            # the create is what is missing (e.g. no records API): report its status, not the stream's
            return FanoutResult(response.status, n, connected, 0, 0.0, 0.0, f"create: {response.status}")
        await asyncio.wait([s.arrived for s in subs], timeout=timeout)
        arrivals = [s.arrived.result() for s in subs if s.arrived.done()]
        times = [t - t0 for t in arrivals if t is not None]
        return FanoutResult(status, n, connected, len(times), max(times, default=0) * 1000,
                            statistics.median(times) * 1000 if times else 0.0)
    except (OSError, asyncio.IncompleteReadError) as exc:
        return FanoutResult(status, n, connected, 0, 0.0, 0.0, str(exc))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def run_fanout(host: str, port: int, token: str | None, n: int, post_id: str, author_id: str,
               round_no: int, timeout: float = 60.0) -> FanoutResult:
    marker = f"fanout-{round_no}-{time.time_ns()}"
    body = json.dumps({"post": post_id, "author": author_id, "message": marker}).encode()
    return asyncio.run(_fanout(host, port, token, n, ("/api/collections/comments/records", body),
                               marker.encode(), timeout))


async def _idle(host: str, port: int, token: str | None, n: int, rss_kb: Callable[[], float],
                hold: float, timeout: float) -> IdleResult:
    base = rss_kb()
    subs = [_Subscriber(host, port, b"\0never") for _ in range(n)]
    tasks = await _connect(host, port, subs, timeout)
    status = next((s.status for s in subs if s.status), 0)
    try:
        await _subscribe(host, port, token, subs, "comments")
        await asyncio.sleep(hold)
        held = sum(1 for s, t in zip(subs, tasks, strict=True) if s.client_id.done() and s.client_id.result()
                   and not t.done())
        return IdleResult(status, n, held, (rss_kb() - base) / n)
    except (OSError, asyncio.IncompleteReadError) as exc:
        return IdleResult(status, n, 0, 0.0, str(exc))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def run_idle(host: str, port: int, token: str | None, n: int, rss_kb: Callable[[], float],
             hold: float = 2.0, timeout: float = 60.0) -> IdleResult:
    """Open ``n`` streams subscribed to ``comments``, hold them, and report RSS growth per stream."""
    return asyncio.run(_idle(host, port, token, n, rss_kb, hold, timeout))
