"""The Redis and NATS buses between nodes, on private servers of the test's own
(tests/bus_support.py): order, messages cut in parts, acknowledged broadcasts, and a
server restarted under the nodes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from satchel.tools.bus.frames import Reassembly, frames
from satchel.tools.bus.nodebus import NodeBus
from satchel.tools.bus.select import UnknownBus, bus_channel, open_node_bus
from tests.bus_support import BusServer, bus_server
from tests.e2e import serve_support
from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)
from tests.nodes.support import Stream
from tests.pg_support import pg_url

__all__ = ["bus_server", "pg_url"]


def open_bus(server: BusServer, **options: Any) -> NodeBus:
    if server.kind == "redis":
        from satchel.tools.bus.redisbus import RedisBus

        return RedisBus(server.url, "satchel.test", part_limit=4096, **options)
    from satchel.tools.bus.natsbus import NatsBus

    return NatsBus(server.url, "satchel.test", **options)


def collect(bus: NodeBus, loop: asyncio.AbstractEventLoop) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    bus.subscribe(lambda m: got.append(dict(m)), loop)
    return got


async def until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_frames_cut_and_join_big_messages() -> None:
    message = {"type": "record", "data": "é" * 5000}
    parts = frames("node", message, 7, False, 1000)
    assert len(parts) == 11
    joined = Reassembly()
    assert [joined.feed(p) for p in parts[:-1]] == [None] * 10 and joined.pending == 1
    assert joined.feed(parts[-1]) == {"n": "node", "s": 7, "o": False, "m": message}
    # a lost part drops that message only
    joined.feed(parts[0])
    assert joined.feed(parts[2]) is None and joined.pending == 0
    assert joined.feed(b"garbage") is None and joined.feed(b"[1]\n{}") is None


def test_the_bus_is_chosen_by_its_url() -> None:
    assert bus_channel("postgresql://u@db.internal:5432/app") == "satchel.app"
    assert bus_channel("postgresql://u@other-alias/app?sslmode=require") == "satchel.app"
    with pytest.raises(UnknownBus):
        open_node_bus("kafka://x:1", "postgresql://u@h/app")
    with pytest.raises(RuntimeError, match="could not"):  # nothing listens there
        open_node_bus("redis://127.0.0.1:9/0", "postgresql://u@h/app")
    with pytest.raises(RuntimeError, match="could not"):
        open_node_bus("nats://127.0.0.1:9", "postgresql://u@h/app")


def test_messages_cross_nodes_in_order_big_ones_included(bus_server: BusServer) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = open_bus(bus_server), open_bus(bus_server)
        try:
            got_a, got_b = collect(a, loop), collect(b, loop)
            big = {"type": "record", "data": "x" * 200_000}
            for n in range(30):
                b.publish({"type": "record", "n": n})
                a.publish({"type": "record", "a": n})
            b.publish(big)
            await until(lambda: len(got_a) == 61 and len(got_b) == 61)
            assert got_a == got_b  # one order for every node
            assert [m["n"] for m in got_a if "n" in m] == list(range(30))
            assert [m["a"] for m in got_a if "a" in m] == list(range(30))
            assert got_a[60] == big
            # acknowledged broadcasts reach the others, not the sender's own subscribers
            await b.broadcast_acked({"type": "collections.changed"})
            await until(lambda: len(got_a) == 62)
            assert got_a[61] == {"type": "collections.changed"}
            await asyncio.sleep(0.1)
            assert len(got_b) == 61
        finally:
            a.close()
            b.close()

    asyncio.run(main())


def test_a_restarted_server_is_joined_again(bus_server: BusServer) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b = open_bus(bus_server, reconnect_delay=0.1), open_bus(bus_server, reconnect_delay=0.1)
        try:
            got = collect(a, loop)
            reconnected: list[str] = []
            a.on_reconnect.append(lambda: reconnected.append("a"))
            b.on_reconnect.append(lambda: reconnected.append("b"))
            collect(b, loop)  # b's hooks run on the loops of its subscribers
            b.publish({"type": "before"})
            await until(lambda: got == [{"type": "before"}])
            await asyncio.to_thread(bus_server.restart, 0.3)
            await until(lambda: sorted(reconnected) == ["a", "b"], timeout=10)
            b.publish({"type": "after"})  # b sends again too
            await until(lambda: got == [{"type": "before"}, {"type": "after"}])
        finally:
            a.close()
            b.close()

    asyncio.run(main())


# -- two real nodes on one PostgreSQL, over a private Redis or NATS ------------------------


@pytest.fixture
def nodes_on_bus(
    pg_url: str, tmp_path: Path, bus_server: BusServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LiveServer, LiveServer, BusServer]]:
    # a node's first start on a busy 2-core machine can pass 20 s
    monkeypatch.setattr(serve_support, "START_TIMEOUT", 60.0)
    made = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={tmp_path / 'a'}", f"--db={pg_url}")
    assert made.returncode == 0, made.stderr
    flags = (f"--db={pg_url}", f"--bus={bus_server.url}", "--workers=1")
    a = start_serve(tmp_path / "a" / "pb_data", *flags)
    try:
        b = start_serve(tmp_path / "b" / "pb_data", *flags[:1], "--workers=1", env={"SATCHEL_BUS": bus_server.url})
        try:
            yield a, b, bus_server
        finally:
            assert stop_serve(b, timeout=15) == 0, b.stderr
    finally:
        assert stop_serve(a, timeout=15) == 0, a.stderr


def make_collection(base: str, token: str, name: str) -> None:
    body = {"name": name, "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "fields": [{"name": "title", "type": "text"}]}  # fmt: skip
    r = httpx.post(f"{base}/api/collections", json=body, headers={"Authorization": token}, timeout=30)
    assert r.status_code == 200, r.text


def test_two_nodes_share_realtime_and_schema_and_survive_a_bus_restart(
    nodes_on_bus: tuple[LiveServer, LiveServer, BusServer],
) -> None:
    a, b, server = nodes_on_bus
    token = superuser_token(a.base)
    make_collection(a.base, token, "notes")
    # made on A, usable on B as soon as A answered
    assert httpx.get(f"{b.base}/api/collections/notes/records").status_code == 200

    stream = Stream(b.base)
    r = httpx.post(f"{b.base}/api/realtime", json={"clientId": stream.client_id, "subscriptions": ["notes"]})
    assert r.status_code == 204, r.text
    ids = []
    for n in range(5):
        r = httpx.post(f"{a.base}/api/collections/notes/records", json={"title": f"t{n}"})
        assert r.status_code == 200, r.text
        ids.append(r.json()["id"])
    r = httpx.patch(f"{a.base}/api/collections/notes/records/{ids[0]}", json={"title": "changed"})
    assert r.status_code == 200
    events = stream.wait(6)
    time.sleep(0.2)  # nothing more comes: each event once
    assert [(e, d["action"], d["record"]["id"]) for e, d in stream.events] == [
        *(("notes", "create", i) for i in ids),
        ("notes", "update", ids[0]),
    ]
    assert events[-1][1]["record"]["title"] == "changed"

    # a rate limit holds across the nodes: one client, counted once (in PostgreSQL)
    rules = [{"label": "notes:list", "audience": "", "duration": 60, "maxRequests": 3}]
    r = httpx.patch(f"{b.base}/api/settings", json={"rateLimits": {"enabled": True, "rules": rules}},
                    headers={"Authorization": token})  # fmt: skip
    assert r.status_code == 200, r.text
    codes = [httpx.get(f"{node.base}/api/collections/notes/records").status_code for node in (a, b, a, b, a)]
    assert codes == [200, 200, 200, 429, 429]

    # the bus server goes away; a collection made meanwhile on A is not announced, and A
    # answers at once all the same (the change is committed)
    server.stop()
    started = time.monotonic()
    make_collection(a.base, token, "later")
    assert time.monotonic() - started < 8
    server.start()
    # B reconnects and re-reads the collections: it knows "later" without any message
    deadline = time.monotonic() + 15
    while httpx.get(f"{b.base}/api/collections/later/records").status_code != 200:
        assert time.monotonic() < deadline, "B did not resync after the bus came back"
        time.sleep(0.1)
    # and events flow again, in order, once (A's first writes may precede its reconnect)
    deadline = time.monotonic() + 15
    seen = len(stream.events)
    while len(stream.events) == seen:
        assert time.monotonic() < deadline, "no event crossed after the bus came back"
        r = httpx.post(f"{a.base}/api/collections/notes/records", json={"title": "probe"})
        assert r.status_code == 200
        time.sleep(0.2)
    time.sleep(0.3)
    seen = len(stream.events)
    after = []
    for n in range(5):
        r = httpx.post(f"{a.base}/api/collections/notes/records", json={"title": f"after{n}"})
        after.append(r.json()["id"])
    events = stream.wait(seen + 5)
    time.sleep(0.2)
    assert [d["record"]["id"] for _, d in stream.events[seen:]] == after


def test_serve_refuses_a_bus_it_cannot_use(pg_url: str, tmp_path: Path) -> None:
    alone = satchel("serve", f"--dir={tmp_path / 'x'}", "--bus=redis://127.0.0.1:6379/0", "--workers=1")
    assert alone.returncode == 1 and "--bus needs --db=postgresql://" in alone.stderr
    # nothing listens on port 9: the node's start-up error, one line, exit 1
    gone = satchel("serve", f"--dir={tmp_path / 'y'}", f"--db={pg_url}", "--bus=nats://127.0.0.1:9",
                   "--workers=1", timeout=120)  # fmt: skip
    assert gone.returncode == 1, gone.stdout + gone.stderr
    assert "the NATS bus could not connect to nats://127.0.0.1:9" in gone.stderr
