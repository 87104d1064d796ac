"""The PostgreSQL bus (LISTEN/NOTIFY) between nodes: unit level on a real server, then two
``satchel serve --db=<same database>`` processes: realtime and schema changes cross them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from satchel.tools.bus.postgres import NOTIFY_LIMIT, PgBus
from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)
from tests.nodes.support import START, Stream
from tests.pg_support import pg_url

__all__ = ["pg_url"]


def collect(bus: PgBus, loop: asyncio.AbstractEventLoop) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    bus.subscribe(lambda m: got.append(dict(m)), loop)
    return got


async def until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_messages_cross_nodes_in_order_big_ones_included(pg_url: str) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = PgBus(pg_url), PgBus(pg_url)
        try:
            got_a, got_b = collect(a, loop), collect(b, loop)
            big = {"type": "record", "data": "x" * (NOTIFY_LIMIT * 3)}
            for n in range(30):
                b.publish({"type": "record", "n": n}, seq=n)
            b.publish(big)
            await until(lambda: len(got_a) == 31 and len(got_b) == 31)
            # the publisher's own subscribers get the same order as everyone's
            assert got_a == got_b
            assert [m["n"] for m in got_a[:30]] == list(range(30))
            assert got_a[30] == big
            with psycopg.connect(pg_url) as conn:
                row = conn.execute('SELECT count(*) FROM "_busPayloads"').fetchone()
                assert row is not None and row[0] == 1
            # acknowledged broadcasts reach the others, not the sender's own subscribers
            await b.broadcast_acked({"type": "collections.changed"})
            await until(lambda: len(got_a) == 32)
            assert got_a[31] == {"type": "collections.changed"}
            await asyncio.sleep(0.1)
            assert len(got_b) == 31
        finally:
            a.close()
            b.close()

    asyncio.run(main())


def test_a_broken_listening_connection_is_opened_again(pg_url: str) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = PgBus(pg_url, reconnect_delay=0.05), PgBus(pg_url)
        try:
            got = collect(a, loop)
            reconnected: list[int] = []
            a.on_reconnect.append(lambda: reconnected.append(1))
            with psycopg.connect(pg_url, autocommit=True) as conn:  # kill every other session: both buses'
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")  # fmt: skip
            await until(lambda: bool(reconnected))
            b.publish({"type": "after"})  # its sending connection is opened again too
            await until(lambda: got == [{"type": "after"}])
        finally:
            a.close()
            b.close()

    asyncio.run(main())


# -- two real nodes ------------------------------------------------------------------------


@pytest.fixture
def two_nodes(pg_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    made = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={tmp_path / 'a'}", f"--db={pg_url}")
    assert made.returncode == 0, made.stderr
    a = start_serve(tmp_path / "a" / "pb_data", f"--db={pg_url}", "--workers=1", timeout=START)
    try:
        b = start_serve(tmp_path / "b" / "pb_data", f"--db={pg_url}", "--workers=1", timeout=START)
        try:
            yield a, b
        finally:
            assert stop_serve(b, timeout=15) == 0, b.stderr
    finally:
        assert stop_serve(a, timeout=15) == 0, a.stderr


def test_two_nodes_share_realtime_and_schema(two_nodes: tuple[LiveServer, LiveServer]) -> None:
    a, b = two_nodes
    assert "files are stored in the local data dir" in a.stdout
    assert "does not join other nodes" not in a.stdout + b.stdout
    token = superuser_token(b.base)
    body = {"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "fields": [{"name": "title", "type": "text"}]}  # fmt: skip
    r = httpx.post(f"{b.base}/api/collections", json=body, headers={"Authorization": token})
    assert r.status_code == 200, r.text
    # made on B, usable on A as soon as B answered
    r = httpx.get(f"{a.base}/api/collections/notes/records")
    assert r.status_code == 200, r.text

    stream = Stream(a.base)
    r = httpx.post(f"{a.base}/api/realtime", json={"clientId": stream.client_id, "subscriptions": ["notes"]})
    assert r.status_code == 204, r.text
    ids = []
    for n in range(5):
        r = httpx.post(f"{b.base}/api/collections/notes/records", json={"title": f"t{n}"})
        assert r.status_code == 200, r.text
        ids.append(r.json()["id"])
    r = httpx.patch(f"{b.base}/api/collections/notes/records/{ids[0]}", json={"title": "changed"})
    assert r.status_code == 200
    events = stream.wait(6)
    assert [(e, d["action"], d["record"]["id"]) for e, d in events] == [
        *(("notes", "create", i) for i in ids),
        ("notes", "update", ids[0]),
    ]
    assert events[-1][1]["record"]["title"] == "changed"

    # the same record written on both nodes at once: the events come in commit order, so the
    # last one the subscriber gets is what the database holds
    def hammer(base: str, tag: str) -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            for n in range(15):
                got = client.patch(f"/api/collections/notes/records/{ids[1]}", json={"title": f"{tag}{n}"})
                assert got.status_code == 200, got.text

    threads = [threading.Thread(target=hammer, args=(node.base, tag)) for node, tag in ((a, "a"), (b, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = stream.wait(36)
    assert len(events) == 36
    final = httpx.get(f"{a.base}/api/collections/notes/records/{ids[1]}").json()["title"]
    assert events[-1][1]["record"]["title"] == final
    # each node's own writes keep their order too
    for tag in "ab":
        titles = [d["record"]["title"] for _, d in events[6:] if d["record"]["title"].startswith(tag)]
        assert titles == [f"{tag}{n}" for n in range(15)]
    # a rule change on A holds on B at once
    r = httpx.patch(
        f"{a.base}/api/collections/notes", json={"listRule": None}, headers={"Authorization": token}
    )
    assert r.status_code == 200
    r = httpx.get(f"{b.base}/api/collections/notes/records")
    assert r.status_code == 403, r.text


def test_the_node_gate_lets_one_node_write_and_publish_at_a_time(pg_url: str) -> None:
    from satchel.store.postgres.gate import PgNodeGate

    first, second = PgNodeGate(pg_url), PgNodeGate(pg_url)
    entered = threading.Event()

    def other() -> None:
        with second:
            entered.set()

    try:
        with first, first:  # reentrant on one node
            thread = threading.Thread(target=other)
            thread.start()
            assert not entered.wait(0.3), "the second node entered while the first held the gate"
        assert entered.wait(5)
        thread.join()
        assert (first.advance(), first.advance()) == (1, 2)
    finally:
        first.close()
        second.close()


def test_one_node_leads_the_crons_and_another_takes_over_when_it_dies(pg_url: str) -> None:
    from satchel.store.postgres.leader import Leadership

    async def main() -> None:
        events: list[str] = []

        def leader(name: str) -> Leadership:
            async def lose() -> None:
                events.append(f"{name}-lost")

            return Leadership(pg_url, lambda: events.append(f"{name}-leads"), lose, interval=0.05)

        first, second = leader("first"), leader("second")
        first.start()
        await until(lambda: events == ["first-leads"])
        second.start()
        await asyncio.sleep(0.3)
        assert events == ["first-leads"]  # one leader only
        # the first node's session dies (a killed node): the second takes over
        with psycopg.connect(pg_url, autocommit=True) as conn:
            assert first._conn is not None
            conn.execute("SELECT pg_terminate_backend(%s)", (first._conn.info.backend_pid,))
        await until(lambda: "second-leads" in events and "first-lost" in events)
        await first.stop()
        await second.stop()
        assert events[-1] == "second-lost"

    asyncio.run(main())


def test_nodes_starting_together_all_join(pg_url: str) -> None:
    buses: list[PgBus] = []
    errors: list[BaseException] = []

    def join() -> None:
        try:
            buses.append(PgBus(pg_url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=join) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for bus in buses:
        bus.close()
    assert errors == [] and len(buses) == 6
