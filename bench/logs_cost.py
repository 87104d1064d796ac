"""``python -m bench.logs_cost``: what a request costs the server with request logs on vs off.

Throughput on a shared machine swings far more than logging costs, so this measures
the server's own work instead: one ``satchel serve`` (one worker), a public
collection, then alternating phases of ``--requests`` sequential list (or view)
requests with ``settings.logs.maxDays`` 5 and 0.  Each phase runs its requests once
unmeasured first (a steady state: see :func:`steady`), and ends past the writer's 3 s
wait after the last entry so the batched inserts are counted too.  Two measures:

* default: the server's user+system CPU from /proc, microseconds per request
  (median over phases) -- wall-clock based, so it moves with the machine's load;
* ``--instructions``: the server runs under ``valgrind --tool=callgrind`` (all
  threads, the log writer's included); each phase zeroes the counters, runs its
  requests, waits for the writer and dumps them, giving instructions per request --
  repeatable whatever the load (about 50x slower, so fewer requests).  A logs-on
  phase also checks that every request's entry was written inside its window.

    python -m bench.logs_cost [--requests 2000] [--phases 4] [--instructions | --pocketbase]
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.servers import SUPERUSER_EMAIL, SUPERUSER_PASSWORD, Server, ServerKind, ensure_pocketbase

TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux
WRITER_INTERVAL = 3.0
WORKLOADS = (("list", "/api/collections/notes/records?perPage=20&sort=-title"),
             ("view", "/api/collections/notes/records/note00000000007"))

Phase = Callable[[Server, httpx.Client, httpx.Client, str, int, bool], float]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def prepare(client: httpx.Client) -> str:
    token: str = client.post("/api/collections/_superusers/auth-with-password",
                        json={"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}).json()["token"]
    client.headers["Authorization"] = token
    client.post("/api/collections", json={"name": "notes", "type": "base", "listRule": "", "viewRule": "",
                                          "fields": [{"name": "title", "type": "text"}]}).raise_for_status()
    for i in range(50):
        client.post("/api/collections/notes/records", json={"id": f"note{i:011d}", "title": f"note {i}"})
    return token


def steady(client: httpx.Client, path: str, requests: int) -> None:
    """The phase's requests once unmeasured, their entries written, then a start clear of
    the cron scheduler's tick.  Turning logs off VACUUMs the aux database, which makes
    SQLite prepare every statement on it again, so the first batches after a switch pay
    for preparing the INSERTs (~0.3-2.5 M instructions each) -- once per switch, not per
    request, and never in a server that keeps its settings: the measured phase sees what
    a running server pays.  The scheduler wakes at every minute boundary (~4.6 M
    instructions, ~9 k a request of a 500-request phase, logs on or off), so a phase that
    would span one starts just after it instead."""
    start = time.monotonic()
    for _ in range(requests):
        client.get(path).raise_for_status()
    window = time.monotonic() - start + 2 * WRITER_INTERVAL + 2  # the measured phase, as long as this one
    time.sleep(2 * WRITER_INTERVAL + 0.5)  # these entries (and the previous phase's) written before the clock starts
    now = time.time()
    tick = (now // 60 + 1) * 60
    if now + window > tick - 1:
        time.sleep(tick + 3 - now)


def cpu_phase(server: Server, admin: httpx.Client, client: httpx.Client, path: str, requests: int,
              logged: bool) -> float:
    """Server CPU microseconds per request."""
    assert server.proc is not None
    steady(client, path, requests)
    before = cpu_seconds(server.proc.pid)
    for _ in range(requests):
        client.get(path).raise_for_status()
    time.sleep(2 * WRITER_INTERVAL + 0.5)  # ... and this phase's (3 s after its last entry) before it stops
    return (cpu_seconds(server.proc.pid) - before) / requests * 1e6


def callgrind_kind(out_dir: Path) -> ServerKind:
    """``satchel serve`` under callgrind: all threads in one count (``--separate-threads=no``,
    the default), one worker so that one process does all the work."""
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    return ServerKind("satchel-callgrind",
                      ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out_dir}/cg.%p",
                       sys.executable, "-m", "satchel"), ("--workers=1",))


def latest_dump_total(out_dir: Path, pid: int) -> int:
    """The ``totals:`` (instructions) of the newest ``callgrind_control --dump`` file."""
    dumps = sorted(out_dir.glob(f"cg.{pid}.*"), key=lambda p: int(p.suffix[1:]))
    for line in dumps[-1].read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {dumps[-1]}")


def log_count(admin: httpx.Client) -> int:
    return int(admin.get("/api/logs", params={"perPage": 1}).json()["totalItems"])


def instructions_phase(out_dir: Path, server: Server, admin: httpx.Client, client: httpx.Client, path: str,
                       requests: int, logged: bool) -> float:
    """Server instructions per request (counters zeroed before the requests, dumped once
    the writer has had two intervals to write their entries)."""
    assert server.proc is not None
    pid = str(server.proc.pid)
    steady(client, path, requests)
    before = log_count(admin)
    subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
    for _ in range(requests):
        client.get(path).raise_for_status()
    time.sleep(2 * WRITER_INTERVAL + 0.5)
    subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
    total = latest_dump_total(out_dir, server.proc.pid)
    written = log_count(admin) - before  # /api/logs itself is not logged
    if written != (requests if logged else 0):
        raise RuntimeError(f"{written} entries written in the phase, expected {requests if logged else 0}")
    return total / requests


def warm_up(started: float) -> None:
    """Past the cron scheduler's first tick, which imports croniter (~50 M instructions,
    once): it lands a minute boundary after start-up, inside some phase otherwise."""
    first_tick = (started // 60 + 1) * 60
    time.sleep(max(0.0, first_tick + 5 - time.time()))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.logs_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, help="per phase (default 2000, 500 with --instructions)")
    parser.add_argument("--phases", type=int, help="on/off pairs (default 4, 2 with --instructions)")
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind")
    parser.add_argument("--keep", type=Path, help="with --instructions: keep callgrind's files in this folder")
    parser.add_argument("--only", choices=[name for name, _ in WORKLOADS], help="one workload")
    parser.add_argument("--pocketbase", action="store_true",
                        help="measure PocketBase 0.40.6 instead (CPU time only), for the reference's ratio")
    args = parser.parse_args()
    requests = args.requests or (500 if args.instructions else 2000)
    phases = args.phases or (2 if args.instructions else 4)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "pb_data"
        kind = ServerKind.pocketbase(ensure_pocketbase([])) if args.pocketbase else ServerKind.satchel()
        if args.pocketbase and args.instructions:
            sys.exit("--instructions counts Satchel's instructions only")
        Server(kind, data_dir).upsert_superuser()
        measure: Phase = cpu_phase
        unit = "us"
        if args.instructions:
            out_dir = args.keep or Path(tmp)
            out_dir.mkdir(parents=True, exist_ok=True)
            measure, kind, unit = functools.partial(instructions_phase, out_dir), callgrind_kind(out_dir), "instructions"
        server = Server(kind, data_dir)
        server.start(timeout=900)
        started = time.time()
        try:
            with httpx.Client(base_url=server.base, timeout=120) as admin, \
                    httpx.Client(base_url=server.base, timeout=120) as guest:
                prepare(admin)
                if args.instructions:
                    warm_up(started)
                for name, path in WORKLOADS:
                    if args.only and name != args.only:
                        continue
                    cost: dict[str, list[float]] = {"on": [], "off": []}
                    for _ in range(phases):
                        for mode, days in (("on", 5), ("off", 0)):
                            admin.patch("/api/settings", json={"logs": {"maxDays": days}}).raise_for_status()
                            cost[mode].append(measure(server, admin, guest, path, requests, days > 0))
                    on, off = statistics.median(cost["on"]), statistics.median(cost["off"])
                    print(f"{name}: {on:.0f} {unit}/request with logs on, {off:.0f} off: x{on / off:.3f} "
                          f"(phases on {[round(c) for c in cost['on']]}, off {[round(c) for c in cost['off']]})",
                          flush=True)
        finally:
            stop(server)


def stop(server: Server) -> None:
    """A clean stop (SIGTERM); callgrind makes shutting down slow, so wait longer than Server.stop."""
    if server.proc is None or server.proc.poll() is not None:
        return
    server.proc.terminate()
    try:
        server.proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)


if __name__ == "__main__":
    main()
