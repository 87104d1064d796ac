"""Decisions one process keeps in memory (resend guards, attempt limiters), kept by one
worker among the workers of ``serve --workers``.

PocketBase keeps them in its process's memory; with several workers a client's next
request may reach another process, so the other workers ask member 0 through the bus.
A decision is a plain function ``(app, payload) -> JSON value``; member 0 answers the
ones the worker set-up lists (:func:`serve_on_leader`), explicitly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from satchel.tools.bus import BusTimeout

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["LeaderFn", "on_leader", "serve_on_leader"]

LeaderFn = Callable[["App", Mapping[str, Any]], Any]

log = logging.getLogger("satchel.workers")

#: seconds member 0 has to answer before this worker decides alone
ASK_TIMEOUT = 5.0


async def on_leader(app: App, kind: str, fn: LeaderFn, payload: Mapping[str, Any]) -> Any:
    """``fn(app, payload)`` here, or on member 0 when this is another worker (here again
    while member 0 is being restarted, or when it does not answer in time)."""
    bus = app.bus
    if bus.member == 0 or not app.state.get("workers"):
        return fn(app, payload)
    try:
        answer = await bus.request(0, {"type": kind, "payload": dict(payload)}, ASK_TIMEOUT)
    except BusTimeout:
        # a member 0 stalled that long (a loaded machine) must not fail the request or drop
        # its mail: decide here, as while it restarts (the guard counts per worker meanwhile)
        log.warning("worker 0 did not answer %s in %gs: decided by this worker", kind, ASK_TIMEOUT)
        return fn(app, payload)
    if answer is None:
        return fn(app, payload)
    return answer.get("result")


def serve_on_leader(app: App, calls: Mapping[str, LeaderFn]) -> None:
    """Member 0 answers ``calls`` for the other workers."""
    for kind, fn in calls.items():

        async def answer(message: Mapping[str, Any], fn: LeaderFn = fn) -> Mapping[str, Any]:
            payload = message.get("payload")
            return {"result": fn(app, payload if isinstance(payload, Mapping) else {})}

        app.bus.on_request(kind, answer)
