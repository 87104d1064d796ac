"""Running the real ``satchel`` entry point in subprocesses: one-shot commands, ``serve``
(started, waited for on /api/health, stopped with SIGTERM) and Node scripts."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "EMAIL",
    "JS_DIR",
    "PASSWORD",
    "LiveServer",
    "free_port",
    "run_node",
    "satchel",
    "start_serve",
    "stop_serve",
    "superuser_token",
]

EMAIL, PASSWORD = "admin@example.com", "1234567890"
JS_DIR = Path(__file__).parent / "js"
PROJECT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, **(extra or {})}


def satchel(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """``python -m satchel ARGS`` from the project's interpreter, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "satchel", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(env),
        cwd=PROJECT,
    )


@dataclass
class LiveServer:
    """A running ``satchel serve``; stdout and stderr go to files (a full pipe would block it)."""

    base: str
    data_dir: Path
    proc: subprocess.Popen[bytes]
    stdout_path: Path
    stderr_path: Path
    returncode: int | None = field(default=None)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def start_serve(
    data_dir: Path,
    *flags: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
    timeout: float | None = None,
) -> LiveServer:
    """Start ``satchel serve --http=127.0.0.1:<port> --dir=<data_dir> FLAGS`` and wait until it
    answers (``timeout``: START_TIMEOUT unless given; a loaded machine starts several slowly)."""
    start_timeout = timeout or START_TIMEOUT
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    logs = data_dir.parent
    logs.mkdir(parents=True, exist_ok=True)
    stdout_path = logs / f"serve-{port}.out"
    stderr_path = logs / f"serve-{port}.err"
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "satchel",
                "serve",
                f"--http=127.0.0.1:{port}",
                f"--dir={data_dir}",
                *flags,
            ],
            stdout=out,
            stderr=err,
            env=_env(env),
            cwd=PROJECT,
        )
    server = LiveServer(base, data_dir, proc, stdout_path, stderr_path)
    deadline = time.monotonic() + start_timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"satchel serve exited {proc.returncode}:\n{server.stdout}\n{server.stderr}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError(
                f"satchel serve did not answer in {start_timeout}s:\n{server.stdout}\n{server.stderr}"
            )
        time.sleep(0.03)
    # the banner is printed right after the listener is up; give it a moment to be flushed
    while "Server started at" not in server.stdout and time.monotonic() < deadline:
        time.sleep(0.02)
    return server


def stop_serve(server: LiveServer, timeout: float = STOP_TIMEOUT) -> int:
    """SIGTERM, then the exit status (a server still running after ``timeout`` is killed: -9)."""
    if server.returncode is not None:
        return server.returncode
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.returncode = server.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        server.returncode = -9
    return server.returncode


def superuser_token(base: str, email: str = EMAIL, password: str = PASSWORD) -> str:
    r = httpx.post(
        f"{base}/api/collections/_superusers/auth-with-password",
        json={"identity": email, "password": password},
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


def run_node(
    script: str, base: str, env: dict[str, str] | None = None, timeout: float = 30
) -> dict[str, Any]:
    """Run ``node js/SCRIPT`` with PB_URL (and PB_EMAIL/PB_PASSWORD) set; its last stdout line is JSON."""
    r = subprocess.run(
        ["node", str(JS_DIR / script)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=JS_DIR,
        env={**os.environ, "PB_URL": base, "PB_EMAIL": EMAIL, "PB_PASSWORD": PASSWORD, **(env or {})},
    )
    assert r.returncode == 0, f"node {script} exited {r.returncode}:\n{r.stderr}\n{r.stdout}"
    lines = r.stdout.strip().splitlines()
    assert lines, f"node {script} printed nothing:\n{r.stderr}"
    out: dict[str, Any] = json.loads(lines[-1])
    return out


@contextmanager
def serving(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """``satchel serve`` on ``data_dir`` for a block; it must exit 0 on SIGTERM afterwards."""
    server = start_serve(data_dir, env=env)
    try:
        yield server
    finally:
        status = stop_serve(server)
        assert status == 0, f"satchel serve did not exit cleanly on SIGTERM ({status}):\n{server.stderr}"
