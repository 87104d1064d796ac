"""Load generators: ``wrk`` (preferred) and a small built-in asyncio fallback.

Both take the same :class:`Plan` and return the same :class:`LoadResult`, so a workload is
written once.  Throughput counts only 2xx answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.http1 import Connection

__all__ = ["LoadResult", "Plan", "ensure_wrk", "run_plan"]

LUA_SCRIPT = Path(__file__).parent / "lua" / "plan.lua"
LOAD_CORE = "1"


@dataclass(frozen=True)
class Plan:
    """What to send: one method, paths used round-robin, fixed headers and body."""

    method: str
    paths: tuple[str, ...]
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    exhaust: bool = False  # stop once every path was sent once (a pool of records to delete)
    concurrency: int = 32


@dataclass(frozen=True)
class LoadResult:
    requests: int
    ok: int
    bad: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    tool: str

    @property
    def rps(self) -> float:
        return self.ok / self.duration_s if self.duration_s > 0 else 0.0


def ensure_wrk(log: list[str]) -> str | None:
    """Path of ``wrk``, installing Debian's package when missing and we may (root, apt-get)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        log.append("wrk missing and cannot apt-get it: using the built-in load generator")
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "install", "-y", "-qq", "wrk"], ["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if shutil.which("wrk"):
            break
    found = shutil.which("wrk")
    if not found:
        log.append("apt-get install wrk failed: using the built-in load generator")
    return found


def _lua_str(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def plan_to_lua(plan: Plan) -> str:
    paths = ",\n".join(f"  {_lua_str(p)}" for p in plan.paths)
    headers = ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in plan.headers.items())
    body = _lua_str(plan.body) if plan.body is not None else "nil"
    return (
        f"return {{\n method = {_lua_str(plan.method)},\n paths = {{\n{paths}\n }},\n"
        f" headers = {{ {headers} }},\n body = {body},\n exhaust = {'true' if plan.exhaust else 'false'},\n}}\n"
    )


def _taskset(argv: list[str], core: str) -> list[str]:
    if os.environ.get("BENCH_WHOLE_MACHINE") == "1":  # see bench.servers.whole_machine
        return argv
    return ["taskset", "-c", core, *argv] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else argv


def run_wrk(wrk: str, base_url: str, plan: Plan, duration: float) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(plan_to_lua(plan))
        plan_file = fh.name
    try:
        seconds = max(1, round(duration))
        argv = _taskset([wrk, "-t1", f"-c{plan.concurrency}", f"-d{seconds}s", "--timeout", "10s",
                         "-s", str(LUA_SCRIPT), base_url], LOAD_CORE)
        proc = subprocess.run(argv, env={**os.environ, "BENCH_PLAN": plan_file}, capture_output=True,
                              text=True, timeout=seconds + 60, check=False)
    finally:
        os.unlink(plan_file)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        requests=int(data["requests"]),
        ok=int(data["ok"]),
        bad=int(data["bad"]) + int(data["socket_errors"]),
        duration_s=int(data["duration_us"]) / 1e6,
        p50_ms=int(data["p50_us"]) / 1000,
        p99_ms=int(data["p99_us"]) / 1000,
        tool="wrk",
    )


async def _run_python(host: str, port: int, plan: Plan, duration: float) -> LoadResult:
    body = plan.body.encode() if plan.body is not None else None
    latencies: list[float] = []
    counts = {"ok": 0, "bad": 0, "sent": 0}
    start = time.perf_counter()
    deadline = start + duration

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                index = counts["sent"]
                if plan.exhaust and index >= len(plan.paths):
                    return
                counts["sent"] += 1
                t0 = time.perf_counter()
                try:
                    response = await conn.request(plan.method, plan.paths[index % len(plan.paths)],
                                                  plan.headers, body)
                except (OSError, asyncio.IncompleteReadError):
                    counts["bad"] += 1
                    conn.close()
                    continue
                latencies.append(time.perf_counter() - t0)
                counts["ok" if 200 <= response.status < 300 else "bad"] += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(plan.concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0

    return LoadResult(counts["sent"], counts["ok"], counts["bad"], elapsed, pct(0.5), pct(0.99), "python")


def run_plan(wrk: str | None, host: str, port: int, plan: Plan, duration: float) -> LoadResult:
    """Drive ``plan`` for ``duration`` seconds with wrk when given, else the built-in generator."""
    if wrk:
        return run_wrk(wrk, f"http://{host}:{port}", plan, duration)
    return asyncio.run(_run_python(host, port, plan, duration))
