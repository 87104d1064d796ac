"""Decisions one process keeps in memory (resend guards, attempt limiters), kept by one
worker among the workers of ``serve --workers``.

PocketBase keeps them in its process's memory; with several workers a client's next
request may reach another process, so the other workers ask member 0 through the bus.
A decision is a plain function ``(app, payload) -> JSON value``; member 0 answers the
ones the worker set-up lists (:func:`serve_on_leader`), explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["LeaderFn", "on_leader", "serve_on_leader"]

LeaderFn = Callable[["App", Mapping[str, Any]], Any]


async def on_leader(app: App, kind: str, fn: LeaderFn, payload: Mapping[str, Any]) -> Any:
    """``fn(app, payload)`` here, or on member 0 when this is another worker (here again
    while member 0 is being restarted)."""
    bus = app.bus
    if bus.member == 0 or not app.state.get("workers"):
        return fn(app, payload)
    answer = await bus.request(0, {"type": kind, "payload": dict(payload)})
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
