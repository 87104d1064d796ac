"""What the node tests share: a raw SSE subscriber, and the workers a node answered with."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx

from tests.e2e.serve_support import LiveServer

__all__ = ["START", "Stream", "wait_workers"]

#: seconds a node may take to answer: several start at once on a machine busy with other jobs
START = 90.0


class Stream:
    """A raw SSE client on its own thread, collecting (event, data)."""

    def __init__(self, base: str) -> None:
        self.events: list[tuple[str, Any]] = []
        self.client_id = ""
        self._ready = threading.Event()
        self._client = httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=60))
        threading.Thread(target=self._run, daemon=True).start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        event = ""
        try:
            with self._client.stream("GET", "/api/realtime") as r:
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:]
                    elif line.startswith("data:"):
                        data = json.loads(line[5:])
                        if event == "PB_CONNECT":
                            self.client_id = data["clientId"]
                            self._ready.set()
                        else:
                            self.events.append((event, data))
        except httpx.HTTPError:
            pass

    def wait(self, count: int, timeout: float = 10) -> list[tuple[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.events


def wait_workers(server: LiveServer, count: int, timeout: float = 60) -> None:
    """Worker 0 serves first; the others start once it has: wait until each answered
    (needs ``SATCHEL_WORKER_HEADER=1``)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while seen != set(range(count)):
        assert time.monotonic() < deadline, f"workers answering: {seen}"
        with httpx.Client(base_url=server.base, timeout=5) as client:
            seen.add(int(client.get("/api/health").headers["x-satchel-worker"]))
