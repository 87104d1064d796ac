"""Start-up on a damaged or busy data dir: the cases, and what a server does with each.

The same code runs against PocketBase 0.40.6 (``python -m tests.faults.startup_support
/work/pbvenv/bin/pocketbase``, which prints the table tests/faults/test_startup.py holds)
and against ``satchel serve`` (the test).  Each case starts from a data dir the server
itself made, then breaks it:

- ``readonly``: the filesystem holding pb_data remounted read-only (the tests run as
  root, for whom file modes are no obstacle);
- ``missing``: data.db deleted (auxiliary.db and storage left);
- ``corrupt``: data.db overwritten with bytes that are not SQLite;
- ``locked``: another process holds a write transaction on data.db the whole time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

__all__ = ["CASES", "Outcome", "observe", "prepared"]

CASES = ("readonly", "missing", "corrupt", "locked")
WAIT = 15.0  # how long a start may take before we call it hung (PocketBase's busy timeout is 10 s... per statement)
LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS _lock_holder (x)")
print("locked", flush=True)
time.sleep(3600)
"""


@dataclass
class Outcome:
    serving: bool  # /api/health answered 200
    exit_code: int | None  # None: still running after WAIT (then stopped by us)
    health: int | None
    list_status: int | None  # GET /api/collections/users/records as a guest (a read)
    error_line: str  # the last stderr line when it exited, "" otherwise

    def as_json(self) -> str:
        return json.dumps(asdict(self))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _tmpfs(root: Path) -> Iterator[Path]:
    mnt = root / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fresh(cmd: Sequence[str], data_dir: Path) -> None:
    """A data dir made by the server under test (its ``superuser upsert`` creates it)."""
    subprocess.run([*cmd, "superuser", "upsert", "a@example.com", "1234567890", f"--dir={data_dir}"],
                   check=True, capture_output=True, timeout=60)


@contextmanager
def prepared(case: str, cmd: Sequence[str], root: Path) -> Iterator[Path]:
    """The broken data dir of ``case`` (under ``root``), restored/unlocked afterwards."""
    if case == "readonly":
        with _tmpfs(root) as mnt:
            data_dir = mnt / "pb_data"
            _fresh(cmd, data_dir)
            subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
            yield data_dir
        return
    data_dir = root / "pb_data"
    _fresh(cmd, data_dir)
    db = data_dir / "data.db"
    if case == "missing":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        yield data_dir
    elif case == "corrupt":
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        db.write_bytes(b"this is not an SQLite database\n" * 512)
        yield data_dir
    elif case == "locked":
        holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db)], stdout=subprocess.PIPE)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
            yield data_dir
        finally:
            holder.kill()
            holder.wait()
    else:
        raise ValueError(case)


def observe(cmd: Sequence[str], data_dir: Path, env: dict[str, str] | None = None) -> Outcome:
    """Start ``cmd serve`` on ``data_dir``; whether it serves (and a read) or how it exits."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*cmd, "serve", f"--http=127.0.0.1:{port}", f"--dir={data_dir}"],
                                stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **(env or {})})
        health = list_status = None
        deadline = time.monotonic() + WAIT
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    health = httpx.get(f"{base}/api/health", timeout=2).status_code
                except httpx.HTTPError:
                    time.sleep(0.1)
                    continue
                list_status = httpx.get(f"{base}/api/collections/users/records", timeout=5).status_code
                break
        finally:
            exit_code = proc.poll()
            if exit_code is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        err.seek(0)
        lines = err.read().decode(errors="replace").strip().splitlines()
    return Outcome(health == 200, exit_code, health, list_status, lines[-1] if exit_code is not None and lines else "")


if __name__ == "__main__":  # pragma: no cover - the capture against a binary
    binary = sys.argv[1:] or ["/work/pbvenv/bin/pocketbase"]
    for name in CASES:
        with tempfile.TemporaryDirectory() as tmp, prepared(name, binary, Path(tmp)) as data_dir:
            print(name, observe(binary, data_dir).as_json(), flush=True)
