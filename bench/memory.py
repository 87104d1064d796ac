"""``python -m bench.memory``: where a serving process's memory grows under the soak's mix.

The soak saw RSS rise within one process life; this tells a leak from a cache that fills.
One App in this process (no sockets), the soak's request mix run sequentially in phases of
``--requests``; after each phase: Python's heap as tracemalloc counts it, SQLite's own heap
(``apsw.memory_used``: page caches, statement caches), the size of the two database files
and the RSS.  At the end, the source
lines whose Python memory grew most between the first phase and the last.  A leak keeps
growing phase after phase; a cache stops once full.

    python -m bench.memory [--requests 2000] [--phases 6]
"""

from __future__ import annotations

import argparse
import gc
import random
import tempfile
import tracemalloc
from pathlib import Path

import apsw
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser

EMAIL, PASSWORD = "memory@example.com", "memory-password-1"


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def db_files_kb(app: App) -> int:
    """data.db and auxiliary.db with their WAL files: what the page caches can hold at most."""
    files = [app.config.data_db, app.config.aux_db]
    paths = [*files, *(Path(f"{f}-wal") for f in files)]
    return sum(p.stat().st_size for p in paths if p.exists()) // 1024


def setup(client: TestClient) -> None:
    token = client.post("/api/collections/_superusers/auth-with-password",
                        json={"identity": EMAIL, "password": PASSWORD}).json()["token"]
    h = {"Authorization": token}
    client.post("/api/collections", headers=h, json={
        "name": "items", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
        "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]}).raise_for_status()
    client.patch("/api/settings", headers=h, json={"batch": {"enabled": True}}).raise_for_status()


def one_request(client: TestClient, rng: random.Random, ids: list[str]) -> None:
    """One request of the soak's mix (writers and readers in equal numbers)."""
    url = "/api/collections/items/records"
    choice = rng.random()
    if choice < 0.25 or not ids:
        ids.append(client.post(url, json={"title": "soak", "n": rng.randint(0, 99)}).json()["id"])
    elif choice < 0.32:
        reqs = [{"method": "POST", "url": url, "body": {"title": "b"}} for _ in range(3)]
        ids.extend(item["body"]["id"] for item in client.post("/api/batch", json={"requests": reqs}).json())
    elif choice < 0.42:
        client.patch(f"{url}/{rng.choice(ids)}", json={"n": rng.randint(0, 99)})
    elif choice < 0.5:
        client.delete(f"{url}/{ids.pop(rng.randrange(len(ids)))}")
    elif choice < 0.75:
        client.get(url, params={"sort": rng.choice(["-created", "n", "-n,title"]), "filter": f"n > {rng.randint(0, 99)}",
                                "perPage": "20", "skipTotal": rng.choice(["1", "0"])})
    else:
        client.get(f"{url}/{rng.choice(ids)}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--phases", type=int, default=6)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(7)
    ids: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, App(Config(data_dir=Path(tmp) / "pb_data")) as app:
        upsert_superuser(app.db, app.records, app.registry, EMAIL, PASSWORD)
        with TestClient(build_asgi(app)) as client:
            setup(client)
            tracemalloc.start(8)
            first: tracemalloc.Snapshot | None = None
            last: tracemalloc.Snapshot | None = None
            print("phase  python_heap_kb  sqlite_heap_kb  db_files_kb  rss_kb  records")
            for number in range(args.phases):
                for _ in range(args.requests):
                    one_request(client, rng, ids)
                app.logs.flush()
                gc.collect()
                last = tracemalloc.take_snapshot()
                first = first or last
                print(f"{number:5}  {tracemalloc.get_traced_memory()[0] // 1024:14}  "
                      f"{apsw.memory_used() // 1024:14}  {db_files_kb(app):11}  {rss_kb():6}  {len(ids):7}",
                      flush=True)
            assert first is not None and last is not None
            print(f"\nPython memory grown most from phase 0 to phase {args.phases - 1}:")
            grown = [stat for stat in last.compare_to(first, "traceback")
                     if stat.traceback[-1].filename != __file__]  # the harness's own list of ids
            for stat in grown[: args.top]:
                where = " <- ".join(str(f) for f in reversed(stat.traceback[-3:]))  # allocation first
                print(f"{stat.size_diff / 1024:+9.1f} KB {stat.count_diff:+7} blocks  {where}")


if __name__ == "__main__":
    main()
