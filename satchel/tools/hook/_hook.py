"""The :class:`Hook` chain (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from functools import partial
from queue import SimpleQueue
from typing import Any, Generic, NoReturn, TypeVar

from satchel.tools.hook._event import Event
from satchel.tools.registrations import current, note_undo, owned
from satchel.tools.security import random_string

__all__ = ["Handler", "Hook"]

E = TypeVar("E", bound=Event)
Final = Callable[[E], Any]
OnError = Callable[[Callable[[Any], Any], Exception], BaseException]

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True, slots=True)
class Handler(Generic[E]):
    """One handler bound to a hook, with its id and priority."""
    func: Callable[[E], Any]
    id: str
    priority: int = 0
    tags: frozenset[str] = frozenset()
    is_async: bool = False
    # what an exception raised through this handler becomes (the exception itself: as is)
    on_error: OnError | None = None

    def applies_to(self, event: Event) -> bool:
        return not self.tags or any(tag in self.tags for tag in event.hook_tags())


class Hook(Generic[E]):
    """Handlers with ids and priorities, run as a ``next()`` chain."""

    __slots__ = ("_handlers", "_lock", "_one", "_tagged", "name")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._handlers: tuple[Handler[E], ...] = ()
        self._tagged = False  # some handler is limited to tags: events must be filtered
        self._one: Handler[E] | None = None  # the only handler, a coroutine for every event
        self._lock = threading.Lock()

    def _set(self, handlers: tuple[Handler[E], ...]) -> None:
        # the flag first: a reader that sees the new handlers never skips a needed filter
        self._tagged = any(h.tags for h in handlers)
        one = handlers[0] if len(handlers) == 1 else None
        self._one = one if one is not None and one.is_async and not one.tags else None
        self._handlers = handlers

    # -- registration ----------------------------------------------------------------

    def bind(
        self,
        handler: Callable[[E], Any],
        id: str | None = None,  # noqa: A002 - PocketBase's name for it
        priority: int = 0,
        tags: Collection[str] = (),
        on_error: OnError | None = None,
    ) -> str:
        """Add ``handler`` (replacing one with the same id); returns its id.

        ``tags`` limits it to events tagged so (collections by name or id); ``on_error(func,
        exc)`` gives what an exception raised through the handler (by it or by the rest of
        the chain it ran) becomes: ``exc`` to let it through.
        """
        hid = id or random_string(10, _ID_ALPHABET)
        loading = current()
        if loading is not None:  # bound by a hook file: what it registers later is the file's too
            handler = owned(handler, loading)
        entry = Handler(handler, hid, priority, frozenset(tags), _is_async(handler), on_error)
        with self._lock:
            previous = next((h for h in self._handlers if h.id == hid), None)
            handlers = [h for h in self._handlers if h.id != hid]
            handlers.append(entry)
            handlers.sort(key=lambda h: h.priority)  # stable: registration order among equals
            self._set(tuple(handlers))
        note_undo(lambda: self._undo_bind(entry, previous))  # a hook file's binding goes on reload
        return hid

    def _undo_bind(self, entry: Handler[E], previous: Handler[E] | None) -> None:
        """Remove ``entry`` if still bound, bringing back the handler it replaced."""
        with self._lock:
            if entry not in self._handlers:
                return
            handlers = [h for h in self._handlers if h is not entry]
            if previous is not None:
                handlers.append(previous)
                handlers.sort(key=lambda h: h.priority)
            self._set(tuple(handlers))

    def unbind(self, *ids: str) -> None:
        with self._lock:
            self._set(tuple(h for h in self._handlers if h.id not in ids))

    def unbind_all(self) -> None:
        with self._lock:
            self._set(())

    def __len__(self) -> int:
        return len(self._handlers)

    @property
    def handlers(self) -> tuple[Handler[E], ...]:
        return self._handlers

    # -- running -----------------------------------------------------------------------

    def _for(self, event: E) -> tuple[Handler[E], ...]:
        handlers = self._handlers
        if handlers and self._tagged:
            handlers = tuple(h for h in handlers if h.applies_to(event))
        return handlers

    def trigger(self, event: E, final: Final[E] | None = None) -> Awaitable[Any]:
        """Run the chain on the event loop (see the package docstring): what to await.
        A plain function, not a coroutine: one frame less on every hooked request."""
        one = self._one
        if one is not None:  # the common hooked case
            return _one_coroutine(one, event, final)
        handlers = self._handlers
        if handlers:
            if self._tagged:
                handlers = tuple(h for h in handlers if h.applies_to(event))
            if handlers:
                return _AsyncChain(event, handlers, final).run(0)
        return _final_step(final, event)  # the common case: no user hook at all

    def trigger_sync(self, event: E, final: Final[E] | None = None) -> None:
        """Run the chain on the calling thread (see the package docstring)."""
        handlers = self._for(event)
        if not handlers:
            if final is not None:
                _call_sync(final, event)
            return
        _SyncChain(event, handlers, final).run(0)


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(type(func).__call__)


async def _done() -> None:
    return None


def _final_step(final: Final[E] | None, event: E) -> Awaitable[Any]:
    """The built-in step called now: its own coroutine, or a finished one."""
    if final is None:
        return _done()
    result = final(event)
    return result if result is not None and hasattr(result, "__await__") else _done()


def _raise_through(handler: Handler[Any], exc: Exception) -> NoReturn:
    """Raise what ``exc`` becomes on its way through ``handler`` (its ``on_error``)."""
    on_error = handler.on_error
    replacement = exc if on_error is None else on_error(handler.func, exc)
    if replacement is exc:
        raise exc
    raise replacement from exc


async def _one_coroutine(handler: Handler[E], event: E, final: Final[E] | None) -> None:
    """A chain of one coroutine handler, with no chain object: its ``e.next()`` is the
    built-in step (what :meth:`_AsyncChain.run` does for a link, with less to keep)."""
    previous = event._next
    event._next = partial(_final_step, final, event)
    try:
        await handler.func(event)
    except Exception as exc:
        _raise_through(handler, exc)
    finally:
        event._next = previous  # no cycle left behind (the partial holds the event)


class _AsyncChain(Generic[E]):
    """One run of a chain on the loop.  Lean on purpose (a do-nothing coroutine handler
    is on the path of every hooked request): ``e.next`` is set once per run to this
    chain's :meth:`next` (a plain handler's link swaps in its :class:`_PlainLink`'s), the
    position of the running link lives on the chain, and a handler's ``on_error`` is
    applied here rather than by a wrapper coroutine around it.  Nothing keeps a
    reference cycle once the run is over (``e.next`` is restored when link 0 ends): a
    cycle would leave the request's whole object graph to the garbage collector, which
    cost more than everything else a hook adds."""

    __slots__ = ("event", "final", "handlers", "pos", "previous")

    def __init__(self, event: E, handlers: tuple[Handler[E], ...], final: Final[E] | None) -> None:
        self.event = event
        self.handlers = handlers
        self.final = final
        self.previous = event._next
        event._next = self.next
        # self.pos is set by run()

    async def run(self, index: int) -> None:
        handler = self.handlers[index]
        self.pos = index
        try:
            if handler.is_async:
                await handler.func(self.event)
            else:
                await _PlainLink(self).run(handler)  # plain functions may block: off the loop
        except Exception as exc:
            _raise_through(handler, exc)
        finally:
            self.pos = index - 1
            if not index:
                self.event._next = self.previous  # the run is over: no cycle left behind

    def next(self) -> Awaitable[Any]:
        """What a coroutine handler awaits: the next link, or the built-in step's own
        coroutine (called now: one coroutine less on every hooked request)."""
        index = self.pos + 1
        if index < len(self.handlers):
            return self.run(index)
        final = self.final  # _final_step, inline: this runs on every hooked request
        if final is None:
            return _done()
        result = final(self.event)
        return result if result is not None and hasattr(result, "__await__") else _done()

    def _run_here(self, index: int) -> None:
        handler = self.handlers[index]
        self.pos = index
        try:
            handler.func(self.event)
        except Exception as exc:
            _raise_through(handler, exc)
        finally:
            self.pos = index - 1


class _PlainLink:
    """A plain handler's link: the handler runs on a hook thread (it may block) with the
    caller's context; its ``e.next()`` asks :meth:`run`, waiting on the loop, to run the
    rest of the chain there, and waits for it.  No ``concurrent.futures``, no task: a
    queue to the thread, ``call_soon_threadsafe`` and a lock back (see :func:`_deliver`).
    One per plain link (a plain handler further down the chain has its own inbox)."""

    __slots__ = ("chain", "inbox", "loop")

    def __init__(self, chain: _AsyncChain[Any]) -> None:
        self.chain = chain
        self.loop = asyncio.get_running_loop()
        self.inbox: asyncio.Future[Any] | None = self.loop.create_future()

    async def run(self, handler: Handler[Any]) -> None:
        chain, loop = self.chain, self.loop
        event = chain.event
        previous = event._next
        event._next = self.next_on_thread
        inbox = self.inbox
        assert inbox is not None
        _submit(partial(self._job, contextvars.copy_context(), handler.func))
        try:
            while True:
                message = await inbox
                if type(message) is _Done:
                    if message.error is not None:
                        raise message.error
                    return
                index, waiter, box = message
                inbox = self.inbox = loop.create_future()  # before the answer: the thread's next message
                on_thread = event._next
                event._next = chain.next  # coroutine handlers of the rest await it here
                try:
                    await (chain.run(index) if index < len(chain.handlers) else _final_step(chain.final, event))
                except asyncio.CancelledError as exc:
                    box.append(exc)
                    raise
                except BaseException as exc:  # raised in the thread by e.next()
                    box.append(exc)
                finally:
                    event._next = on_thread
                    waiter.release()
        finally:
            self.inbox = None  # a message after this finds nobody waiting: see _deliver
            event._next = previous

    def _job(self, context: contextvars.Context, func: Callable[[Any], Any]) -> None:
        try:
            context.run(func, self.chain.event)
        except BaseException as exc:
            done = _Done(exc)
        else:
            done = _DONE
        self.loop.call_soon_threadsafe(_deliver, self, done)

    def next_on_thread(self) -> None:
        """``e.next()`` in the plain handler, on its thread."""
        chain = self.chain
        index = chain.pos + 1
        if index < len(chain.handlers) and not chain.handlers[index].is_async:
            chain._run_here(index)  # plain after plain: called right here, on this thread
            return
        # the rest (a coroutine handler, the built-in step) on the loop; this thread waits
        waiter = threading.Lock()
        waiter.acquire()
        box: list[BaseException] = []
        self.loop.call_soon_threadsafe(_deliver, self, (index, waiter, box))
        waiter.acquire()  # released by the loop once the rest has run
        if box:
            raise box[0]


class _Done:
    """A plain handler's end, sent from its thread to the loop."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


