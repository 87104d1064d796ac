"""Private Redis and NATS servers for the bus tests, each on a free port of 127.0.0.1.

The binaries come from Debian's packages ``redis-server`` and ``nats-server``;
``tests/install_buses.sh`` installs them when missing (as root) or the test fails with
its message: the bus tests are never skipped.  A private server (not the machine's on
6379/4222) can be stopped and started again by a test without disturbing others.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["BusServer", "bus_server", "free_port"]

_SCRIPT = Path(__file__).parent / "install_buses.sh"
_PATH = os.environ.get("PATH", "") + ":/usr/sbin:/usr/local/sbin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str) -> str:
    found = shutil.which(name, path=_PATH)
    if found is None:
        done = subprocess.run(["bash", str(_SCRIPT)], capture_output=True, text=True, check=False)
        found = shutil.which(name, path=_PATH)
        if done.returncode != 0 or found is None:
            pytest.fail(f"{name} is needed and could not be installed:\n{done.stderr}", pytrace=False)
    return found


class BusServer:
    """A redis-server or nats-server of the test's own; :meth:`restart` keeps its port."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0" if kind == "redis" else f"nats://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def _command(self) -> list[str]:
        if self.kind == "redis":
            return [_binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", str(self.workdir)]  # fmt: skip
        # a small max_payload (1 MB by default) so that the tests see messages cut in parts
        config = self.workdir / "nats.conf"
        config.write_text("max_payload: 65536\n")
        return [_binary("nats-server"), "-a", "127.0.0.1", "-p", str(self.port), "-c", str(config)]

    def start(self) -> None:
        self._proc = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{self.kind} server did not start on port {self.port}", pytrace=False)
                time.sleep(0.02)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def restart(self, pause: float = 0.0) -> None:
        self.stop()
        time.sleep(pause)
        self.start()


@pytest.fixture(params=["redis", "nats"])
def bus_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BusServer]:
    """A private Redis, then a private NATS server, for one test."""
    server = BusServer(str(request.param), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
