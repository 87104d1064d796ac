"""Realtime fan-out across nodes: one node vs three on one PostgreSQL database.

    python -m bench.nodes_fanout [--pg postgresql://postgres@127.0.0.1:5432] [--subscribers 60] [--events 30]

Starts ``satchel serve --db=<a fresh database> --workers=1`` once per node, spreads the
SSE subscribers over the nodes (round robin; each posts its subscription to the next node,
so the cross-node ``POST /api/realtime`` routing is used too) and creates records, one at
a time, on the nodes in turn.  The latency of one delivery is the time from sending the
create to a subscriber reading its event; reported: median, 95th percentile and maximum
over every (event, subscriber) pair.  The client runs on the same machine as the nodes
and PostgreSQL: on a small machine, the figures say what the nodes cost, not what more
hardware would give.  No floor to meet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.servers import free_port

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"


class Node:
    def __init__(self, db: str, root: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        root.mkdir(parents=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "satchel",
                "serve",
                f"--http=127.0.0.1:{self.port}",
                f"--dir={root / 'pb_data'}",
                f"--db={db}",
                "--workers=1",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=(root / "serve.err").open("wb"),
        )

    def wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"a node exited {self.proc.returncode}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("a node did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Subscriber:
    """One SSE stream; ``arrivals[marker]`` is when the event carrying ``marker`` was read."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client = client
        self.base = base
        self.client_id: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.arrivals: dict[str, float] = {}

    async def run(self) -> None:
        event = ""
        async with self.client.stream("GET", f"{self.base}/api/realtime") as r:
            async for line in r.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:]
                elif line.startswith("data:"):
                    data = json.loads(line[5:])
                    if event == "PB_CONNECT":
                        self.client_id.set_result(data["clientId"])
                    else:
                        self.arrivals[data["record"]["title"]] = time.perf_counter()


async def measure(nodes: list[Node], subscribers: int, events: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=subscribers + 20)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=300), limits=limits) as client:
        subs = [Subscriber(client, nodes[i % len(nodes)].base) for i in range(subscribers)]
        tasks = [asyncio.create_task(s.run()) for s in subs]
        try:
            await asyncio.wait_for(asyncio.gather(*(s.client_id for s in subs)), 60)
            for i, sub in enumerate(subs):
                r = await client.post(f"{nodes[(i + 1) % len(nodes)].base}/api/realtime",
                                      json={"clientId": sub.client_id.result(), "subscriptions": ["msgs"]})  # fmt: skip
                r.raise_for_status()
            latencies: list[float] = []
            for n in range(events):
                marker = f"m{n}"
                node = nodes[n % len(nodes)]
                start = time.perf_counter()
                r = await client.post(f"{node.base}/api/collections/msgs/records", json={"title": marker})
                r.raise_for_status()
                deadline = time.monotonic() + 30
                while any(marker not in s.arrivals for s in subs) and time.monotonic() < deadline:
                    await asyncio.sleep(0.002)
                latencies += [s.arrivals[marker] - start for s in subs if marker in s.arrivals]
            latencies.sort()
            return {
                "nodes": len(nodes),
                "subscribers": subscribers,
                "deliveries": len(latencies),
                "expected": subscribers * events,
                "p50_ms": round(statistics.median(latencies) * 1000, 1),
                "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
                "max_ms": round(latencies[-1] * 1000, 1),
            }
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def run(server: str, count: int, subscribers: int, events: int) -> dict[str, Any]:
    name = "satchel_bench_" + secrets.token_hex(4)
    admin = server.rstrip("/") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = server.rstrip("/") + "/" + name
    nodes: list[Node] = []
    try:
        with tempfile.TemporaryDirectory(prefix="satchel-nodes-bench-") as tmp:
            root = Path(tmp)
            made = subprocess.run([sys.executable, "-m", "satchel", "superuser", "upsert", EMAIL, PASSWORD,
                                   f"--dir={root / 'first'}", f"--db={db}"], capture_output=True, check=False)  # fmt: skip
            if made.returncode != 0:
                raise SystemExit(made.stderr.decode())
            nodes = [Node(db, root / f"node{i}") for i in range(count)]
            for node in nodes:
                node.wait()
            token = httpx.post(f"{nodes[0].base}/api/collections/_superusers/auth-with-password",
                               json={"identity": EMAIL, "password": PASSWORD}).json()["token"]  # fmt: skip
            r = httpx.post(f"{nodes[0].base}/api/collections", headers={"Authorization": token},
                           json={"name": "msgs", "listRule": "", "viewRule": "", "createRule": "",
                                 "fields": [{"name": "title", "type": "text"}]})  # fmt: skip
            r.raise_for_status()
            return asyncio.run(measure(nodes, subscribers, events))
    finally:
        for node in nodes:
            node.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg", default=os.environ.get("SATCHEL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--subscribers", type=int, default=60)
    parser.add_argument("--events", type=int, default=30)
    args = parser.parse_args()
    for count in (1, 3):
        print(json.dumps(run(args.pg, count, args.subscribers, args.events)), flush=True)


if __name__ == "__main__":
    main()
