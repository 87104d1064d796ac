"""The seam between record writes and whoever listens to them (realtime, hooks).

Every write path (records API, batch, auth flows that change records, cascade
deletes) calls :func:`publish` from a ``tx.after_commit`` callback, so nothing is
announced for a transaction that rolled back.  Events are plain serializable
messages: a broker can later carry them between processes or machines, and the
receivers apply rules on their side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from satchel.app import App
    from satchel.core.collections.model import Collection

__all__ = ["RecordEvent", "Subscriber", "publish", "subscribe"]


@dataclass(frozen=True, slots=True)
class RecordEvent:
    """``action`` is ``create``, ``update`` or ``delete``; ``record`` holds every field
    (hidden ones included, API values) so receivers can check rules and strip fields."""

    action: str
    collection_id: str
    collection_name: str
    record: Mapping[str, Any] = field(default_factory=dict)


Subscriber = Callable[[RecordEvent], None]


def subscribe(app: App, subscriber: Subscriber) -> None:
    """Register a receiver of committed record changes (called on the writer thread)."""
    subscribers: list[Subscriber] = app.state.setdefault("record_subscribers", [])
    subscribers.append(subscriber)


def publish(app: App, action: str, collection: Collection, record: Mapping[str, Any]) -> None:
    """Announce a committed change to every subscriber; a failing one doesn't stop the others."""
    event = RecordEvent(action, collection.id, collection.name, dict(record))
    for subscriber in list(app.state.get("record_subscribers", ())):
        try:
            subscriber(event)
        except Exception:  # noqa: BLE001 - one broken listener must not break writes
            import logging

            logging.getLogger("satchel.events").exception("record event subscriber failed")
