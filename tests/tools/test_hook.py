"""The chain primitive: order, ids, priorities, stopping, errors, sync/async handlers, tags."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest

from satchel.tools.hook import Event, Hook


@dataclass
class Ev(Event):
    log: list[str] = field(default_factory=list)
    tags: tuple[str, ...] = ()

    def hook_tags(self) -> tuple[str, ...]:
        return self.tags


def _final(e: Ev) -> None:
    e.log.append("final")


def test_sync_chain_order_priority_and_replace_by_id() -> None:
    hook: Hook[Ev] = Hook()

    def make(name: str):  # type: ignore[no-untyped-def]
        def handler(e: Ev) -> None:
            e.log.append(name + ">")
            e.next()
            e.log.append("<" + name)

        return handler

    hook.bind(make("a"))
    hook.bind(make("b"), id="b")
    hook.bind(make("first"), priority=-5)
    hook.bind(make("B"), id="b")  # same id replaces, keeps no duplicate
    e = Ev()
    hook.trigger_sync(e, _final)
    assert e.log == ["first>", "a>", "B>", "final", "<B", "<a", "<first"]
    hook.unbind("b")
    e = Ev()
    hook.trigger_sync(e, _final)
    assert e.log == ["first>", "a>", "final", "<a", "<first"]
    assert len(hook) == 2


def test_not_calling_next_stops_the_chain_and_errors_propagate() -> None:
    hook: Hook[Ev] = Hook()
    hook.bind(lambda e: e.log.append("stopper"))
    hook.bind(lambda e: e.log.append("never"))
    e = Ev()
    hook.trigger_sync(e, _final)
    assert e.log == ["stopper"]

    hook.unbind_all()

    def boom(e: Ev) -> None:
        raise ValueError("nope")

    hook.bind(boom)
    with pytest.raises(ValueError, match="nope"):
        hook.trigger_sync(Ev(), _final)


def test_no_handlers_runs_final_directly() -> None:
    hook: Hook[Ev] = Hook()
    e = Ev()
    hook.trigger_sync(e, _final)
    asyncio.run(hook.trigger(e, _final))
    assert e.log == ["final", "final"]


def test_tagged_handlers_only_for_their_tags() -> None:
    hook: Hook[Ev] = Hook()

    def tagged(e: Ev) -> None:
        e.log.append("tagged")
        e.next()

    hook.bind(tagged, tags=["posts", "abc123"])
    e = Ev(tags=("abc123", "posts"))
    hook.trigger_sync(e, _final)
    assert e.log == ["tagged", "final"]
    e = Ev(tags=("zzz", "comments"))
    hook.trigger_sync(e, _final)
    assert e.log == ["final"]


def test_async_trigger_mixes_coroutines_and_plain_functions_off_the_loop() -> None:
    hook: Hook[Ev] = Hook()
    threads: dict[str, int] = {}

    async def coro(e: Ev) -> None:
        threads["coro"] = threading.get_ident()
        e.log.append("coro>")
        await e.next()
        e.log.append("<coro")

    def plain(e: Ev) -> None:
        threads["plain"] = threading.get_ident()
        e.log.append("plain>")
        e.next()  # blocks until the rest (a coroutine handler and the final) ran on the loop
        e.log.append("<plain")

    async def inner(e: Ev) -> None:
        threads["inner"] = threading.get_ident()
        e.log.append("inner")
        await e.next()

    async def final(e: Ev) -> None:
        await asyncio.sleep(0)
        e.log.append("final")

    hook.bind(coro)
    hook.bind(plain)
    hook.bind(inner)

    async def main() -> Ev:
        threads["loop"] = threading.get_ident()
        e = Ev()
        await hook.trigger(e, final)
        return e

    e = asyncio.run(main())
    assert e.log == ["coro>", "plain>", "inner", "final", "<plain", "<coro"]
    assert threads["coro"] == threads["loop"] == threads["inner"]
    assert threads["plain"] != threads["loop"]


def test_async_trigger_error_from_plain_handler_and_from_final() -> None:
    hook: Hook[Ev] = Hook()
    seen: list[str] = []

    def plain(e: Ev) -> None:
        try:
            e.next()
        except KeyError:
            seen.append("caught in plain")
            raise

    async def final(e: Ev) -> None:
        raise KeyError("x")

    hook.bind(plain)
    with pytest.raises(KeyError):
        asyncio.run(hook.trigger(Ev(), final))
    assert seen == ["caught in plain"]


def test_sync_trigger_runs_coroutine_handlers_on_the_same_thread() -> None:
    hook: Hook[Ev] = Hook()
    where: list[int] = []

    async def coro(e: Ev) -> None:
        where.append(threading.get_ident())
        e.log.append("coro")
        await e.next()

    def final(e: Ev) -> None:
        where.append(threading.get_ident())
        e.log.append("final")

    hook.bind(coro)

    def on_thread() -> Ev:
        e = Ev()
        hook.trigger_sync(e, final)
        return e

    result: list[Ev] = []
    t = threading.Thread(target=lambda: result.append(on_thread()))
    t.start()
    t.join()
    assert result[0].log == ["coro", "final"]
    assert where[0] == where[1] == t.ident


def test_plain_handlers_share_one_thread_and_never_starve_to_thread() -> None:
    hook: Hook[Ev] = Hook()
    threads: dict[int, list[int]] = {}

    def first(e: Ev) -> None:
        threads.setdefault(id(e), []).append(threading.get_ident())
        e.next()

    def second(e: Ev) -> None:
        threads[id(e)].append(threading.get_ident())
        e.next()

    hook.bind(first)
    hook.bind(second)

    async def final(e: Ev) -> None:
        # the built-in step needs a default-executor thread while every plain handler waits:
        # with the handlers on that executor, 20 chains at once would deadlock
        await asyncio.to_thread(e.log.append, "final")

    async def main() -> list[Ev]:
        events = [Ev() for _ in range(20)]
        await asyncio.wait_for(asyncio.gather(*(hook.trigger(e, final) for e in events)), 10)
        return events

    events = asyncio.run(main())
    assert all(e.log == ["final"] for e in events)
    assert all(len(threads[id(e)]) == 2 and len(set(threads[id(e)])) == 1 for e in events)


def test_tag_filter_follows_binds_and_unbinds() -> None:
    """Events are filtered only while a tagged handler is bound (a flag kept with the tuple)."""
    hook: Hook[Ev] = Hook()

    async def plain_tagless(e: Ev) -> None:
        e.log.append("all")
        await e.next()

    async def tagged(e: Ev) -> None:
        e.log.append("posts")
        await e.next()

    hook.bind(plain_tagless, id="all")
    hook.bind(tagged, id="t", tags=["posts"])
    e = Ev(tags=("comments",))
    asyncio.run(hook.trigger(e, _final))
    assert e.log == ["all", "final"]
    hook.unbind("t")
    hook.bind(tagged, id="t2")  # now untagged: runs for every event
    e = Ev(tags=("comments",))
    asyncio.run(hook.trigger(e, _final))
    assert e.log == ["all", "posts", "final"]


def test_async_chain_nesting_and_next_twice() -> None:
    """``e.next()`` runs the rest from the caller's own position, however often it is called
    and whatever the later links did; ``e.next`` is restored after the chain."""
    hook: Hook[Ev] = Hook()

    async def twice(e: Ev) -> None:
        e.log.append("twice>")
        await e.next()
        await e.next()
        e.log.append("<twice")

    def plain(e: Ev) -> None:
        e.log.append("plain")
        e.next()

    async def last(e: Ev) -> None:
        e.log.append("last")
        await e.next()

    hook.bind(twice)
    hook.bind(plain)
    hook.bind(last)
    e = Ev()
    asyncio.run(hook.trigger(e, _final))
    assert e.log == ["twice>", "plain", "last", "final", "plain", "last", "final", "<twice"]
    assert e.next() is None  # back to the end-of-chain default
