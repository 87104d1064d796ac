"""A real S3-compatible server for the tests: ``moto_server`` on loopback, one per session."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from satchel.tools.security import random_string_with_alphabet

__all__ = ["MotoS3", "bucket_keys", "moto_s3", "new_bucket"]


@dataclass(frozen=True)
class MotoS3:
    endpoint: str
    access_key: str = "AKIDSATCHEL"
    secret: str = "SKSATCHEL"
    region: str = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _moto_command(port: int) -> list[str]:
    exe = Path(sys.executable).parent / "moto_server"
    if exe.exists():
        return [str(exe), "-H", "127.0.0.1", "-p", str(port)]
    found = shutil.which("moto_server")
    if found:
        return [found, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    import moto.server  # noqa: F401  (moto[server] is in the test extra: fail, never skip, without it)

    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(_moto_command(port), stdout=out, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"moto_server exited {proc.returncode}: {log.read_text()}")
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise AssertionError("moto_server did not start") from None
                time.sleep(0.1)
        yield MotoS3(endpoint)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def new_bucket(s3: MotoS3) -> str:
    """A fresh empty bucket (moto accepts unsigned requests)."""
    name = "satchel-" + random_string_with_alphabet(10, "abcdefghijklmnopqrstuvwxyz0123456789")
    r = httpx.put(f"{s3.endpoint}/{name}")
    assert r.status_code == 200, r.text
    return name


def bucket_keys(s3: MotoS3, bucket: str) -> list[str]:
    import re

    r = httpx.get(f"{s3.endpoint}/{bucket}?list-type=2")
    return sorted(re.findall(r"<Key>([^<]+)</Key>", r.text))
