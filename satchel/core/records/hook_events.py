"""The hook events of records: model events around a record's writes, the enrich event before a send, and the records API's request events.

Re-exported by the package's face and by :mod:`satchel.hooks` (docs/hooks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from satchel.core.collections.hook_events import CollectionRequestEvent
from satchel.core.collections.model import Collection
from satchel.core.hook_events import AppEvent
from satchel.core.records.model import Record

__all__ = [
    "RecordEnrichEvent",
    "RecordErrorEvent",
    "RecordEvent",
    "RecordRequestEvent",
    "RecordsListRequestEvent",
]


@dataclass(eq=False, kw_only=True)
class RecordEvent(AppEvent):
    """A record being validated/created/updated/deleted (``e.next()`` does it)."""

    record: Record

    @property
    def collection(self) -> Collection:
        return self.record.collection

    def hook_tags(self) -> tuple[str, ...]:
        c = self.record.collection
        return (c.id, c.name)


@dataclass(eq=False, kw_only=True)
class RecordErrorEvent(RecordEvent):
    """A record model event after its write failed."""
    error: BaseException | None = None


@dataclass(eq=False, kw_only=True)
class RecordEnrichEvent(RecordEvent):
    """A record about to be sent (any response, realtime): hide, unhide, add data."""

    request_info: Any = None


@dataclass(eq=False, kw_only=True)
class RecordRequestEvent(CollectionRequestEvent):
    """A request about one record."""
    record: Record | None = None


@dataclass(eq=False, kw_only=True)
class RecordsListRequestEvent(CollectionRequestEvent):
    """``onRecordsListRequest``: the page of records about to be sent."""
    records: list[Record] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
