"""Nodes sharing a PostgreSQL database (``serve --db=postgresql://...``).

Every serving process -- a ``--workers=1`` node, or each worker of a ``--workers=N``
node -- joins the cluster bus (:class:`~satchel.tools.bus.postgres.PgBus`, or Redis's,
NATS's: ``--bus``) itself (:func:`join_cluster`): record events reach the realtime
clients of every process, a collection or settings change made here is re-read by the
others (the response waits until the change went round the bus), a ``POST
/api/realtime`` is applied by whichever process holds the stream.  A write gate (a
session advisory lock) keeps the record events in commit order across all of them.
Rate limits are counted in the database (one count for all processes); crons run on
one process of all (an advisory lock); the resend guards are counted per node, on its
worker 0 (docs/scaling.md).
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
from satchel.tools.bus import Bus, ClusterBus

if TYPE_CHECKING:
    from satchel.app import App
    from satchel.store.postgres.gate import PgNodeGate
    from satchel.store.postgres.rate_counter import PgRateCounter

__all__ = ["Cluster", "join_cluster", "run_node"]


class Cluster:
    """What one serving process set up to take part in the cluster."""

    def __init__(self, app: App, bus: ClusterBus, gate: PgNodeGate, counter: PgRateCounter,
                 changes: SharedChanges, leadership: Leadership | None) -> None:  # fmt: skip
        self.app = app
        self.bus = bus
        self.gate = gate
        self.counter = counter
        self.changes = changes
        self.leadership = leadership

    async def started(self) -> None:
        """On the serving loop, before the first request."""
        self.changes.attach(asyncio.get_running_loop())
        get_hub(self.app).attach()
        if self.leadership is not None:
            self.leadership.start()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.bus.close()
        self.gate.close()
        self.counter.close()


def join_cluster(app: App, db_url: str, *, link: Bus | None = None, campaign: bool = True) -> Cluster:
    """Make ``app`` one process of the cluster on ``db_url`` (before serving).

    ``link`` is the node's relay when this process is a worker; ``campaign`` says whether
    this process competes to run the crons (one process per node does)."""
    from satchel.store.postgres.gate import PgNodeGate
    from satchel.store.postgres.rate_counter import PgRateCounter
    from satchel.tools.bus.select import open_node_bus

    try:  # PostgreSQL's LISTEN/NOTIFY, or --bus's Redis or NATS
        cluster_bus = open_node_bus(app.config.bus, db_url)
    except (RuntimeError, ValueError) as exc:
        raise StartupError(str(exc)) from exc
    bus = ClusterBus(cluster_bus, link)
    app.bus = bus
    # record events leave in commit order across every process (see the gate's docstring)
    gate = app.db.gate = PgNodeGate(db_url)
    # rate limits counted in the database, once for all nodes and workers
    counter = PgRateCounter(db_url)
    app.state[SHARED_KEY] = counter
    changes = SharedChanges(app, bus)
    changes.install()
    app.state["shared_changes"] = changes
    # a reconnected listener may have missed changes: re-read them
    cluster_bus.on_reconnect.append(lambda: changes.on_message({"type": COLLECTIONS}))
    cluster_bus.on_reconnect.append(lambda: changes.on_message({"type": SETTINGS}))
    get_hub(app)
    # crons run on one process of all: the holder of an advisory lock, taken over when it dies
    app.state["cron_leader"] = False
    leadership = Leadership(db_url, app.cron.start, app.cron.stop) if campaign else None
    return Cluster(app, bus, gate, counter, changes, leadership)


def run_node(app: App, db_url: str) -> None:
    """Serve ``app`` as a one-process node of the cluster on ``db_url``."""
    from satchel.workers import hold_until_shared

    cluster = join_cluster(app, db_url)
    try:
        run_server(
            app, wrap=lambda asgi: hold_until_shared(asgi, cluster.changes), on_started=cluster.started
        )
    finally:
        cluster.close()
