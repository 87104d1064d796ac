"""One chaining primitive for hooks and middlewares (PocketBase's ``tools/hook``).

A :class:`Hook` holds handlers sorted by priority (lower first, registration order
among equals).  :meth:`Hook.trigger` runs them as a chain: each handler receives
the event and continues the chain by calling ``e.next()``; a handler that does not
call it stops the chain (the ``final`` built-in behaviour included).  Errors raised
anywhere propagate to the caller of ``trigger``.

Two ways to run a chain, because Satchel's work runs in two places:

- ``await hook.trigger(...)`` on the event loop: coroutine handlers are awaited
  (``await e.next()``); plain functions run on the hooks' own threads so they may
  block, and their ``e.next()`` runs the rest of the chain back on the loop and waits
  for it (a queue to the thread, ``call_soon_threadsafe`` and a lock back).
- :meth:`Hook.trigger_sync` on the calling thread (the writer thread inside a
  transaction, for model hooks): plain functions are called directly; a coroutine
  handler runs on a private event loop of that thread, so its ``await e.next()``
  stays on the thread that owns the transaction.

A hook with no handlers costs one attribute check: ``trigger`` calls ``final``
directly; one coroutine handler runs with no chain object.  A handler's ``on_error``
(given to :meth:`Hook.bind`) turns what is raised through it into another error.
"""

from __future__ import annotations

from satchel.tools.hook._event import Event
from satchel.tools.hook._hook import Handler, Hook

__all__ = ["Event", "Handler", "Hook"]
