"""``python -m bench.soak``: a long mixed load on one ``satchel serve`` with restarts.

    python -m bench.soak                      # an hour (make soak)
    python -m bench.soak --minutes 2          # a short run, e.g. to try a change

Writers create, update and delete records (some with files) and send batches; readers
list, view and expand; realtime subscribers stay connected.  Every few minutes the server
is stopped -- by SIGTERM or by kill -9, alternately -- and started again on the same data
dir.  Every ``--sample`` seconds the server's RSS and open files are written to a CSV.

It fails (exit 1) on any 5xx answer, any acknowledged write that is missing after a
restart, or a failed ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import apsw
import httpx

from bench.servers import free_port

EMAIL, PASSWORD = "soak@example.com", "soak-password-123"
START_TIMEOUT = 120.0
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    errors_5xx: list[str] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)  # ids of records that must exist
    deleted: set[str] = field(default_factory=set)

    def seen(self, r: httpx.Response) -> None:
        with self.lock:
            self.requests += 1
            if r.status_code >= 500:
                self.errors_5xx.append(f"{r.request.method} {r.request.url.path} {r.status_code} {r.text[:200]}")


class Serve:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.data_dir.parent / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "satchel", "serve", f"--http=127.0.0.1:{self.port}", f"--dir={self.data_dir}"],
            stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise SystemExit(f"satchel serve did not start in {START_TIMEOUT:.0f} s")

    def stop(self, hard: bool) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        return self.proc.wait(30)

    def sample(self) -> tuple[int, int]:
        """(RSS in KB, open file descriptors) of the server process."""
        assert self.proc is not None
        pid = self.proc.pid
        rss = next((int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("VmRSS:")), 0)
        return rss, len(os.listdir(f"/proc/{pid}/fd"))


def _token(base: str, collection: str, identity: str, password: str) -> str:
    r = httpx.post(f"{base}/api/collections/{collection}/auth-with-password",
                   json={"identity": identity, "password": password}, timeout=10)
    r.raise_for_status()
    token: str = r.json()["token"]
    return token


def _setup(base: str) -> str:
    token = _token(base, "_superusers", EMAIL, PASSWORD)
    h = {"Authorization": token}
    r = httpx.post(f"{base}/api/collections", headers=h, timeout=10, json={
        "name": "items", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
        "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"},
                   {"name": "file", "type": "file", "maxSelect": 1}]})
    r.raise_for_status()
    httpx.patch(f"{base}/api/settings", headers=h, json={"batch": {"enabled": True}}, timeout=10).raise_for_status()
    return token


def _writer(base: list[str], tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=10) as http:
        while not stop.is_set():
            url = base[0] + "/api/collections/items/records"
            try:
                choice = rng.random()
                if choice < 0.5:
                    files = {"file": ("f.png", PNG, "image/png")} if rng.random() < 0.2 else None
                    r = http.post(url, data={"title": "soak", "n": str(rng.randint(0, 99))}, files=files)
                    tally.seen(r)
                    if r.status_code == 200:
                        with tally.lock:
                            tally.acknowledged.add(r.json()["id"])
                elif choice < 0.65:
                    reqs = [{"method": "POST", "url": "/api/collections/items/records", "body": {"title": "b"}}
                            for _ in range(3)]
                    r = http.post(base[0] + "/api/batch", json={"requests": reqs})
                    tally.seen(r)
                    if r.status_code == 200:
                        with tally.lock:
                            tally.acknowledged.update(item["body"]["id"] for item in r.json())
                else:
                    with tally.lock:
                        pool = list(tally.acknowledged - tally.deleted)
                    if not pool:
                        continue
                    rid = rng.choice(pool)
                    if choice < 0.85:
                        tally.seen(http.patch(f"{url}/{rid}", json={"n": rng.randint(0, 99)}))
                    else:
                        r = http.delete(f"{url}/{rid}")
                        tally.seen(r)
                        if r.status_code == 204:
                            with tally.lock:
                                tally.deleted.add(rid)
            except httpx.HTTPError:
                time.sleep(0.05)  # the server is restarting


def _reader(base: list[str], tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=10) as http:
        while not stop.is_set():
            try:
                url = base[0] + "/api/collections/items/records"
                params = {"sort": rng.choice(["-created", "n", "-n,title"]), "filter": f"n > {rng.randint(0, 99)}",
                          "perPage": "20", "skipTotal": rng.choice(["1", "0"])}
                tally.seen(http.get(url, params=params))
                with tally.lock:
                    pool = list(tally.acknowledged - tally.deleted)
                if pool:
                    tally.seen(http.get(f"{url}/{rng.choice(pool)}"))
            except httpx.HTTPError:
                time.sleep(0.05)


def _subscriber(base: list[str], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with httpx.Client(timeout=httpx.Timeout(10, read=60)) as http, \
                    http.stream("GET", base[0] + "/api/realtime") as stream:
                for line in stream.iter_lines():
                    if line.startswith("data:") and "clientId" in line:
                        client_id = line.split('"clientId":"')[1].split('"')[0]
                        http.post(base[0] + "/api/realtime", json={"clientId": client_id, "subscriptions": ["items"]})
                    if stop.is_set():
                        return
        except (httpx.HTTPError, IndexError):
            time.sleep(0.2)


def _check(data_dir: Path, tally: Tally) -> list[str]:
    """Every acknowledged, undeleted record is in data.db, and the file is sound."""
    db = apsw.Connection(str(data_dir / "data.db"), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        problems = [row[0] for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"]
        present = {row[0] for row in db.execute("SELECT id FROM items")}
    finally:
        db.close()
    with tally.lock:
        missing = tally.acknowledged - tally.deleted - present
    return problems + [f"acknowledged record {rid} missing" for rid in sorted(missing)[:20]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--restart-every", type=float, default=300, help="seconds between restarts")
    parser.add_argument("--sample", type=float, default=10, help="seconds between RSS/fd samples")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "soak.csv")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="satchel-soak-"))
    data_dir = work / "pb_data"
    made = subprocess.run([sys.executable, "-m", "satchel", "superuser", "upsert", EMAIL, PASSWORD,
                           f"--dir={data_dir}"], capture_output=True, text=True)
    if made.returncode:
        raise SystemExit(made.stderr)
    serve = Serve(data_dir, free_port())
    serve.start()
    _setup(serve.base)
    base = [serve.base]
    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=_writer, args=(base, tally, stop, i), daemon=True) for i in range(args.writers)]
    threads += [threading.Thread(target=_reader, args=(base, tally, stop, 100 + i), daemon=True)
                for i in range(args.readers)]
    threads += [threading.Thread(target=_subscriber, args=(base, stop), daemon=True) for _ in range(args.subscribers)]
    for t in threads:
        t.start()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    started = time.monotonic()
    end = started + args.minutes * 60
    next_restart, hard = started + args.restart_every, False
    with args.out.open("w", newline="") as out:
        table = csv.writer(out)
        table.writerow(["seconds", "rss_kb", "open_fds", "requests", "acknowledged", "event"])
        while time.monotonic() < end and not failures:
            time.sleep(min(args.sample, max(0.0, end - time.monotonic())))
            rss, fds = serve.sample()
            event = ""
            if time.monotonic() >= next_restart:
                t0 = time.monotonic()
                status = serve.stop(hard)
                t1 = time.monotonic()
                event = f"{'kill -9' if hard else 'SIGTERM'} (exit {status}, stop {t1 - t0:.1f}s"
                if not hard and status != 0:
                    failures.append(f"unclean exit {status} on SIGTERM")
                failures += _check(data_dir, tally)
                serve.start()
                event += f", start {time.monotonic() - t1:.1f}s)"
                hard, next_restart = not hard, time.monotonic() + args.restart_every
            table.writerow([round(time.monotonic() - started), rss, fds, tally.requests, len(tally.acknowledged),
                            event])
            out.flush()
            print(f"{time.monotonic() - started:7.0f}s rss={rss / 1024:.1f}MB fds={fds} requests={tally.requests} "
                  f"5xx={len(tally.errors_5xx)} {event}", flush=True)
            failures += tally.errors_5xx[:5]
    stop.set()
    serve.stop(hard=False)
    failures += _check(data_dir, tally)
    print(f"{tally.requests} requests, {len(tally.acknowledged)} acknowledged writes; samples in {args.out}")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
