"""Realtime: fan-out (N SSE subscribers, one create, time until every subscriber has it)
and idle connections (N subscribed streams held open, server memory per connection)."""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from bench.http1 import Connection
from bench.sse import Arrivals, SseStream, open_streams

T = TypeVar("T")

__all__ = ["FanoutResult", "IdleResult", "run", "run_fanout", "run_idle"]


@dataclass(frozen=True)
class FanoutResult:
    status: int  # status of GET /api/realtime (404 when the server has no realtime)
    subscribers: int
    connected: int
    received: int
    max_ms: float
    p50_ms: float
    error: str = ""
    # CPU (user+system) of this load generator from the create to the last arrival: it shares
    # the cores with the server, so a costly reader would be measured as server time
    harness_cpu_ms: float = 0.0

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


def _streams(host: str, port: int, n: int, marker: bytes, arrivals: Arrivals | None) -> list[SseStream]:
    request = Connection(host, port).encode("GET", "/api/realtime", {"Accept": "text/event-stream"}, None)
    return [SseStream(request, marker, arrivals) for _ in range(n)]


def _connected(streams: list[SseStream]) -> list[SseStream]:
    return [s for s in streams if s.client_id.done() and s.client_id.result()]


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is there (a Satchel dependency): the subscribers' reading then costs
    the load generator, which shares the cores with the servers, less CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _subscribe(host: str, port: int, token: str | None, subs: list[SseStream], topic: str) -> None:
    pending = _connected(subs)

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


async def _fanout(host: str, port: int, token: str | None, n: int, create: tuple[str, bytes],
                  marker: bytes, timeout: float) -> FanoutResult:
    arrivals = Arrivals()
    subs = _streams(host, port, n, marker, arrivals)
    status = 0
    try:
        await open_streams(host, port, subs, timeout)
        connected = _connected(subs)
        status = next((s.status for s in subs if s.status), 0)
        if not connected:
            errors = {s.error for s in subs if s.error}
            return FanoutResult(status or 599, n, 0, 0, 0.0, 0.0, "; ".join(sorted(errors))[:200])
        await _subscribe(host, port, token, subs, "comments")
        await asyncio.sleep(0.2)
        for sub in connected:
            sub.count()
        arrivals.expect(len(connected))
        path, body = create
        conn = Connection(host, port)
        headers = {"Content-Type": "application/json", **({"Authorization": token} if token else {})}
        cpu0 = _cpu_s()
        t0 = time.perf_counter()
        response = await conn.request("POST", path, headers, body)
        conn.close()
        if response.status >= 300:
            # the create is what is missing (e.g. no records API): report its status, not the stream's
            return FanoutResult(response.status, n, len(connected), 0, 0.0, 0.0, f"create: {response.status}")
        await asyncio.wait([arrivals.done], timeout=timeout)
        cpu_ms = (_cpu_s() - cpu0) * 1000
        times = [t - t0 for t in arrivals.times]
        return FanoutResult(status, n, len(connected), len(times), max(times, default=0) * 1000,
                            statistics.median(times) * 1000 if times else 0.0, harness_cpu_ms=cpu_ms)
    except (OSError, asyncio.IncompleteReadError) as exc:
        return FanoutResult(status, n, len(_connected(subs)), 0, 0.0, 0.0, str(exc))
    finally:
        for sub in subs:  # only now: a stream closed at its arrival would make the server work meanwhile
            sub.close()


def run_fanout(host: str, port: int, token: str | None, n: int, post_id: str, author_id: str,
               round_no: int, timeout: float = 60.0) -> FanoutResult:
    marker = f"fanout-{round_no}-{time.time_ns()}"
    body = json.dumps({"post": post_id, "author": author_id, "message": marker}).encode()
    return run(_fanout(host, port, token, n, ("/api/collections/comments/records", body), marker.encode(), timeout))


async def _idle(host: str, port: int, token: str | None, n: int, rss_kb: Callable[[], float],
                hold: float, timeout: float) -> IdleResult:
    base = rss_kb()
    subs = _streams(host, port, n, b"\0never", None)
    status = 0
    try:
        await open_streams(host, port, subs, timeout)
        status = next((s.status for s in subs if s.status), 0)
        await _subscribe(host, port, token, subs, "comments")
        await asyncio.sleep(hold)
        held = sum(1 for s in _connected(subs) if not s.lost)
        return IdleResult(status, n, held, (rss_kb() - base) / n)
    except (OSError, asyncio.IncompleteReadError) as exc:
        return IdleResult(status, n, 0, 0.0, str(exc))
    finally:
        for sub in subs:
            sub.close()


def run_idle(host: str, port: int, token: str | None, n: int, rss_kb: Callable[[], float],
             hold: float = 2.0, timeout: float = 60.0) -> IdleResult:
    """Open ``n`` streams subscribed to ``comments``, hold them, and report RSS growth per stream."""
    return run(_idle(host, port, token, n, rss_kb, hold, timeout))
