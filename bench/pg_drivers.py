"""psycopg 3 (+ psycopg-pool) vs asyncpg on the statements the API runs most.

    python -m bench.pg_drivers [--url postgresql://postgres@127.0.0.1:5432/postgres] [--n 3000]

Each driver is used the way Satchel would use it: psycopg synchronously on the
store's threads (an event loop hands the work to a thread pool, as
``Database.read``/``write`` do), asyncpg from the event loop itself.  Three
operations on a 10k-row table in a scratch database: a primary-key read, a
30-row page with a filter and a sort, and a one-row INSERT in its own
transaction; each at concurrency 1 and 8.  asyncpg is not a dependency of
Satchel: install it to compare (``pip install asyncpg``).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg_pool import ConnectionPool

ROWS = 10_000
PK = "SELECT id, title, views, created FROM posts WHERE id = {p}"
PAGE = "SELECT id, title, views, created FROM posts WHERE views > {p} ORDER BY created DESC LIMIT 30"
INSERT = "INSERT INTO posts (id, title, views, created) VALUES ({p1}, 'x', 1, now()::text)"


def _setup(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS posts")
        conn.execute("CREATE TABLE posts (id TEXT PRIMARY KEY, title TEXT, views DOUBLE PRECISION, created TEXT)")
        conn.execute("CREATE INDEX ON posts (created)")
        with conn.cursor().copy("COPY posts FROM STDIN") as copy:
            for i in range(ROWS):
                copy.write_row((f"r{i:014d}", f"title {i}", i % 100, f"2026-01-01 00:00:{i % 60:02d}.{i:06d}Z"))
        conn.execute("ANALYZE posts")


async def _timed(n: int, concurrency: int, op: Callable[[int], Awaitable[Any]]) -> float:
    """Operations per second of ``n`` calls of ``op`` with ``concurrency`` in flight."""
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            await op(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - start)


async def bench_psycopg(url: str, n: int, concurrency: int) -> dict[str, float]:
    pool = ConnectionPool(url, min_size=concurrency, max_size=concurrency, kwargs={"autocommit": True}, open=True)
    threads = ThreadPoolExecutor(max_workers=concurrency)
    loop = asyncio.get_running_loop()
    run = secrets.token_hex(3)

    def pk(i: int) -> Any:
        with pool.connection() as c:
            return c.execute(PK.format(p="%s"), (f"r{i % ROWS:014d}",)).fetchone()

    def page(i: int) -> Any:
        with pool.connection() as c:
            return c.execute(PAGE.format(p="%s"), (i % 90,)).fetchall()

    def insert(i: int) -> Any:
        with pool.connection() as c, c.transaction():
            c.execute(INSERT.format(p1="%s"), (f"p{run}{concurrency}{i}",))

    out = {}
    for name, fn in (("pk", pk), ("page", page), ("insert", insert)):
        out[name] = await _timed(n, concurrency, lambda i, fn=fn: loop.run_in_executor(threads, fn, i))
    threads.shutdown()
    pool.close()
    return out


async def bench_asyncpg(url: str, n: int, concurrency: int) -> dict[str, float] | None:
    try:
        import asyncpg  # type: ignore[import-not-found]
    except ImportError:
        return None
    pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
    run = secrets.token_hex(3)

    async def pk(i: int) -> Any:
        async with pool.acquire() as c:
            return await c.fetchrow(PK.format(p="$1"), f"r{i % ROWS:014d}")

    async def page(i: int) -> Any:
        async with pool.acquire() as c:
            return await c.fetch(PAGE.format(p="$1"), float(i % 90))

    async def insert(i: int) -> Any:
        async with pool.acquire() as c, c.transaction():
            await c.execute(INSERT.format(p1="$1"), f"a{run}{concurrency}{i}")

    out = {name: await _timed(n, concurrency, fn) for name, fn in (("pk", pk), ("page", page), ("insert", insert))}
    await pool.close()
    return out


async def main_async(url: str, n: int, rounds: int) -> None:
    _setup(url)
    print(f"{n} operations per cell, median of {rounds} rounds, ops/s (higher is better)")
    print(f"{'driver':<22}{'conc':>5}{'pk':>10}{'page':>10}{'insert':>10}")
    for concurrency in (1, 8):
        for name, bench in (("psycopg3+pool/threads", bench_psycopg), ("asyncpg", bench_asyncpg)):
            results = [await bench(url, n, concurrency) for _ in range(rounds)]
            if results[0] is None:
                print(f"{name:<22}{concurrency:>5}  (not installed: pip install asyncpg)")
                continue
            cells = [statistics.median(r[k] for r in results if r) for k in ("pk", "page", "insert")]
            print(f"{name:<22}{concurrency:>5}" + "".join(f"{c:>10.0f}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    name = "satchel_bench_" + secrets.token_hex(4)
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(args.url)._replace(path="/" + name).geturl()
    try:
        asyncio.run(main_async(url, args.n, args.rounds))
    finally:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
