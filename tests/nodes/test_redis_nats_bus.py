"""The Redis and NATS buses between nodes, on private servers of the test's own
(tests/bus_support.py): order, messages cut in parts, acknowledged broadcasts, and a
server restarted under the nodes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from satchel.tools.bus.frames import Reassembly, frames
from satchel.tools.bus.nodebus import NodeBus
from satchel.tools.bus.select import UnknownBus, bus_channel, open_node_bus
from tests.bus_support import BusServer, bus_server

__all__ = ["bus_server"]


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
