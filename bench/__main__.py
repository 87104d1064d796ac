"""``python -m bench``: Satchel and PocketBase side by side.

    python -m bench                 # full: 20k posts, 3 rounds x 5 s per workload
    python -m bench --quick         # a few seconds per workload, smaller data
    python -m bench --only view,list-count
    python -m bench --smoke --satchel-only --loadgen python   # what the test suite runs
    python -m bench --whole-machine # nothing pinned: serve --workers at its default vs PocketBase
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import Plan, ensure_wrk, run_plan
from bench.profile import Profiler
from bench.realtime import run_fanout, run_idle
from bench.report import Row, format_table, machine_info, write_json
from bench.seed import Dataset, SeedReport, Sizes, build_dataset, create_records, seed
from bench.servers import PB_VERSION, Server, ServerKind, can_pin, ensure_pocketbase, pin_self
from bench.workloads import HTTP_WORKLOADS, SPECIAL_WORKLOADS, Target, Workload, probe_shape, shape_verdict

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Mode:
    name: str
    sizes: Sizes
    rounds: int
    duration: float
    subscribers: int
    idle_connections: int
    delete_pool: int  # records to delete per round
    # a start takes a fraction of a second and swings with the machine (±20 % from one start
    # to the next on a shared box): more rounds than the load workloads, alternating servers
    startup_rounds: int


MODES = {
    "full": Mode("full", Sizes(10, 100, 20_000, 20_000), 3, 5.0, 2000, 10_000, 6000, 9),
    "quick": Mode("quick", Sizes(5, 20, 2_000, 2_000), 2, 2.0, 2000, 2000, 3000, 5),
    "smoke": Mode("smoke", Sizes(2, 4, 60, 60), 1, 0.3, 20, 20, 30, 1),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data, 2 rounds of 2 s")
    parser.add_argument("--smoke", action="store_true", help="tiny data, 1 round of 0.3 s (the test suite)")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--whole-machine", action="store_true",
                        help="pin nothing: both servers (Satchel with its default --workers) use every core")
    parser.add_argument("--satchel-only", action="store_true", help="do not download or run PocketBase")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto",
                        help="auto: wrk when present or installable, else the built-in generator")
    parser.add_argument("--rounds", type=int, help="override the mode's rounds")
    parser.add_argument("--duration", type=float, help="override the mode's seconds per round")
    parser.add_argument("--subscribers", type=int, help="override the realtime subscriber count")
    parser.add_argument("--connections", type=int, help="override the idle realtime connection count")
    parser.add_argument("--logs", choices=("on", "off"), default="on",
                        help="request logs (settings.logs.maxDays 5, the default, or 0) during the workloads")
    parser.add_argument("--profile", default="", help="py-spy record Satchel during this workload's first round")
    parser.add_argument("--out", type=Path, help="JSON output (default bench/results/<date>-<mode>.json)")
    parser.add_argument("--list", action="store_true", help="list workloads and exit")
    return parser.parse_args(argv)


def all_names() -> list[str]:
    return [w.name for w in HTTP_WORKLOADS] + [s[0] for s in SPECIAL_WORKLOADS]


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def interleave(servers: list[Server], round_no: int) -> Iterator[Server]:
    """A, B, A, B...: every round runs both servers back to back, always in the same order."""
    yield from servers


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        base = MODES["smoke" if args.smoke else "quick" if args.quick else "full"]
        self.mode = Mode(base.name, base.sizes, args.rounds or base.rounds, args.duration or base.duration,
                         args.subscribers or base.subscribers, args.connections or base.idle_connections,
                         base.delete_pool, args.rounds or base.startup_rounds)
        self.only = {n.strip() for n in args.only.split(",") if n.strip()} or set(all_names())
        unknown = self.only - set(all_names())
        if unknown:
            raise SystemExit(f"unknown workload(s): {', '.join(sorted(unknown))}; try --list")
        self.log: list[str] = []
        self.kinds: list[ServerKind] = [ServerKind.satchel()]
        self.servers: list[Server] = []
        self.targets: dict[str, Target] = {}
        self.seeds: dict[str, SeedReport] = {}
        self.rows: list[Row] = []
        self.wrk: str | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="satchel-bench-"))
        self.dataset: Dataset = build_dataset(self.mode.sizes)

    # -- set-up ------------------------------------------------------------------------------
    def prepare(self) -> None:
        raise_fd_limit()
        # Satchel as a pip install leaves it: bytecode and the dataclass cache on disk (an
        # editable install under PYTHONDONTWRITEBYTECODE would compile every module at each start)
        subprocess.run([sys.executable, "-m", "satchel.precompile"], check=True, timeout=300)
        if not self.args.satchel_only:
            self.kinds.append(ServerKind.pocketbase(ensure_pocketbase(self.log)))
        if self.args.loadgen != "python":
            self.wrk = ensure_wrk(self.log)
            if self.wrk is None and self.args.loadgen == "wrk":
                raise SystemExit("wrk requested but not available")
        for line in self.log:
            say(line)

    def row_for(self, name: str) -> Row:
        for w in HTTP_WORKLOADS:
            if w.name == name:
                return Row(w.name, w.description, w.unit, w.better, w.floor, w.goal)
        special = next(s for s in SPECIAL_WORKLOADS if s[0] == name)
        return Row(name, name.replace("-", " "), special[1], special[2], special[3], special[4])

    def measure_startup(self) -> None:
        row = self.row_for("startup")
        for round_no in range(self.mode.startup_rounds):
            for kind in self.kinds:
                server = Server(kind, self.workdir / f"startup-{kind.name}-{round_no}" / "pb_data")
                try:
                    row.rounds[kind.name].append(server.start() * 1000)
                finally:
                    server.stop()
        row.verdicts = {k.name: "ok" for k in self.kinds}
        self.rows.append(row)

    def start_servers(self) -> None:
        rss = self.row_for("idle-rss")
        for kind in self.kinds:
            server = Server(kind, self.workdir / f"main-{kind.name}" / "pb_data")
            server.upsert_superuser()
            server.start()
            self.servers.append(server)
            say(f"{kind.name} on {server.base} (pid {server.proc.pid if server.proc else '?'})")
        time.sleep(1.0)
        for server in self.servers:
            rss.rounds[server.name].append(server.rss_mb())
            rss.verdicts[server.name] = "ok"
        if "idle-rss" in self.only:
            self.rows.append(rss)

    def seed_all(self) -> None:
        for server in self.servers:
            say(f"seeding {server.name}: {self.mode.sizes}")
            report = seed(server, self.dataset)
            self.seeds[server.name] = report
            say(f"  {server.name}: {report.seconds:.1f}s, batch={report.batch}, ok={report.ok} "
                + ("; ".join(report.errors))[:300])
            self.targets[server.name] = Target(server.name, server.host, server.port, report.user_token,
                                               report.superuser_token, report.cover_file)

    def set_logs(self) -> None:
        """``--logs off``: every server stops writing request logs (``maxDays: 0``)."""
        if self.args.logs == "on":
            return
        for server in self.servers:
            token = self.targets[server.name].superuser_token
            r = httpx.patch(f"{server.base}/api/settings", json={"logs": {"maxDays": 0}},
                            headers={"Authorization": token}, timeout=30)
            say(f"{server.name}: request logs off ({r.status_code})")

    # -- workloads ---------------------------------------------------------------------------
    def run_http(self, workload: Workload) -> None:
        row = self.row_for(workload.name)
        if workload.name == "delete":
            self.fill_delete_pools()
        plans = {s.name: workload.build(self.targets[s.name], self.dataset, 0) for s in self.servers}
        row.expected = workload.expect(self.dataset) if workload.expect else None
        row.shapes = {name: probe_shape(self.targets[name], plan) for name, plan in plans.items()}
        row.verdicts = shape_verdict(row.expected, row.shapes)
        for name, report in self.seeds.items():
            if workload.needs_seed and not report.ok and row.verdicts.get(name) != "ok":
                row.verdicts[name] = f"n/a ({name}: {report.error_status} while seeding)"
        if workload.name == "delete":  # the probe used each pool's first id
            for target in self.targets.values():
                target.delete_pool = target.delete_pool[1:]
        say(f"{workload.name}: shapes {row.verdicts}")
        for round_no in range(self.mode.rounds):
            for server in interleave(self.servers, round_no):
                if row.verdicts.get(server.name) != "ok":
                    continue
                target = self.targets[server.name]
                plan = workload.build(target, self.dataset, round_no)
                if workload.name == "delete":
                    plan = self.delete_round(plan, round_no)
                profiling = self.start_profile(server, workload.name, round_no)
                result = run_plan(self.wrk, server.host, server.port, plan, self.mode.duration)
                self.stop_profile(profiling)
                row.rounds[server.name].append(result.rps)
                # an exhausted pool under wrk means idle time inside the window: a lower bound only
                exhausted = plan.exhaust and result.ok + result.bad >= len(plan.paths)
                row.details[server.name].append({"rps": round(result.rps, 1), "p50_ms": result.p50_ms,
                                                 "p99_ms": result.p99_ms, "ok": result.ok, "bad": result.bad,
                                                 "seconds": round(result.duration_s, 3), "tool": result.tool,
                                                 "pool_exhausted": exhausted})
                if exhausted and result.tool == "wrk":
                    say("  (pool exhausted before the end: this round's rate is a lower bound)")
                say(f"  round {round_no + 1} {server.name}: {result.rps:,.0f} req/s "
                    f"(p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, non-2xx {result.bad})")
        self.rows.append(row)

    def delete_round(self, plan: Plan, round_no: int) -> Plan:
        per_round = max(1, len(plan.paths) // self.mode.rounds)
        return replace(plan, paths=plan.paths[round_no * per_round:(round_no + 1) * per_round])

    def pool_size(self, server: str) -> int:
        """Records to delete per round: wrk always runs the full duration, so the pool must outlast it.

        Sized from the server's measured create rate (deletes run at a similar speed), with margin.
        """
        create = next((r for r in self.rows if r.name == "create"), None)
        rate = max(create.rounds.get(server) or [0.0]) if create else 0.0
        return max(self.mode.delete_pool, int(rate * 2.0 * self.mode.duration))

    def fill_delete_pools(self) -> None:
        """Own comments to delete: left over from the create workload, topped up by seeding."""
        user = self.dataset.bench_user
        for server in self.servers:
            need = self.pool_size(server.name) * self.mode.rounds + 1
            target = self.targets[server.name]
            ids = self.list_ids(target, f"author = '{user['id']}' && message = 'bench-create'", need)
            missing = need - len(ids)
            if missing > 0 and target.user_token:
                say(f"  {server.name}: creating {missing} comments for the delete pool")
                extra = [{"id": f"del{server.port % 100:02d}{n:010d}", "post": self.dataset.posts[0]["id"],
                          "author": user["id"], "message": "bench-delete"} for n in range(missing)]
                try:
                    with httpx.Client(base_url=server.base, timeout=60,
                                      headers={"Authorization": target.superuser_token}) as client:
                        create_records(server, client, target.superuser_token, "comments", extra,
                                       self.seeds[server.name].batch)
                    ids += [r["id"] for r in extra]
                except Exception as exc:  # noqa: BLE001 - reported, the shape check will show it
                    say(f"  {server.name}: delete pool top-up failed: {exc}")
            target.delete_pool = ids[:need]

    @staticmethod
    def list_ids(target: Target, filter_: str, limit: int) -> list[str]:
        ids: list[str] = []
        with httpx.Client(base_url=target.base, timeout=60,
                          headers={"Authorization": target.superuser_token}) as client:
            page = 1
            while len(ids) < limit:
                response = client.get("/api/collections/comments/records",
                                      params={"filter": filter_, "perPage": 1000, "page": page,
                                              "skipTotal": 1, "fields": "id", "sort": "id"})
                if response.status_code != 200:
                    break
                items = response.json().get("items", [])
                ids += [i["id"] for i in items]
                if len(items) < 1000:
                    break
                page += 1
        return ids

    def run_fanout(self) -> None:
        row = self.row_for("realtime-fanout")
        user = self.dataset.bench_user
        results: dict[str, list[Any]] = {s.name: [] for s in self.servers}
        for round_no in range(self.mode.rounds):
            for server in interleave(self.servers, round_no):
                target = self.targets[server.name]
                if round_no and row.verdicts.get(server.name) != "ok":
                    continue
                result = run_fanout(server.host, server.port, target.user_token, self.mode.subscribers,
                                    self.dataset.posts[0]["id"], user["id"], round_no)
                results[server.name].append(result)
                say(f"  round {round_no + 1} {server.name}: {result.received}/{result.subscribers} in "
                    f"{result.max_ms:.0f} ms (p50 {result.p50_ms:.0f} ms, load generator CPU "
                    f"{result.harness_cpu_ms:.0f} ms) {result.error}")
            if round_no == 0:
                row.shapes = {name: r[0].shape() for name, r in results.items()}
                expected = {"status": 200, "connected": self.mode.subscribers, "received": self.mode.subscribers}
                row.expected = expected
                row.verdicts = shape_verdict(expected, row.shapes)
        for name, found in results.items():
            if row.verdicts.get(name) == "ok":
                row.rounds[name] = [r.max_ms for r in found]
                row.details[name] = [vars(r) for r in found]
        self.rows.append(row)

    def run_idle(self) -> None:
        """Memory per idle subscribed stream, and whether every one of them is held (one round:
        the servers keep what they allocated, so a second round would measure reuse)."""
        row = self.row_for("realtime-idle")
        n = self.mode.idle_connections
        for server in self.servers:
            target = self.targets[server.name]
            result = run_idle(server.host, server.port, target.user_token, n, lambda s=server: s.rss_mb() * 1024)
            say(f"  {server.name}: {result.held}/{n} streams held, {result.kb_per_connection:.2f} KB each "
                f"{result.error}")
            row.shapes[server.name] = result.shape()
            row.details[server.name] = [vars(result)]
            row.rounds[server.name] = [result.kb_per_connection]
        row.expected = {"status": 200, "held": n}
        row.verdicts = shape_verdict(row.expected, row.shapes)
        self.rows.append(row)

    def rss_after_load(self) -> None:
        row = self.row_for("rss-after-load")
        for server in self.servers:
            row.rounds[server.name].append(server.rss_mb())
            row.verdicts[server.name] = "ok"
        self.rows.append(row)

    # -- profiling ---------------------------------------------------------------------------
    def start_profile(self, server: Server, workload: str, round_no: int) -> Profiler | None:
        if self.args.profile != workload or server.name != "satchel" or round_no or server.proc is None:
            return None
        out = RESULTS / f"profile-{workload}.txt"
        say(f"  profiling satchel into {out}")
        return Profiler(server.proc.pid, out)

    @staticmethod
    def stop_profile(profiler: Profiler | None) -> None:
        if profiler is not None:
            print(profiler.stop(), flush=True)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> Path:
        started = time.time()
        self.prepare()
        pinned = pin_self() and can_pin()
        say(f"mode {self.mode.name}, load generator {'wrk' if self.wrk else 'built-in python'}, "
            f"pinned={pinned}, servers {[k.name for k in self.kinds]}")
        try:
            if "startup" in self.only:
                self.measure_startup()
            self.start_servers()
            steps: list[Callable[[], None]] = []
            needs_data = self.only - {"startup", "idle-rss", "rss-after-load"}
            if needs_data:
                steps += [self.seed_all, self.set_logs]
            steps += [partial(self.run_http, w) for w in HTTP_WORKLOADS if w.name in self.only]
            if "realtime-fanout" in self.only:
                steps.append(self.run_fanout)
            if "realtime-idle" in self.only:
                steps.append(self.run_idle)
            if "rss-after-load" in self.only:
                steps.append(self.rss_after_load)
            for step in steps:
                step()
        finally:
            for server in self.servers:
                server.stop()
        return self.finish(started, pinned)

    def finish(self, started: float, pinned: bool) -> Path:
        order = {name: i for i, name in enumerate(["startup", "idle-rss", *[w.name for w in HTTP_WORKLOADS],
                                                   "realtime-fanout", "realtime-idle", "rss-after-load"])}
        self.rows.sort(key=lambda r: order[r.name])
        meta = {
            "machine": machine_info(), "mode": self.mode.name, "rounds": self.mode.rounds,
            "duration_s": self.mode.duration, "subscribers": self.mode.subscribers,
            "idle_connections": self.mode.idle_connections,
            "sizes": vars(self.mode.sizes), "servers": [k.name for k in self.kinds],
            "pocketbase_version": PB_VERSION if len(self.kinds) > 1 else None,
            "load_generator": "wrk" if self.wrk else "python", "pinned": pinned, "logs": self.args.logs,
            "whole_machine": bool(self.args.whole_machine),
            "seed": {name: vars(r) | {"user_token": bool(r.user_token), "superuser_token": bool(r.superuser_token)}
                     for name, r in self.seeds.items()},
            "elapsed_s": round(time.time() - started, 1), "log": self.log,
        }
        out = self.args.out or RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.mode.name}.json"
        write_json(out, meta, self.rows)
        print()
        print(format_table(self.rows))
        print(f"\nJSON: {out}  ({meta['elapsed_s']} s)")
        shutil.rmtree(self.workdir, ignore_errors=True)
        return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for w in HTTP_WORKLOADS:
            print(f"{w.name:24} {w.description}")
        for name, unit, *_ in SPECIAL_WORKLOADS:
            print(f"{name:24} ({unit})")
        return 0
    if args.whole_machine:
        os.environ["BENCH_WHOLE_MACHINE"] = "1"  # read by bench.servers and bench.loadgen
    Bench(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
