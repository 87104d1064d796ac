"""The bus: frames, the in-process implementation, and the relay with real links
over a Unix socket (each link has its own loop thread, as a worker would)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from satchel.tools.bus import BusTimeout, InProcessBus, Message
from satchel.tools.bus.listeners import Listeners
from satchel.tools.bus.relay import LinkBus, Relay
from satchel.tools.bus.wire import MAX_FRAME, FrameDecoder, FrameError, encode


def test_frames_survive_any_cut() -> None:
    messages = [{"type": "record", "n": i, "text": "é" * i} for i in range(20)]
    stream = b"".join(encode(m) for m in messages)
    for step in (1, 3, 7, 64, len(stream)):
        decoder = FrameDecoder()
        got: list[dict[str, Any]] = []
        for i in range(0, len(stream), step):
            got += decoder.feed(stream[i : i + step])
        assert got == messages
        assert decoder.pending == 0


def test_bad_frames_are_refused() -> None:
    with pytest.raises(FrameError):
        FrameDecoder().feed((MAX_FRAME + 1).to_bytes(4, "big"))
    with pytest.raises(FrameError):
        FrameDecoder().feed(b"\x00\x00\x00\x02[]")
    with pytest.raises(FrameError):
        FrameDecoder().feed(b"\x00\x00\x00\x02{x")


def test_in_process_bus_delivers_in_order_and_answers_itself() -> None:
    bus = InProcessBus()
    got: list[int] = []

    async def main() -> Message | None:
        bus.subscribe(lambda m: got.append(int(m["n"])), asyncio.get_running_loop())
        threads = [threading.Thread(target=lambda: [bus.publish({"n": n}) for n in range(100)])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        await asyncio.sleep(0.01)
        await bus.broadcast_acked({"type": "x"})  # nobody else: returns at once

        async def answer(m: Message) -> Message:
            return {"echo": m["q"]}

        bus.on_request("q", answer)
        assert await bus.request(1, {"type": "q", "q": 1}) is None  # no member 1 in one process
        return await bus.request(0, {"type": "q", "q": 2})

    assert asyncio.run(main()) == {"echo": 2}
    assert got == list(range(100))


class Member:
    """A LinkBus with its own event loop thread."""

    def __init__(self, path: str, member: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.bus = LinkBus(path, member)
        self.got: list[Message] = []
        self.bus.subscribe(self.got.append, self.loop)

    def run(self, coro: Any, timeout: float = 5.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.bus.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class RelayThread:
    def __init__(self, path: str, listeners: Listeners | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.relay = Relay(path, listeners)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.relay.start(), self.loop).result(5)

    def wait_members(self, n: int) -> None:
        assert asyncio.run_coroutine_threadsafe(self.relay.wait_members(n, 5), self.loop).result(6)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.relay.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[RelayThread, str]]:
    path = str(tmp_path / "bus.sock")
    r = RelayThread(path)
    yield r, path
    r.close()


def wait_for(check: Any, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_publish_reaches_every_member_once_in_order(relay: tuple[RelayThread, str]) -> None:
    r, path = relay
    members = [Member(path, i) for i in range(3)]
    try:
        r.wait_members(3)
        for n in range(200):
            members[n % 2].bus.publish({"n": n}, seq=n + 1)
        # member 2 hears everything; the publishers hear their own and the other's
        wait_for(lambda: all(len(m.got) == 200 for m in members))
        for m in members:
            assert sorted(int(x["n"]) for x in m.got) == list(range(200))
        # one order for every member, the publishers included
        assert members[0].got == members[1].got == members[2].got
        # per publisher, order is kept everywhere
        evens = [int(x["n"]) for x in members[2].got if int(x["n"]) % 2 == 0]
        assert evens == sorted(evens)
    finally:
        for m in members:
            m.close()


def test_relay_orders_a_turn_by_seq() -> None:
    """Frames read in one loop turn are forwarded in ``seq`` order."""

    class FakePeer:
        def __init__(self, member: int) -> None:
            self.member = member
            self.sent: list[Any] = []
            self.transport = None

        def send(self, frame: Any) -> None:
            self.sent.append(frame)

        def send_encoded(self, data: bytes) -> None:
            self.sent.extend(FrameDecoder().feed(data))

    async def main() -> list[Any]:
        relay = Relay("/nonexistent")
        a, b, c = FakePeer(0), FakePeer(1), FakePeer(2)
        relay.members = {0: a, 1: b, 2: c}  # type: ignore[dict-item]
        relay.received(b, {"k": "pub", "m": {"n": 2}, "seq": 2})  # type: ignore[arg-type]
        relay.received(a, {"k": "pub", "m": {"n": 1}, "seq": 1})  # type: ignore[arg-type]
        await asyncio.sleep(0)
        return c.sent

    assert asyncio.run(main()) == [{"k": "pub", "m": {"n": 1}}, {"k": "pub", "m": {"n": 2}}]


def test_listeners_are_shared_with_forked_processes() -> None:
    listeners = Listeners(3)
    assert not listeners.any()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        listeners.join(2)
        listeners.set(True)
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    assert listeners.any() and listeners.listens(2) and not listeners.listens(1)
    listeners.join(2)  # a restarted member 2 starts not listening
    assert not listeners.any()
    listeners.set(True)
    listeners.set(False)
    assert not listeners.any()
    assert not listeners.listens(7)
    listeners.close()


def test_commit_events_go_only_to_members_that_listen(tmp_path: Path) -> None:
    path = str(tmp_path / "bus.sock")
    listeners = Listeners(3)
    listeners.join(1)
    listeners.set(True)  # member 1 has a realtime client; 0 and 2 have none
    r = RelayThread(path, listeners)
    members = [Member(path, i) for i in range(3)]
    try:
        r.wait_members(3)
        members[0].bus.publish({"n": 1}, seq=1)
        members[2].bus.publish({"n": 2}, seq=2)
        members[0].bus.publish({"type": "client", "n": 3})  # no seq: every member
        wait_for(lambda: len(members[1].got) == 3 and len(members[0].got) == 1 and len(members[2].got) == 1)
        assert sorted(m["n"] for m in members[1].got) == [1, 2, 3]
        assert members[0].got == members[2].got == [{"type": "client", "n": 3}]
        listeners.set(False)  # nobody listens: a commit's events reach nobody
        members[0].bus.publish({"n": 4}, seq=3)
        members[0].bus.publish({"type": "client", "n": 5})
        wait_for(lambda: all(len(m.got) == (4 if i == 1 else 2) for i, m in enumerate(members)))
        assert sorted(m["n"] for m in members[1].got) == [1, 2, 3, 5]
    finally:
        for m in members:
            m.close()
        r.close()
        listeners.close()


def test_acked_broadcast_waits_for_every_other_member(relay: tuple[RelayThread, str]) -> None:
    r, path = relay
    members = [Member(path, i) for i in range(3)]
    handled = threading.Event()
    release = threading.Event()

    def slow(m: Message) -> None:
        if m.get("type") == "collections":
            handled.set()
            release.wait(5)

    members[2].bus.subscribe(slow, members[2].loop)
    try:
        r.wait_members(3)
        future = asyncio.run_coroutine_threadsafe(
            members[0].bus.broadcast_acked({"type": "collections"}), members[0].loop
        )
        assert handled.wait(5)
        assert not future.done()  # member 2 is still handling it
        # member 1 handles it on its own loop: its copy may arrive a moment after member 2's
        deadline = time.monotonic() + 5
        while {"type": "collections"} not in members[1].got and time.monotonic() < deadline:
            time.sleep(0.01)
        assert {"type": "collections"} in members[1].got
        assert not future.done()  # still waiting for member 2
        assert {"type": "collections"} not in members[0].got  # not echoed to the sender
        release.set()
        future.result(5)
    finally:
        release.set()
        for m in members:
            m.close()


def test_a_dead_member_stops_counting_and_answers_null(relay: tuple[RelayThread, str]) -> None:
    r, path = relay
    a, b = Member(path, 0), Member(path, 1)
    stuck = threading.Event()
    b.bus.subscribe(lambda m: stuck.wait(10) if m.get("type") == "stuck" else None, b.loop)

    async def never(m: Message) -> Message:
        await asyncio.sleep(60)
        return {}

    b.bus.on_request("q", never)
    try:
        r.wait_members(2)
        broadcast = asyncio.run_coroutine_threadsafe(a.bus.broadcast_acked({"type": "stuck"}), a.loop)
        request = asyncio.run_coroutine_threadsafe(a.bus.request(1, {"type": "q", "q": 1}, timeout=10), a.loop)
        wait_for(lambda: r.relay.relayed >= 2)
        b.bus.close()  # the worker dies
        broadcast.result(5)
        assert request.result(5) is None
        assert a.run(a.bus.request(7, {"type": "q", "q": 1})) is None  # nobody there
    finally:
        stuck.set()
        a.close()
        b.close()


def test_requests_are_answered_by_their_member(relay: tuple[RelayThread, str]) -> None:
    r, path = relay
    a, b = Member(path, 0), Member(path, 1)

    async def answer(m: Message) -> Message:
        return {"by": 1, "q": m["q"]}

    b.bus.on_request("q", answer)
    try:
        r.wait_members(2)
        assert a.run(a.bus.request(1, {"type": "q", "q": "x"})) == {"by": 1, "q": "x"}
        with pytest.raises(BusTimeout):

            async def slow(m: Message) -> Message:
                await asyncio.sleep(2)
                return {}

            b.bus.on_request("q", slow)
            a.run(a.bus.request(1, {"type": "q", "q": "y"}, timeout=0.2))
    finally:
        a.close()
        b.close()
