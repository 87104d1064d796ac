"""Rate limits counted in PostgreSQL, once for every node (satchel/store/postgres/rate_counter.py):
PocketBase's fixed windows, checked against the in-process counters, shared by two counters
(two nodes) on one database.  The two real nodes of tests/nodes/test_redis_nats_bus.py
check it over HTTP."""

from __future__ import annotations

import asyncio
import time

from satchel.store.postgres.rate_counter import PgRateCounter
from satchel.tools.rate_limit import RateLimiters
from tests.pg_support import pg_url

__all__ = ["pg_url"]


def test_two_nodes_count_one_client_once(pg_url: str) -> None:
    a, b = PgRateCounter(pg_url), PgRateCounter(pg_url)
    try:
        got = [counter.allow_now("rule|1.2.3.4", 3, 60) for counter in (a, b, a, b, a)]
        assert got == [True, True, True, False, False]
        # another client, another limiter: counted apart
        assert b.allow_now("rule|5.6.7.8", 3, 60) and a.allow_now("other|1.2.3.4", 3, 60)
        assert asyncio.run(b.allow("rule|1.2.3.4", 3, 60)) is False  # the async face
    finally:
        a.close()
        b.close()


def test_windows_behave_as_the_in_process_counters(pg_url: str) -> None:
    counter = PgRateCounter(pg_url)
    local = RateLimiters()
    try:
        def both(key: str, max_requests: int, duration: int) -> bool:
            shared = counter.allow_now(key, max_requests, duration)
            assert shared == local.allow(key, "client", max_requests, duration), key
            return shared

        # windows are whole seconds: start just past a boundary so the three calls share one
        # second even on a loaded machine (it failed once when they straddled a boundary)
        time.sleep(1.02 - (time.time() % 1.0))
        assert [both("k", 2, 1) for _ in range(3)] == [True, True, False]
        assert both("zero", 0, 1) is False  # a rule allowing nothing
        # a window restarts once its interval has passed since the last allowed request
        # (whole seconds: wait past the next boundary of both clocks)
        time.sleep(2.05 - (time.time() % 1.0))
        assert [both("k", 2, 1) for _ in range(3)] == [True, True, False]
    finally:
        counter.close()


def test_an_unreachable_database_lets_requests_pass(pg_url: str) -> None:
    counter = PgRateCounter(pg_url)
    counter.url = "postgresql://nobody@127.0.0.1:9/none"
    counter._drop()
    try:
        assert all(counter.allow_now("k", 0, 60) for _ in range(3))
    finally:
        counter.close()
