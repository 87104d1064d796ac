"""One node, SQLite vs PostgreSQL: the same API calls in-process on each database.

    python -m bench.pg_vs_sqlite [--url postgresql://postgres@127.0.0.1:5432/postgres] [--n 400]

The App runs in-process behind Starlette's test client (no network, one request at a
time), so the figures compare the database paths, not the HTTP server: a record by id,
a filtered and sorted page of 30 with its total, and a create.  5,000 posts are seeded
through the store.  Both are reported; there is no floor to meet.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.auth.superusers import upsert_superuser

EMAIL, PASSWORD = "bench@example.com", "1234567890"
POSTS = 5000


def _seed(app: App, client: TestClient) -> list[str]:
    client.post("/api/collections", json={"name": "posts", "listRule": "", "viewRule": "", "createRule": "", "fields": [
        {"name": "title", "type": "text"}, {"name": "views", "type": "number"}, {"name": "tags", "type": "json"}]})  # fmt: skip
    ids = []
    for i in range(POSTS):
        r = client.post("/api/collections/posts/records", json={"title": f"post {i}", "views": i % 500, "tags": ["a"]})
        ids.append(r.json()["id"])
    return ids


def _rate(n: int, call: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        call(i)
    return n / (time.perf_counter() - start)


def run(config: Config, n: int, rounds: int) -> dict[str, float]:
    app = App(config)
    upsert_superuser(app.db, app.records, app.registry, EMAIL, PASSWORD)
    try:
        with TestClient(build_asgi(app)) as c:
            token = c.post("/api/collections/_superusers/auth-with-password",
                           json={"identity": EMAIL, "password": PASSWORD}).json()["token"]  # fmt: skip
            c.headers["Authorization"] = token
            ids = _seed(app, c)
            ops: dict[str, Callable[[int], object]] = {
                "view": lambda i: c.get(f"/api/collections/posts/records/{ids[i * 7 % POSTS]}"),
                "list": lambda i: c.get("/api/collections/posts/records",
                                        params={"filter": f"views > {i % 400}", "sort": "-views"}),  # fmt: skip
                "create": lambda i: c.post("/api/collections/posts/records", json={"title": "x", "views": i}),
            }
            return {name: statistics.median(_rate(n, op) for _ in range(rounds)) for name, op in ops.items()}
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    name = "satchel_bench_" + secrets.token_hex(4)
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(args.url)._replace(path="/" + name).geturl()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = {
                "sqlite": run(Config(data_dir=Path(tmp) / "a" / "pb_data"), args.n, args.rounds),
                "postgresql": run(Config(data_dir=Path(tmp) / "b" / "pb_data", db=url), args.n, args.rounds),
            }
    finally:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    print(f"in-process requests/s, median of {args.rounds} rounds of {args.n} (higher is better)")
    print(f"{'database':<12}{'view':>10}{'list':>10}{'create':>10}")
    for db, r in results.items():
        print(f"{db:<12}{r['view']:>10.0f}{r['list']:>10.0f}{r['create']:>10.0f}")


if __name__ == "__main__":
    main()
