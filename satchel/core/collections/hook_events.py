"""The hook events of collections: model events around a collection's writes, and the collections API's request events.

Re-exported by the package's face and by :mod:`satchel.hooks` (docs/hooks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from satchel.core.collections.model import Collection
from satchel.core.hook_events import AppEvent, RequestEvent

__all__ = [
    "CollectionErrorEvent",
    "CollectionEvent",
    "CollectionRequestEvent",
    "CollectionsImportRequestEvent",
    "CollectionsListRequestEvent",
]


@dataclass(eq=False, kw_only=True)
class CollectionEvent(AppEvent):
    """A collection model event (create, update, delete)."""
    collection: Collection

    def hook_tags(self) -> tuple[str, ...]:
        return (self.collection.id, self.collection.name)


@dataclass(eq=False, kw_only=True)
class CollectionErrorEvent(CollectionEvent):
    """A collection model event after its write failed."""
    error: BaseException | None = None


@dataclass(eq=False, kw_only=True)
class CollectionRequestEvent(RequestEvent):
    """A request about one collection (view, create, update, delete)."""
    collection: Collection | None = None

    def hook_tags(self) -> tuple[str, ...]:
        c = self.collection
        return () if c is None else (c.id, c.name)


@dataclass(eq=False, kw_only=True)
class CollectionsListRequestEvent(RequestEvent):
    """``GET /api/collections``: ``e.result`` (the answer's dict) is what ``e.next()`` sends."""

    collections: list[Collection] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False, kw_only=True)
class CollectionsImportRequestEvent(RequestEvent):
    """``PUT /api/collections/import`` (after the body's validation): ``e.next()`` imports
    ``e.collections_import_data`` (with ``e.delete_missing``)."""

    collections_import_data: list[dict[str, Any]] = field(default_factory=list)
    delete_missing: bool = False
