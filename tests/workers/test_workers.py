"""``satchel serve --workers=2``: what one worker changes, every worker knows before the
response; realtime crosses workers; rate limits count a client once; writes of many
concurrent clients never meet ``database is locked``; a worker killed with SIGKILL is
restarted and no acknowledged write is lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.e2e.serve_support import LiveServer, run_node, superuser_token
from tests.workers.conftest import WORKERS


def fresh(server: LiveServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request on a new connection: the kernel hands it to any worker."""
    with httpx.Client(base_url=server.base, timeout=10) as client:
        return client.request(method, path, **kwargs)


def worker_of(response: httpx.Response) -> int:
    return int(response.headers["x-satchel-worker"])


@pytest.fixture(scope="module")
def token(workers_server: LiveServer) -> str:
    return superuser_token(workers_server.base)


def create_collection(server: LiveServer, token: str, name: str, **extra: Any) -> httpx.Response:
    body = {"name": name, "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}], **extra}  # fmt: skip
    return fresh(server, "POST", "/api/collections", json=body, headers={"Authorization": token})


def test_schema_and_settings_changes_are_seen_by_every_worker_at_once(workers_server: LiveServer, token: str) -> None:
    seen: set[int] = set()
    for i in range(8):
        r = create_collection(workers_server, token, f"schema{i}")
        assert r.status_code == 200, r.text
        made_by = worker_of(r)
        # the very next requests, on any worker, know the new collection
        for _ in range(4):
            listed = fresh(workers_server, "GET", f"/api/collections/schema{i}/records")
            assert listed.status_code == 200, listed.text
            seen.add(worker_of(listed))
        seen.add(made_by)
        # a rule change too: listing becomes superuser-only everywhere
        r = fresh(workers_server, "PATCH", f"/api/collections/schema{i}", json={"listRule": None},
                  headers={"Authorization": token})  # fmt: skip
        assert r.status_code == 200, r.text
        for _ in range(4):
            listed = fresh(workers_server, "GET", f"/api/collections/schema{i}/records")
            assert listed.status_code == 403, listed.text
    assert seen == set(range(WORKERS)), "the requests never reached every worker"

    for i in range(6):
        name = f"App {i}"
        r = fresh(workers_server, "PATCH", "/api/settings", json={"meta": {"appName": name}},
                  headers={"Authorization": token})  # fmt: skip
        assert r.status_code == 200, r.text
        for _ in range(4):
            got = fresh(workers_server, "GET", "/api/settings", headers={"Authorization": token})
            assert got.json()["meta"]["appName"] == name


def test_rate_limits_count_a_client_once(workers_server: LiveServer, token: str) -> None:
    assert create_collection(workers_server, token, "limited").status_code == 200
    rules = [{"label": "GET /api/collections/limited/records", "maxRequests": 6, "duration": 60, "audience": ""}]
    r = fresh(workers_server, "PATCH", "/api/settings", json={"rateLimits": {"enabled": True, "rules": rules}},
              headers={"Authorization": token})  # fmt: skip
    assert r.status_code == 200, r.text
    try:
        statuses: list[int] = []
        workers: set[int] = set()
        # 14 requests at least, until both workers answered some (the kernel hands a new
        # connection to either, unevenly now and then)
        while len(statuses) < 14 or (workers != set(range(WORKERS)) and len(statuses) < 60):
            got = fresh(workers_server, "GET", "/api/collections/limited/records")
            statuses.append(got.status_code)
            workers.add(worker_of(got))
        assert workers == set(range(WORKERS))
        assert statuses == [200] * 6 + [429] * (len(statuses) - 6), statuses
    finally:
        fresh(workers_server, "PATCH", "/api/settings", json={"rateLimits": {"enabled": False}},
              headers={"Authorization": token})  # fmt: skip


def test_in_memory_guards_count_once_across_workers(workers_server: LiveServer, token: str) -> None:
    """What PocketBase keeps in its process's memory (here: the anonymous sign-up limiter,
    10 per IP a minute) is kept by worker 0 for all."""
    r = fresh(workers_server, "PATCH", "/api/collections/users", json={"anonymousAuth": {"enabled": True}},
              headers={"Authorization": token})  # fmt: skip
    assert r.status_code == 200, r.text
    statuses: list[int] = []
    workers: set[int] = set()
    # 16 sign-ups at least, until both workers answered some (see the rate limits above)
    while len(statuses) < 16 or (workers != set(range(WORKERS)) and len(statuses) < 60):
        got = fresh(workers_server, "POST", "/api/collections/users/auth-anonymously")
        statuses.append(got.status_code)
        workers.add(worker_of(got))
    assert workers == set(range(WORKERS))
    assert statuses == [200] * 10 + [429] * (len(statuses) - 10), statuses


class Stream:
    """A raw SSE client on its own connection (thread), collecting (event, data)."""

    def __init__(self, server: LiveServer) -> None:
        self.events: list[tuple[str, Any]] = []
        self.client_id = ""
        self._ready = threading.Event()
        self._client = httpx.Client(base_url=server.base, timeout=httpx.Timeout(10, read=60))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)

    def _run(self) -> None:
        event = ""
        try:
            with self._client.stream("GET", "/api/realtime") as r:
                self.worker = worker_of(r)
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:]
                    elif line.startswith("data:"):
                        data = json.loads(line[5:])
                        if event == "PB_CONNECT":
                            self.client_id = data["clientId"]
                            self._ready.set()
                        else:
                            self.events.append((event, data))
        except httpx.HTTPError:
            pass

    def wait(self, count: int, timeout: float = 10) -> list[tuple[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.events

    def close(self) -> None:
        self._client.close()


@contextmanager
def streams_on_every_worker(server: LiveServer) -> Iterator[dict[int, Stream]]:
    opened: list[Stream] = []
    chosen: dict[int, Stream] = {}
    try:
        for _ in range(30):
            s = Stream(server)
            opened.append(s)
            chosen.setdefault(s.worker, s)
            if len(chosen) == WORKERS:
                break
        assert len(chosen) == WORKERS
        yield chosen
    finally:
        for s in opened:
            s.close()


def test_realtime_subscribe_and_events_cross_workers(workers_server: LiveServer, token: str) -> None:
    assert create_collection(workers_server, token, "rt").status_code == 200
    with streams_on_every_worker(workers_server) as streams:
        posted_on: set[tuple[int, int]] = set()
        for member, s in streams.items():
            # the POST reaches whichever worker: the one holding the stream applies it
            for _ in range(20):
                r = fresh(workers_server, "POST", "/api/realtime", json={"clientId": s.client_id,
                                                                         "subscriptions": ["rt"]})  # fmt: skip
                assert r.status_code == 204, r.text
                posted_on.add((member, worker_of(r)))
                if worker_of(r) != member:
                    break
        assert any(held != answered for held, answered in posted_on), "no POST crossed workers"
        # unknown client ids: 404 whichever worker they name
        for bad in ("A" + "x" * 39, "B" + "x" * 39, "nope"):
            r = fresh(workers_server, "POST", "/api/realtime", json={"clientId": bad, "subscriptions": []})
            assert r.status_code == 404, r.text

        ids = []
        for n in range(20):
            r = fresh(workers_server, "POST", "/api/collections/rt/records", json={"title": f"t{n}", "n": n})
            assert r.status_code == 200, r.text
            ids.append(r.json()["id"])
            if n % 4 == 0:
                rid = ids[-1]
                r = fresh(workers_server, "PATCH", f"/api/collections/rt/records/{rid}", json={"n": 100 + n})
                assert r.status_code == 200
        expected = 25
        for s in streams.values():
            got = s.wait(expected)
            assert len(got) == expected, got
            assert all(event == "rt" for event, _ in got)
            created = [d["record"]["n"] for _, d in got if d["action"] == "create"]
            assert created == list(range(20))  # exactly once, in commit order
            for n in range(0, 20, 4):  # each update after its create
                order = [(d["action"], d["record"]["id"]) for _, d in got]
                assert order.index(("create", ids[n])) < order.index(("update", ids[n]))


def realtime_stats(server: LiveServer, token: str, expected: int, timeout: float = 10) -> set[int]:
    """Ask ``/api/realtime/stats`` on fresh connections until every worker has answered
    ``expected`` clients; the workers seen."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while seen != set(range(WORKERS)):
        r = fresh(server, "GET", "/api/realtime/stats", headers={"Authorization": token})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["workers"] == WORKERS and body["answered"] == WORKERS, body
        if body["clients"] == expected:
            seen.add(worker_of(r))
        else:
            assert time.monotonic() < deadline, (body, expected)
            time.sleep(0.05)
    return seen


def test_realtime_stats_count_the_clients_of_every_worker(workers_server: LiveServer, token: str) -> None:
    def clients() -> int:
        r = fresh(workers_server, "GET", "/api/realtime/stats", headers={"Authorization": token})
        return int(r.json()["clients"])

    # streams of earlier tests may linger until the server sees them go: wait for calm
    before = clients()
    for _ in range(100):
        time.sleep(0.3)
        before, previous = clients(), before
        if before == previous:
            break
    opened: list[Stream] = []
    try:
        while len({s.worker for s in opened}) < WORKERS:
            assert len(opened) < 30
            opened.append(Stream(workers_server))
        # whichever worker answers, it counts the streams held by both
        assert realtime_stats(workers_server, token, before + len(opened)) == set(range(WORKERS))
    finally:
        for s in opened:
            s.close()
    assert fresh(workers_server, "GET", "/api/realtime/stats").status_code == 401


def test_oauth2_redirect_reaches_the_client_on_another_worker(workers_server: LiveServer) -> None:
    with streams_on_every_worker(workers_server) as streams:
        crossed = False
        for member, s in streams.items():
            for _ in range(20):
                before = len(s.events)
                r = fresh(workers_server, "POST", "/api/realtime", json={"clientId": s.client_id,
                                                                         "subscriptions": ["@oauth2"]})  # fmt: skip
                assert r.status_code == 204
                r = fresh(workers_server, "GET", "/api/oauth2-redirect",
                          params={"state": s.client_id, "code": "abc"})  # fmt: skip
                assert r.status_code in (200, 307), r.text
                got = s.wait(before + 1)
                assert got[-1] == ("@oauth2", {"state": s.client_id, "code": "abc"})
                if worker_of(r) != member:
                    crossed = True
                    break
        assert crossed


def test_js_sdk_realtime_across_workers(workers_server: LiveServer) -> None:
    out = run_node("workers_realtime.mjs", workers_server.base, timeout=60)
    assert sorted(out["members"]) == [chr(ord("A") + i) for i in range(WORKERS)]
    assert out["delivered"] == out["expected"], json.dumps(out)


async def _mixed_load(base: str, clients: int, seconds: float) -> tuple[dict[int, int], list[str], list[str]]:
    statuses: dict[int, int] = {}
    bad: list[str] = []
    acknowledged: list[str] = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        stop = time.monotonic() + seconds

        async def one(i: int) -> None:
            mine: list[str] = []
            while time.monotonic() < stop:
                step = len(mine) % 4
                try:
                    if step == 0 or not mine:
                        r = await http.post("/api/collections/load/records", json={"title": f"c{i}", "n": i})
                        if r.status_code == 200:
                            mine.append(r.json()["id"])
                            acknowledged.append(r.json()["id"])
                    elif step == 1:
                        r = await http.patch(f"/api/collections/load/records/{mine[-1]}", json={"n": -i})
                    elif step == 2:
                        r = await http.get(f"/api/collections/load/records/{mine[-1]}")
                    else:
                        r = await http.get("/api/collections/load/records", params={"perPage": 5})
                except httpx.TransportError:
                    continue
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code >= 500 or "locked" in r.text:
                    bad.append(f"{r.status_code} {r.text[:200]}")

        await asyncio.gather(*(one(i) for i in range(clients)))
    return statuses, bad, acknowledged


def test_200_concurrent_mixed_clients_meet_no_locked_database(workers_server: LiveServer, token: str) -> None:
    assert create_collection(workers_server, token, "load").status_code == 200
    statuses, bad, acknowledged = asyncio.run(_mixed_load(workers_server.base, 200, 4.0))
    assert not bad, bad[:5]
    assert statuses.get(200, 0) > 200, statuses
    assert set(statuses) == {200}, statuses


def _wait_children(pid: int, count: int = WORKERS, timeout: float = 20) -> list[int]:
    """The workers of ``pid`` once there are ``count`` (a dead one is restarted after a delay)."""
    deadline = time.monotonic() + timeout
    while len(children := _children(pid)) < count:
        assert time.monotonic() < deadline, children
        time.sleep(0.05)
    return children


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_a_worker_killed_under_load_is_restarted_and_loses_no_acknowledged_write(
    workers_server: LiveServer, token: str
) -> None:
    assert create_collection(workers_server, token, "kill").status_code == 200
    before = _wait_children(workers_server.proc.pid)
    assert len(before) == WORKERS
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def writer(i: int) -> None:
        while not stop.is_set():
            try:
                r = fresh(workers_server, "POST", "/api/collections/kill/records", json={"title": f"k{i}"})
            except httpx.TransportError:
                continue  # the killed worker's connection: the client retries, as SDK users would
            if r.status_code == 200:
                acknowledged.append(r.json()["id"])
            else:
                failures.append(f"{r.status_code} {r.text[:200]}")

    def wait_acknowledged(count: int) -> None:
        # by count, not by time: a loaded machine writes slowly, but it must keep writing
        deadline = time.monotonic() + 60
        while len(acknowledged) < count:
            assert time.monotonic() < deadline, (len(acknowledged), failures[:5])
            time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    try:
        wait_acknowledged(10)
        os.kill(before[0], signal.SIGKILL)
        killed_at = len(acknowledged)
        _wait_children(workers_server.proc.pid, timeout=60)  # the dead one is restarted
        wait_acknowledged(killed_at + 10)  # and writes go on being acknowledged
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    after = _wait_children(workers_server.proc.pid)
    assert len(after) == WORKERS and before[0] not in after, (before, after)
    assert not failures, failures[:5]
    stored: set[str] = set()
    page = 1
    while True:
        r = fresh(workers_server, "GET", "/api/collections/kill/records", params={"perPage": 500, "page": page},
                  headers={"Authorization": token})  # fmt: skip
        items = r.json()["items"]
        stored |= {item["id"] for item in items}
        if len(items) < 500:
            break
        page += 1
    assert set(acknowledged) <= stored
    # the restarted worker serves again
    workers = {worker_of(fresh(workers_server, "GET", "/api/health")) for _ in range(30)}
    assert workers == set(range(WORKERS))


def test_js_sdk_clients_of_a_killed_worker_reconnect_and_miss_nothing_after(workers_server: LiveServer) -> None:
    from tests.e2e.serve_support import EMAIL, JS_DIR, PASSWORD

    proc = subprocess.Popen(["node", str(JS_DIR / "workers_reconnect.mjs")], cwd=JS_DIR, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PB_URL": workers_server.base, "PB_EMAIL": EMAIL,
                                 "PB_PASSWORD": PASSWORD})  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdin is not None
        ready = json.loads(proc.stdout.readline() or "{}")
        assert ready.get("ready"), proc.stderr.read() if proc.stderr else ""
        victim = _children(workers_server.proc.pid)[0]
        os.kill(victim, signal.SIGKILL)
        proc.stdin.write("GO\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["reconnected"] >= 1, result  # the dead worker's clients got a new id
    assert result["delivered"] == result["clients"], result
    assert len(_wait_children(workers_server.proc.pid)) == WORKERS


def test_workers_stop_when_the_parent_is_killed(tmp_path: Any) -> None:
    from tests.e2e.serve_support import start_serve

    (tmp_path / "pb_hooks").mkdir()
    (tmp_path / "pb_hooks" / "legacy.pb.js").write_text("// a PocketBase JS hook\n")
    server = start_serve(tmp_path / "pb_data", "--workers=2")
    children = _wait_children(server.proc.pid, 2)  # the second starts once the first serves
    # the start-up warnings of the hook files come once, from worker 0
    assert server.stderr.count("legacy.pb.js: JavaScript hooks are not run by Satchel") == 1, server.stderr
    server.proc.kill()
    server.proc.wait()
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{pid}") and _is_alive(pid) for pid in children):
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.05)


def _is_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_still_starting_stops_when_the_parent_is_killed(tmp_path: Any) -> None:
    from tests.e2e.serve_support import PROJECT, free_port

    proc = subprocess.Popen([sys.executable, "-m", "satchel", "serve", f"--http=127.0.0.1:{free_port()}",
                             f"--dir={tmp_path / 'pb_data'}", "--workers=2"], cwd=PROJECT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        children = _wait_children(proc.pid, 1, timeout=60)  # worker 0, before it serves
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 15
    while any(_is_alive(pid) for pid in children):
        assert time.monotonic() < deadline, "a worker killed during start-up outlived its parent"
        time.sleep(0.05)
