"""``GET /api/realtime/stats`` (a Satchel extension, superusers only): how many realtime
clients are connected, summed over every serving process of ``serve --workers``.

PocketBase has no such route; the dashboard's realtime inspector shows the count.  Each
worker holds its own clients, so the count asks every member over the bus; a member
that is gone (restarting) answers nothing and is reported as not answering.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import endpoint, get_app, require_superuser
from satchel.api.responses import ordered_json_response
from satchel.core.realtime import get_hub
from satchel.tools.bus import BusTimeout, Message

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["STATS_REQUEST", "local_stats", "realtime_stats", "serve_realtime_stats"]

STATS_REQUEST = "realtime.stats"
ASK_TIMEOUT = 2.0  # seconds per member; a busy worker still answers well within it


def local_stats(app: App) -> dict[str, int]:
    """This process's clients and their subscriptions."""
    clients = [c for c in get_hub(app).clients.values() if not c.closed]
    return {"clients": len(clients), "subscriptions": sum(len(c.subscriptions) for c in clients)}


def serve_realtime_stats(app: App) -> None:
    """Answer the other members' count requests (every worker calls this)."""

    async def answer(_message: Message) -> Message:
        return local_stats(app)

    app.bus.on_request(STATS_REQUEST, answer)


async def _ask(app: App, member: int) -> Message | None:
    try:
        return await app.bus.request(member, {"type": STATS_REQUEST}, timeout=ASK_TIMEOUT)
    except BusTimeout:
        return None


async def _gather(app: App) -> dict[str, int]:
    count = int(app.state.get("worker_count") or 1)
    if count <= 1:
        return {**local_stats(app), "workers": 1, "answered": 1}
    answers = await asyncio.gather(*(_ask(app, m) for m in range(count)))
    total = {"clients": 0, "subscriptions": 0, "workers": count, "answered": 0}
    for answer in answers:
        if answer is None:
            continue
        total["answered"] += 1
        total["clients"] += int(answer.get("clients") or 0)
        total["subscriptions"] += int(answer.get("subscriptions") or 0)
    return total


@endpoint
async def realtime_stats(request: Request) -> Response:
    await require_superuser(request)
    return ordered_json_response(await _gather(get_app(request)))
