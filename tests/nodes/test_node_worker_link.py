"""The workers of one node on PostgreSQL also talk to each other over their relay: the
requests directed at worker 0 (the mail resend guard, OTP attempts, anonymous sign-ups)
or at every worker (realtime stats) are answered from any worker, and a settings change
is answered only once every sibling re-read it.  A worker whose link to the relay had no
loop left those requests unread: a verification mail asked on worker 1 was dropped after
5 s (the e2e mail test failed under load on PostgreSQL), and a sibling could answer with
the old SMTP settings right after the change."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from tests.auth_support import Inbox, smtp_server  # noqa: F401 - fixture
from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)
from tests.nodes.support import START, wait_workers
from tests.pg_support import drop_database, fresh_database

HEADER = {"SATCHEL_WORKER_HEADER": "1"}
STOPPED_FOR = 1.5  # seconds a sibling stays stopped while a settings change waits for it


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    name, url = fresh_database()
    data = tmp_path_factory.mktemp("link") / "pb_data"
    try:
        made = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}", f"--db={url}")
        assert made.returncode == 0, made.stderr
        server = start_serve(data, f"--db={url}", "--workers=2", env=HEADER, timeout=START)
        try:
            wait_workers(server, 2)
            yield server
        finally:
            assert stop_serve(server, timeout=15) == 0, server.stderr
    finally:
        drop_database(name)


def on_worker(node: LiveServer, member: int, token: str, timeout: float = 60) -> httpx.Client:
    """A client whose kept-alive connection is served by worker ``member``."""
    deadline = time.monotonic() + timeout
    while True:
        client = httpx.Client(base_url=node.base, timeout=20, headers={"Authorization": token})
        if client.get("/api/health").headers["x-satchel-worker"] == str(member):
            return client
        client.close()
        assert time.monotonic() < deadline, f"no connection reached worker {member}"


def worker_pids(node: LiveServer) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(node.proc.pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_requests_between_workers_are_answered(node: LiveServer, smtp_server: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp_server
    token = superuser_token(node.base)
    with closing(on_worker(node, 0, token)) as w0, closing(on_worker(node, 1, token)) as w1:
        r = w0.patch("/api/settings", json={"smtp": {"enabled": True, "host": "127.0.0.1", "port": port},
                                            "meta": {"senderAddress": "support@example.com"}})  # fmt: skip
        assert r.status_code == 200, r.text
        for w in (w0, w1):  # every worker asks both (2 s each)
            stats = w.get("/api/realtime/stats").json()
            assert (stats["workers"], stats["answered"]) == (2, 2), stats
        # the resend guard is decided by worker 0, whichever worker got the request
        for n, w in enumerate((w0, w1), start=1):
            email = f"link{n}@example.com"
            r = w.post("/api/collections/users/records",
                       json={"email": email, "password": "1234567890", "passwordConfirm": "1234567890"})  # fmt: skip
            assert r.status_code == 200, r.text
            r = w.post("/api/collections/users/request-verification", json={"email": email})
            assert (r.status_code, r.headers["x-satchel-worker"]) == (204, str(n - 1))
            assert email in str(inbox.wait(n, timeout=15)[n - 1]["To"])
    assert "timed out" not in node.stderr


def test_a_settings_change_waits_for_every_sibling(node: LiveServer) -> None:
    token = superuser_token(node.base)
    pids = worker_pids(node)
    assert len(pids) == 2, pids
    sibling = pids[1]
    os.kill(sibling, signal.SIGSTOP)  # the other worker alone accepts connections meanwhile
    resume = threading.Timer(STOPPED_FOR, os.kill, (sibling, signal.SIGCONT))
    resume.start()
    try:
        with httpx.Client(base_url=node.base, timeout=20, headers={"Authorization": token}) as c:
            changer = c.get("/api/health").headers["x-satchel-worker"]
            started = time.monotonic()
            r = c.patch("/api/settings", json={"meta": {"appName": "Changed once"}})
            waited = time.monotonic() - started
        assert r.status_code == 200, r.text
        assert waited >= STOPPED_FOR - 0.2, f"answered in {waited:.2f}s, before the stopped sibling re-read it"
    finally:
        resume.join()
        os.kill(sibling, signal.SIGCONT)
    other = 1 - int(changer)
    with closing(on_worker(node, other, token)) as w:
        assert w.get("/api/settings").json()["meta"]["appName"] == "Changed once"