_DONE = _Done(None)


def _deliver(link: _PlainLink, message: Any) -> None:
    """On the loop: hand a hook thread's message to the link waiting for it.  If the
    link is gone (its request was cancelled), a thread waiting in ``e.next()`` is let go
    with the cancellation instead of waiting forever."""
    inbox = link.inbox
    if inbox is not None and not inbox.done():
        inbox.set_result(message)
    elif type(message) is tuple:
        _, waiter, box = message
        box.append(asyncio.CancelledError())
        waiter.release()


# -- the hook threads: plain request handlers, each waiting in e.next() for the rest -----

POOL_SIZE = 64  # plain handlers running at once; more wait for a thread
_JOBS: SimpleQueue[Callable[[], None]] = SimpleQueue()
_IDLE: list[None] = []  # one entry per idle thread that no job has claimed yet
_THREADS: list[threading.Thread] = []
_THREADS_LOCK = threading.Lock()


def _submit(job: Callable[[], None]) -> None:
    """Run ``job`` on a hook thread: an idle one (claimed by taking its entry of
    ``_IDLE``), a new one while there are fewer than ``POOL_SIZE``, else the first that
    becomes free.  (A thread pool of our own: ``ThreadPoolExecutor.submit`` and its
    futures cost more Python than the rest of a plain handler's hand-off.)"""
    try:
        _IDLE.pop()
    except IndexError:
        with _THREADS_LOCK:
            if len(_THREADS) < POOL_SIZE:
                thread = threading.Thread(target=_work, args=(job,), name=f"satchel-hook-{len(_THREADS)}",
                                          daemon=True)  # fmt: skip
                _THREADS.append(thread)
                thread.start()
                return
    _JOBS.put(job)


