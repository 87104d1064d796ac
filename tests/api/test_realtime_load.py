"""Bounded load test: 2,000 concurrent SSE clients on one server process each receive
every one of 20 record events; memory per idle client is measured and printed.

The server runs in its own process (``uvicorn`` + uvloop + httptools, as ``satchel
serve``) so its RSS is not mixed with the clients'.  A harness thread in that
process writes the records when told on stdin, publishing each event after COMMIT
exactly as the records API does.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_realtime_api import SSE

CLIENTS = 2000
EVENTS = 20

HARNESS = r"""
import sys, threading
import uvicorn
from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.records import events as record_events
from satchel.core.records.rows import new_record_id
from satchel.tools.timeutil import now_text

app = App(Config(data_dir=__import__("pathlib").Path(sys.argv[1])))
app.collections.create_sync(
    {"name": "feed", "type": "base", "listRule": "", "viewRule": "",
     "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]}
)
feed = app.registry.get("feed")

def create(n):
    def run(tx):
        rec = app.records.insert_sync(tx, feed, {"id": new_record_id(), "title": "event %d" % n, "n": n})
        tx.after_commit(lambda: record_events.publish(app, "create", feed, rec))
    app.db.write_sync(run)

def commands():
    for line in sys.stdin:
        parts = line.split()
        if parts and parts[0] == "create":
            for i in range(int(parts[1])):
                create(int(parts[2]) + i)
            print("done", flush=True)

threading.Thread(target=commands, daemon=True).start()
from satchel.http_protocol import LeanHttpToolsProtocol
config = uvicorn.Config(build_asgi(app), host="127.0.0.1", port=int(sys.argv[2]), loop="uvloop",
                        http=LeanHttpToolsProtocol, lifespan="off", log_level="warning", access_log=False,
                        backlog=4096, timeout_graceful_shutdown=1)
server = uvicorn.Server(config)
original = server.startup
async def startup(sockets=None):
    await original(sockets=sockets)
    print("ready", flush=True)
server.startup = startup
server.run()
"""


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


class Harness:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root = Path(__file__).resolve().parents[2]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HARNESS, str(tmp / "pb_data"), str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def command(self, text: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def wait_done(self) -> None:
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "done"

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def _connect_all(port: int, count: int) -> list[SSE]:
    clients: list[SSE] = []
    for start in range(0, count, 250):
        batch = [SSE(port) for _ in range(start, min(count, start + 250))]
        await asyncio.gather(*(c.start() for c in batch))
        clients += batch
    return clients


async def _subscribe_all(url: str, clients: list[SSE], topics: list[str]) -> None:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        sem = asyncio.Semaphore(32)

        async def one(c: SSE) -> None:
            async with sem:
                r = await http.post("/api/realtime", json={"clientId": c.client_id, "subscriptions": topics})
                assert r.status_code == 204, r.text

        await asyncio.gather(*(one(c) for c in clients))


def test_two_thousand_clients_twenty_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    harness = Harness(tmp_path)
    figures: dict[str, Any] = {}
    try:

        async def main() -> None:
            # warm up the code paths before the memory baseline
            warm = await SSE(harness.port).start()
            await _subscribe_all(harness.url, [warm], ["feed/*"])
            await asyncio.to_thread(harness.command, "create 1 0")
            await asyncio.to_thread(harness.wait_done)
            await warm.wait_for(lambda: len(warm.messages()) == 1)
            warm.close()
            await asyncio.sleep(0.5)
            base = _rss_kb(harness.proc.pid)

            t0 = time.monotonic()
            clients = await _connect_all(harness.port, CLIENTS)
            figures["connect_s"] = time.monotonic() - t0
            t0 = time.monotonic()
            await _subscribe_all(harness.url, clients, ["feed/*"])
            figures["subscribe_s"] = time.monotonic() - t0
            await asyncio.sleep(1.0)
            idle = _rss_kb(harness.proc.pid)
            figures["rss_base_kb"] = base
            figures["rss_idle_kb"] = idle
            figures["kb_per_idle_client"] = (idle - base) / CLIENTS

            t0 = time.monotonic()
            await asyncio.to_thread(harness.command, f"create {EVENTS} 1")
            await asyncio.to_thread(harness.wait_done)
            figures["writes_s"] = time.monotonic() - t0
            deadline = time.monotonic() + 60
            while any(len(c.messages()) < EVENTS for c in clients):
                assert time.monotonic() < deadline, "events lost or too slow"
                await asyncio.sleep(0.05)
            figures["all_delivered_s"] = time.monotonic() - t0
            figures["rss_after_kb"] = _rss_kb(harness.proc.pid)

            expected = [f"event {i}" for i in range(1, EVENTS + 1)]
            for c in clients:
                msgs = c.messages()
                assert len(msgs) == EVENTS
                assert [d["record"]["title"] for _, d in msgs] == expected
                assert all(name == "feed/*" and d["action"] == "create" for name, d in msgs)
            for c in clients:
                c.close()

        asyncio.run(main())
    finally:
        harness.close()
    with capsys.disabled():
        print("\nrealtime load:", json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
    # ~9.5 KB measured (uvicorn itself holds ~7 of it); a regression guard, not a benchmark
    assert figures["kb_per_idle_client"] < 14
