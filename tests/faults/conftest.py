"""Fault tests: a live ``satchel serve`` in a subprocess, started with a short read
timeout and, where a test needs it, a lowered open-file limit or a pre-made data dir."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PROJECT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
READ_TIMEOUT = 2.0  # SATCHEL_READ_TIMEOUT of the servers these tests start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Serve:
    proc: subprocess.Popen[bytes]
    base: str
    port: int
    data_dir: Path
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def spawn(
    data_dir: Path,
    *,
    port: int | None = None,
    env: dict[str, str] | None = None,
    nofile: tuple[int, int] | None = None,
    flags: tuple[str, ...] = (),
) -> Serve:
    """Start ``satchel serve`` (stdout and stderr to one log file) without waiting for it."""
    port = port or free_port()
    log = data_dir.parent / f"serve-{port}-{time.monotonic_ns()}.log"
    data_dir.parent.mkdir(parents=True, exist_ok=True)

    def limits() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "satchel", "serve", f"--http=127.0.0.1:{port}", f"--dir={data_dir}", *flags],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "SATCHEL_READ_TIMEOUT": str(READ_TIMEOUT), **(env or {})},
            cwd=PROJECT,
            preexec_fn=limits,
        )
    return Serve(proc, f"http://127.0.0.1:{port}", port, data_dir, log)


def wait_healthy(server: Serve, timeout: float = START_TIMEOUT) -> Serve:
    deadline = time.monotonic() + timeout
    while True:
        if server.proc.poll() is not None:
            raise AssertionError(f"satchel serve exited {server.proc.returncode}:\n{server.output}")
        try:
            if httpx.get(f"{server.base}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop(signal.SIGKILL)
            raise AssertionError(f"satchel serve did not answer in {timeout}s:\n{server.output}")
        time.sleep(0.03)


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    """Start servers (healthy) for a test; each is killed afterwards if still running."""
    started: list[Serve] = []

    def start(data_dir: Path | None = None, **kwargs: object) -> Serve:
        server = spawn(data_dir or tmp_path / "pb_data", **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return wait_healthy(server)

    yield start
    for server in started:
        server.stop(signal.SIGKILL)