def _work(job: Callable[[], None]) -> None:
    while True:
        try:
            job()
        except BaseException:  # a job reports its own errors; never lose the thread
            logging.getLogger("satchel.hooks").exception("hook thread job failed")
        del job  # not kept while idle: it holds the request's chain and event
        _IDLE.append(None)
        job = _JOBS.get()


class _SyncChain(Generic[E]):
    def __init__(self, event: E, handlers: tuple[Handler[E], ...], final: Final[E] | None) -> None:
        self.event = event
        self.handlers = handlers
        self.final = final

    def run(self, index: int) -> None:
        event = self.event
        if index >= len(self.handlers):
            if self.final is not None:
                _call_sync(self.final, event)
            return
        handler = self.handlers[index]
        previous = event._next
        event._next = lambda: self._next_from(index + 1)
        try:
            _call_sync(handler.func, event)
        except Exception as exc:
            _raise_through(handler, exc)
        finally:
            event._next = previous

    def _next_from(self, index: int) -> Any:
        if _loop_running_here():
            return _as_coroutine(self.run, index)  # inside a coroutine handler's private loop
        self.run(index)
        return None


async def _as_coroutine(fn: Callable[[int], None], index: int) -> None:
    fn(index)


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _call_sync(func: Callable[[Any], Any], event: Any) -> None:
    result = func(event)
    if inspect.isawaitable(result):
        _run_here(result)


def _run_here(awaitable: Awaitable[Any]) -> None:
    """Run a coroutine to its end on the calling thread, on a private loop."""
    if _loop_running_here():
        raise RuntimeError(
            "a coroutine hook handler can't run here: this chain runs synchronously on a thread "
            "that already runs an event loop"
        )

    async def wrap() -> None:
        await awaitable

    runner = asyncio.Runner()
    with runner:
        runner.run(wrap())
