"""The chain primitive: order, ids, priorities, stopping, errors, sync/async handlers, tags."""

from __future__ import annotations

import asyncio
import threading
import time
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


def test_each_plain_link_has_its_own_way_back_to_the_loop() -> None:
    """plain -> coroutine -> plain: the inner plain handler's link must not take the outer
    one's messages (the outer would wait forever for its end)."""
    hook: Hook[Ev] = Hook()

    def outer(e: Ev) -> None:
        e.log.append("outer>")
        e.next()
        e.log.append("<outer")

    async def middle(e: Ev) -> None:
        e.log.append("middle>")
        await e.next()
        e.log.append("<middle")

    def inner(e: Ev) -> None:
        e.log.append("inner>")
        e.next()
        e.log.append("<inner")

    for handler in (outer, middle, inner):
        hook.bind(handler)

    async def main() -> Ev:
        e = Ev()
        await asyncio.wait_for(hook.trigger(e, _final), 10)
        return e

    e = asyncio.run(main())
    assert e.log == ["outer>", "middle>", "inner>", "final", "<inner", "<middle", "<outer"]


@pytest.mark.parametrize("shape", ["one coroutine", "coroutine chain", "plain"])
def test_on_error_turns_what_a_handler_raises_through_into_another_error(shape: str) -> None:
    """``on_error`` replaces what is raised by the handler or by the rest it ran, with no
    wrapper around the handler; an error it returns as is goes through unchanged."""
    hook: Hook[Ev] = Hook()
    seen: list[tuple[str, str]] = []

    def on_error(func: object, exc: Exception) -> BaseException:
        seen.append((getattr(func, "__name__", "?"), type(exc).__name__))
        return exc if isinstance(exc, LookupError) else RuntimeError("replaced")

    async def failing(e: Ev) -> None:
        await e.next()
        raise ValueError("bug")

    def plain_failing(e: Ev) -> None:
        e.next()
        raise ValueError("bug")

    async def passing(e: Ev) -> None:
        await e.next()

    handler = plain_failing if shape == "plain" else failing
    hook.bind(handler, on_error=on_error)
    if shape == "coroutine chain":
        hook.bind(passing, on_error=on_error)
    with pytest.raises(RuntimeError, match="replaced") as info:
        asyncio.run(hook.trigger(Ev(), _final))
    assert isinstance(info.value.__cause__, ValueError)
    assert seen == [(handler.__name__, "ValueError")]

    async def final_fails(e: Ev) -> None:
        raise KeyError("x")

    seen.clear()
    with pytest.raises(KeyError):  # a LookupError: let through, by every link on the way
        asyncio.run(hook.trigger(Ev(), final_fails))
    assert {name for name, _ in seen} <= {handler.__name__, "passing"} and seen


def test_a_plain_handler_is_let_go_when_its_request_is_cancelled() -> None:
    """Cancelled while its plain handler runs, a chain never runs the rest, and the
    handler's ``e.next()`` returns or raises ``CancelledError`` (a call already on its way
    to the loop), never waits forever."""
    hook: Hook[Ev] = Hook()
    started, go = threading.Event(), threading.Event()
    outcome: list[str] = []

    def plain(e: Ev) -> None:
        started.set()
        go.wait(10)
        try:
            e.next()
            outcome.append("returned")
        except asyncio.CancelledError:
            outcome.append("cancelled")

    hook.bind(plain)
    e = Ev()

    async def main() -> None:
        task = asyncio.ensure_future(hook.trigger(e, _final))
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        go.set()
        for _ in range(500):
            if outcome:
                break
            await asyncio.sleep(0.01)

    asyncio.run(main())
    assert outcome in (["returned"], ["cancelled"])
    assert e.log == []


def test_a_finished_chain_is_freed_at_once_whatever_its_handlers() -> None:
    """No cycle and no idle hook thread keeps the event once the chain is over (it is freed
    by reference counting: the cycle collector is off)."""
    import gc
    import weakref

    hook: Hook[Ev] = Hook()

    def plain(e: Ev) -> None:
        e.next()

    async def coro(e: Ev) -> None:
        await e.next()

    for handlers in ([coro], [plain], [coro, plain, coro]):
        hook.unbind_all()
        for handler in handlers:
            hook.bind(handler)

        async def main() -> weakref.ref[Ev]:
            e = Ev()
            await hook.trigger(e, _final)
            assert e.log == ["final"]
            return weakref.ref(e)

        gc.disable()
        try:
            ref = asyncio.run(main())
            for _ in range(200):  # a hook thread lets go of its job just after it answered
                if ref() is None:
                    break
                time.sleep(0.005)
            assert ref() is None, [h.__name__ for h in handlers]
        finally:
            gc.enable()
