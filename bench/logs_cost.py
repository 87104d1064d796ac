"""``python -m bench.logs_cost``: the server CPU a request costs with request logs on vs off.

Throughput on a shared machine swings far more than logging costs, so this measures
CPU instead: one ``satchel serve``, a public collection, then alternating phases of
``--requests`` sequential list (or view) requests with ``settings.logs.maxDays`` 5 and 0.
After each phase it waits past the writer's 3 s interval so the batched inserts are
counted too, and reads the server's user+system CPU from /proc.  The figure is CPU
microseconds per request (median over phases) and the on/off ratio.

    python -m bench.logs_cost [--requests 2000] [--phases 4]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.servers import SUPERUSER_EMAIL, SUPERUSER_PASSWORD, Server, ServerKind

TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux
WRITER_INTERVAL = 3.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def prepare(client: httpx.Client) -> str:
    token = client.post("/api/collections/_superusers/auth-with-password",
                        json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}).json()["token"]
    client.headers["Authorization"] = token
    client.post("/api/collections", json={"name": "notes", "type": "base", "listRule": "", "viewRule": "",
                                          "fields": [{"name": "title", "type": "text"}]}).raise_for_status()
    for i in range(50):
        client.post("/api/collections/notes/records", json={"id": f"note{i:011d}", "title": f"note {i}"})
    return token


def phase(server: Server, client: httpx.Client, path: str, requests: int) -> float:
    assert server.proc is not None
    time.sleep(WRITER_INTERVAL + 0.5)  # the previous phase's entries are written before the clock starts
    before = cpu_seconds(server.proc.pid)
    for _ in range(requests):
        client.get(path).raise_for_status()
    time.sleep(WRITER_INTERVAL + 0.5)  # ... and this phase's are written before it stops
    return (cpu_seconds(server.proc.pid) - before) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.logs_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--phases", type=int, default=4, help="on/off pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(ServerKind.satchel(), Path(tmp) / "pb_data")
        server.upsert_superuser()
        server.start()
        try:
            with httpx.Client(base_url=server.base, timeout=30) as admin, \
                    httpx.Client(base_url=server.base, timeout=30) as guest:
                prepare(admin)
                for name, path in (("list", "/api/collections/notes/records?perPage=20&sort=-title"),
                                   ("view", "/api/collections/notes/records/note00000000007")):
                    cost: dict[str, list[float]] = {"on": [], "off": []}
                    for _ in range(args.phases):
                        for mode, days in (("on", 5), ("off", 0)):
                            admin.patch("/api/settings", json={"logs": {"maxDays": days}}).raise_for_status()
                            cost[mode].append(phase(server, guest, path, args.requests))
                    on, off = statistics.median(cost["on"]), statistics.median(cost["off"])
                    print(f"{name}: {on:.0f} us/request with logs on, {off:.0f} off: x{on / off:.3f} "
                          f"(phases on {[round(c) for c in cost['on']]}, off {[round(c) for c in cost['off']]})",
                          flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
