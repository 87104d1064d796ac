"""``python -m bench.workers_cost``: where the CPU of ``satchel serve --workers=N`` goes.

Throughput on a shared machine swings far more than the changes it is meant to judge, so
this measures each process's own work: utime+stime and the voluntary context switches of
every thread, from /proc, of the parent, each worker and the load generator, before and
after one load.  Two loads:

* ``create`` (default): ``wrk -t1 -c8`` of creates on a base collection with a public
  createRule and one text field (no realtime client, as in the bench's write workloads;
  ``--listeners N`` holds N idle realtime streams open meanwhile);
* ``fanout``: ``--subscribers`` SSE clients subscribed to the collection, then ``--events``
  creates one after another, each waiting until every subscriber has it; the figures are
  per event, the load generator's (this process) included.

Fresh data dir each run, request logs on.  ``--python`` runs another checkout's interpreter
(``/work/main/.venv/bin/python``) for an A/B; the server starts with its cwd outside any
checkout, so ``python -m satchel`` imports that interpreter's Satchel.  Output: one JSON line.

    python -m bench.workers_cost [--workers 2] [--load create|fanout] [--seconds 5] [--listeners 0]
                                 [--subscribers 2000] [--events 10] [--port P] [--python PY]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.http1 import Connection
from bench.realtime import run
from bench.servers import free_port
from bench.sse import Event, SseStream, open_streams

TICKS = os.sysconf("SC_CLK_TCK")
EMAIL, PASSWORD = "cost@example.com", "cost-password-123"
CREATE_LUA = """wrk.method = "POST"
wrk.body = '{"title":"hello"}'
wrk.headers["Content-Type"] = "application/json"
function done(summary, latency, requests) io.write(string.format("REQUESTS %d\\n", summary.requests)) end
"""


def sample(pid: int) -> tuple[float, int]:
    """CPU seconds and voluntary context switches of every thread of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    switches = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        for line in Path(f"/proc/{pid}/task/{task}/status").read_text().splitlines():
            if line.startswith("voluntary_ctxt_switches"):
                switches += int(line.split()[1])
    return (int(fields[11]) + int(fields[12])) / TICKS, switches


class Serve:
    def __init__(self, python: str, workers: int, port: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="workers-cost-"))
        self.workers = workers
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        data = str(self.root / "pb_data")
        run = {"cwd": self.root, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run([python, "-m", "satchel", "superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}"],
                       check=True, **run)  # type: ignore[call-overload]
        self.proc = subprocess.Popen([python, "-m", "satchel", "serve", f"--http=127.0.0.1:{port}", f"--dir={data}",
                                      f"--workers={workers}"], env={**os.environ, "SATCHEL_WORKER_HEADER": "1"},
                                     **run)  # type: ignore[call-overload]

    def start(self) -> None:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while True:
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("satchel serve did not start")
                time.sleep(0.1)
            token = client.post("/api/collections/_superusers/auth-with-password",
                                json={"identity": EMAIL, "password": PASSWORD}).json()["token"]
            client.post("/api/collections", headers={"Authorization": token},
                        json={"name": "posts", "type": "base", "createRule": "", "listRule": "", "viewRule": "",
                              "fields": [{"name": "title", "type": "text"}]}).raise_for_status()
            seen: set[str] = set()  # the other workers start once worker 0 serves: wait for each
            while len(seen) < self.workers and time.monotonic() < deadline + 60:
                with httpx.Client(base_url=self.base, timeout=10) as fresh:  # a new connection each time
                    seen.add(fresh.get("/api/health").headers.get("x-satchel-worker", ""))
        time.sleep(0.5)

    def processes(self) -> dict[str, int]:
        if self.workers == 1:
            return {"w0": self.proc.pid}
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return {"parent": self.proc.pid, **{f"w{i}": pid for i, pid in enumerate(sorted(map(int, children)))}}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def per(before: dict[str, tuple[float, int]], after: dict[str, tuple[float, int]], count: int,
        unit: float) -> dict[str, Any]:  # fmt: skip
    row: dict[str, Any] = {}
    for name in before:
        row[f"{name}_cpu"] = round((after[name][0] - before[name][0]) / count * unit, 1)
        row[f"{name}_vcsw"] = round((after[name][1] - before[name][1]) / count, 2)
    row["server_cpu"] = round(sum(v for k, v in row.items() if k.endswith("_cpu") and k != "loadgen_cpu"), 1)
    return row


def create_load(serve: Serve, seconds: int, listeners: int) -> dict[str, Any]:
    lua = serve.root / "create.lua"
    lua.write_text(CREATE_LUA)
    streams = [httpx.Client(base_url=serve.base, timeout=None) for _ in range(listeners)]
    opened = [client.stream("GET", "/api/realtime") for client in streams]  # (kept: closing it ends the stream)
    held = [stream.__enter__() for stream in opened]
    workers = Counter(response.headers.get("x-satchel-worker", "") for response in held)
    procs = serve.processes()
    before = {name: sample(pid) for name, pid in procs.items()}
    wrk = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{seconds}s", "-s", str(lua),
                            serve.base + "/api/collections/posts/records"], stdout=subprocess.PIPE, text=True)
    _, _, usage = os.wait4(wrk.pid, 0)
    out = wrk.stdout.read() if wrk.stdout else ""
    after = {name: sample(pid) for name, pid in procs.items()}
    for stream, client in zip(opened, streams, strict=True):
        stream.__exit__(None, None, None)
        client.close()
    requests = int(next(line for line in out.splitlines() if line.startswith("REQUESTS")).split()[1])
    row: dict[str, Any] = {"unit": "us per create", "creates": requests, "per_s": round(requests / seconds),
                           "listeners": dict(workers)}
    row.update(per(before, after, requests, 1e6))
    row["loadgen_cpu"] = round((usage.ru_utime + usage.ru_stime) / requests * 1e6, 1)
    return row


