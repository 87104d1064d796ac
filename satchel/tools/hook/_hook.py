"""The :class:`Hook` chain (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from satchel.tools.hook._event import Event
from satchel.tools.registrations import current, note_undo, owned
from satchel.tools.security import random_string

__all__ = ["Handler", "Hook"]

E = TypeVar("E", bound=Event)
Final = Callable[[E], Any]

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True, slots=True)
class Handler(Generic[E]):
    func: Callable[[E], Any]
    id: str
    priority: int = 0
    tags: frozenset[str] = frozenset()
    is_async: bool = False

    def applies_to(self, event: Event) -> bool:
        return not self.tags or any(tag in self.tags for tag in event.hook_tags())


class Hook(Generic[E]):
    """Handlers with ids and priorities, run as a ``next()`` chain."""

    __slots__ = ("_handlers", "_lock", "_tagged", "name")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._handlers: tuple[Handler[E], ...] = ()
        self._tagged = False  # some handler is limited to tags: events must be filtered
        self._lock = threading.Lock()

    def _set(self, handlers: tuple[Handler[E], ...]) -> None:
        # the flag first: a reader that sees the new handlers never skips a needed filter
        self._tagged = any(h.tags for h in handlers)
        self._handlers = handlers

    # -- registration ----------------------------------------------------------------

    def bind(
        self,
        handler: Callable[[E], Any],
        id: str | None = None,  # noqa: A002 - PocketBase's name for it
        priority: int = 0,
        tags: Collection[str] = (),
    ) -> str:
        """Add ``handler`` (replacing one with the same id); returns its id.

        ``tags`` limits it to events tagged so (collections by name or id).
        """
        hid = id or random_string(10, _ID_ALPHABET)
        loading = current()
        if loading is not None:  # bound by a hook file: what it registers later is the file's too
            handler = owned(handler, loading)
        entry = Handler(handler, hid, priority, frozenset(tags), _is_async(handler))
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

    async def trigger(self, event: E, final: Final[E] | None = None) -> None:
        """Run the chain on the event loop (see the package docstring)."""
        handlers = self._handlers
        if handlers and self._tagged:
            handlers = tuple(h for h in handlers if h.applies_to(event))
        if handlers:
            await _AsyncChain(event, handlers, final).run(0)
        elif final is not None:  # the common case: no user hook at all
            result = final(event)
            if result is not None and hasattr(result, "__await__"):
                await result

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


class _AsyncChain(Generic[E]):
    """One run of a chain on the loop.  Lean on purpose (a do-nothing coroutine handler
    is on the path of every hooked request): no closure per link, the position of the
    running link lives on the chain, and ``e.next`` is the bound method for where the
    handler runs (the loop, or a hook thread) so it need not ask.  Nothing keeps a
    reference cycle once the run is over (``e.next`` is restored after each link): a
    cycle would leave the request's whole object graph to the garbage collector, which
    cost more than everything else a hook adds."""

    __slots__ = ("event", "final", "handlers", "loop", "pos")

    def __init__(self, event: E, handlers: tuple[Handler[E], ...], final: Final[E] | None) -> None:
        self.event = event
        self.handlers = handlers
        self.final = final
        self.pos = -1
        self.loop: asyncio.AbstractEventLoop | None = None  # taken when a plain handler needs it

    async def run(self, index: int) -> None:
        event = self.event
        if index >= len(self.handlers):
            final = self.final
            if final is not None:
                result = final(event)
                if result is not None and hasattr(result, "__await__"):
                    await result
            return
        handler = self.handlers[index]
        previous, previous_pos = event._next, self.pos
        self.pos = index
        try:
            if handler.is_async:
                event._next = self._next_on_loop
                await handler.func(event)
            else:
                # plain functions may block: off the loop, with the caller's context, on the
                # hooks' own threads (a blocked handler must not starve asyncio.to_thread users)
                event._next = self._next_on_thread
                loop = self.loop = asyncio.get_running_loop()
                await loop.run_in_executor(_pool(), contextvars.copy_context().run, handler.func, event)
        finally:
            event._next = previous
            self.pos = previous_pos

    def _next_on_loop(self) -> Any:
        """What the coroutine handler awaits: the next link, or the built-in step's own
        coroutine (called now: one coroutine less on every hooked request)."""
        index = self.pos + 1
        if index < len(self.handlers):
            return self.run(index)
        final = self.final
        result = final(self.event) if final is not None else None
        return result if result is not None and hasattr(result, "__await__") else _done()

    def _next_on_thread(self) -> None:
        index = self.pos + 1
        if index < len(self.handlers) and not self.handlers[index].is_async:
            # plain after plain: called right here, one worker thread per chain
            self._run_here(index)
            return
        # the rest (a coroutine handler, the built-in step) on the loop; this thread waits
        assert self.loop is not None
        asyncio.run_coroutine_threadsafe(self.run(index), self.loop).result()

    def _run_here(self, index: int) -> None:
        event = self.event
        previous, previous_pos = event._next, self.pos
        event._next = self._next_on_thread
        self.pos = index
        try:
            self.handlers[index].func(event)
        finally:
            event._next = previous
            self.pos = previous_pos


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()
POOL_SIZE = 64  # plain request handlers running at once; each waits in e.next() for the rest


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="satchel-hook")
    return _POOL


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
