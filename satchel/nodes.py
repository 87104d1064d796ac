"""One node of many sharing a PostgreSQL database (``serve --db=postgresql://...``).

The node's bus is :class:`~satchel.tools.bus.postgres.PgBus` (or Redis's, NATS's: ``--bus``): record events reach the
realtime clients of every node, and a collection or settings change made here is
re-read by the other nodes (the response waits until the change went round
through PostgreSQL).  A node write gate keeps the record events in commit order.  Rate limits
are counted in the database (one count for all nodes); resend guards stay per node (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from satchel.api.rate_limit import SHARED_KEY
from satchel.core.realtime import get_hub
from satchel.core.shared import COLLECTIONS, SETTINGS, SharedChanges
from satchel.server import StartupError, run_server
from satchel.store.postgres.leader import Leadership

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["run_node"]


def run_node(app: App, db_url: str) -> None:
    from satchel.store.postgres.gate import PgNodeGate
    from satchel.store.postgres.rate_counter import PgRateCounter
    from satchel.tools.bus.select import open_node_bus
    from satchel.workers import hold_until_shared

    try:  # PostgreSQL's LISTEN/NOTIFY, or --bus's Redis or NATS
        bus = open_node_bus(app.config.bus, db_url)
    except (RuntimeError, ValueError) as exc:
        raise StartupError(str(exc)) from exc
    app.bus = bus
    # record events leave in commit order across nodes (see the gate's docstring)
    gate = PgNodeGate(db_url)
    app.db.gate = gate
    # rate limits counted in the database, once for all nodes
    counter = PgRateCounter(db_url)
    app.state[SHARED_KEY] = counter
    changes = SharedChanges(app, bus)
    changes.install()
    app.state["shared_changes"] = changes
    # a reconnected listener may have missed changes: re-read them
    bus.on_reconnect.append(lambda: changes.on_message({"type": COLLECTIONS}))
    bus.on_reconnect.append(lambda: changes.on_message({"type": SETTINGS}))
    hub = get_hub(app)
    # crons run on one node: the holder of an advisory lock, taken over when it dies
    app.state["cron_leader"] = False
    leadership = Leadership(db_url, app.cron.start, app.cron.stop)

    async def started() -> None:
        changes.attach(asyncio.get_running_loop())
        hub.attach()
        leadership.start()

    try:
        run_server(app, wrap=lambda asgi: hold_until_shared(asgi, changes), on_started=started)
    finally:
        with contextlib.suppress(Exception):
            bus.close()
        gate.close()
        counter.close()