async def fanout_load(serve: Serve, subscribers: int, events: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    received = [0]
    everyone: list[asyncio.Future[None]] = [loop.create_future()]

    def on_event(_event: Event) -> None:  # every subscriber's every event: count, wake the sender once
        received[0] += 1
        if received[0] >= len(subs) and not everyone[0].done():
            everyone[0].set_result(None)

    request = Connection("127.0.0.1", serve.port).encode("GET", "/api/realtime", {"Accept": "text/event-stream"},
                                                          None)
    subs = [SseStream(request, b"\0never", None, on_event) for _ in range(subscribers)]
    await open_streams("127.0.0.1", serve.port, subs, 30)
    pending = list(subs)

    async def subscribe() -> None:
        conn = Connection("127.0.0.1", serve.port)
        while pending:
            body = json.dumps({"clientId": pending.pop().client_id.result(), "subscriptions": ["posts"]}).encode()
            response = await conn.request("POST", "/api/realtime", {"Content-Type": "application/json"}, body)
            assert response.status == 204, response.status
        conn.close()

    await asyncio.gather(*(subscribe() for _ in range(16)))
    await asyncio.sleep(0.5)
    procs = {**serve.processes(), "loadgen": os.getpid()}
    before = {name: sample(pid) for name, pid in procs.items()}
    times = []
    conn = Connection("127.0.0.1", serve.port)
    for _ in range(events):
        received[0], everyone[0] = 0, loop.create_future()
        t0 = time.perf_counter()
        response = await conn.request("POST", "/api/collections/posts/records", {"Content-Type": "application/json"},
                                      b'{"title":"x"}')
        assert response.status == 200, response.status
        await asyncio.wait_for(everyone[0], 30)
        times.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.05)
    after = {name: sample(pid) for name, pid in procs.items()}
    conn.close()
    for sub in subs:
        sub.close()
    row: dict[str, Any] = {"unit": "ms per event", "subscribers": subscribers,
                           "split": dict(Counter(s.headers.get("x-satchel-worker", "") for s in subs)),
                           "delivered_ms": sorted(round(t) for t in times)}
    row.update(per(before, after, events, 1e3))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workers_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--load", choices=("create", "fanout"), default="create")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--listeners", type=int, default=0, help="idle realtime streams during creates")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose Satchel serves")
    args = parser.parse_args()
    serve = Serve(os.path.abspath(args.python), args.workers, args.port or free_port())
    try:
        serve.start()
        load = os.getloadavg()[0]
        if args.load == "create":
            row = create_load(serve, args.seconds, args.listeners)
        else:
            row = run(fanout_load(serve, args.subscribers, args.events))
    finally:
        serve.stop()
    print(json.dumps({"workers": args.workers, "load": args.load, "loadavg": round(load, 2), **row}))


if __name__ == "__main__":
    main()
