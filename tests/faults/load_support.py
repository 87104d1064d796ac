"""Concurrent writers against a live server for the SIGTERM and kill -9 tests: each
thread creates records (one in four through ``/api/batch``) and keeps the ids the server
acknowledged, so a restart can check every one of them is there."""

from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import apsw
import httpx

__all__ = ["EMAIL", "PASSWORD", "Writers", "make_collection", "stored_ids", "superuser_token", "upsert_superuser"]

EMAIL, PASSWORD = "faults@example.com", "faults-password-1"
COLLECTION = "notes"


def upsert_superuser(data_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "satchel", "superuser", "upsert", EMAIL, PASSWORD, f"--dir={data_dir}"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def superuser_token(base: str) -> str:
    r = httpx.post(
        f"{base}/api/collections/_superusers/auth-with-password", json={"identity": EMAIL, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def make_collection(base: str, token: str) -> None:
    body = {"name": COLLECTION, "type": "base", "createRule": "", "listRule": "", "fields": [{"name": "n", "type": "text"}]}
    r = httpx.post(f"{base}/api/collections", json=body, headers={"Authorization": token})
    assert r.status_code == 200, r.text
    r = httpx.patch(f"{base}/api/settings", json={"batch": {"enabled": True, "maxRequests": 10}}, headers={"Authorization": token})
    assert r.status_code == 200, r.text


def stored_ids(data_dir: Path) -> tuple[set[str], str]:
    """The ids in the collection's table and ``PRAGMA integrity_check``, read from the file."""
    conn = apsw.Connection(str(data_dir / "data.db"))
    try:
        ids = {row[0] for row in conn.execute(f"SELECT id FROM `{COLLECTION}`")}
        check = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()
    return ids, check


@dataclass
class Writers:
    base: str
    threads: int = 4
    acknowledged: set[str] = field(default_factory=set)
    server_errors: list[str] = field(default_factory=list)  # 5xx answers other than the 503 of a shutdown
    failures: int = 0  # transport errors (the server went away): not acknowledged, nothing to check
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for i in range(self.threads):
            thread = threading.Thread(target=self._run, args=(i,), daemon=True)
            thread.start()
            self._running.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._running:
            thread.join(30)

    def _run(self, worker: int) -> None:
        url = f"{self.base}/api/collections/{COLLECTION}/records"
        n = 0
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                n += 1
                try:
                    if n % 4 == 0:
                        requests = [{"method": "POST", "url": url[len(self.base):], "body": {"n": f"{worker}-{n}-{k}"}} for k in range(3)]
                        r = client.post(f"{self.base}/api/batch", json={"requests": requests})
                        ids = [item["body"]["id"] for item in r.json()] if r.status_code == 200 else []
                    else:
                        r = client.post(url, json={"n": f"{worker}-{n}"})
                        ids = [r.json()["id"]] if r.status_code == 200 else []
                except httpx.HTTPError:
                    with self._lock:
                        self.failures += 1
                    continue
                with self._lock:
                    self.acknowledged.update(ids)
                    if r.status_code >= 500 and not (r.status_code == 503 and r.json().get("status") == 503):
                        self.server_errors.append(f"{r.status_code} {r.text[:200]}")
