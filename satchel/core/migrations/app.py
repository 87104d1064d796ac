"""The app a migration's ``up(app)`` / ``down(app)`` receives when no hook app is given.

It has the data-access names of the hook facade (``satchel.hooks.app``) that
migrations use, implemented on the collection service, so the runner and the
generated files work the same with either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from satchel.core.collection_service import CollectionService
from satchel.core.collections import Collection
from satchel.core.migrations.authoring import collection_payload
from satchel.core.registry import load_collections
from satchel.errors import NotFoundError
from satchel.store.database import Database, Tx

__all__ = ["MigrationApp"]

T = TypeVar("T")


class MigrationApp:
    def __init__(self, db: Database, collections: CollectionService) -> None:
        self.db = db
        self.collections = collections

    def find_collection_by_name_or_id(self, name_or_id: str) -> Collection:
        """Read inside the open transaction, so a migration sees its own changes."""

        def find(tx: Tx) -> Collection | None:
            found = [c for c in load_collections(tx.conn) if c.id == name_or_id]
            if not found:
                found = [c for c in load_collections(tx.conn) if c.name.lower() == name_or_id.lower()]
            return found[0] if found else None

        c = self.db.write_sync(find)
        if c is None:
            raise NotFoundError()
        return c

    def _exists(self, collection_id: str) -> bool:
        return bool(collection_id) and self.db.write_sync(
            lambda tx: any(c.id == collection_id for c in load_collections(tx.conn))
        )

    def save(self, collection: Collection) -> Collection:
        """Create or update the collection as the collections API does (validated)."""
        payload = collection_payload(collection)
        if self._exists(collection.id):
            return self.collections.update_sync(collection.id, payload)
        if not collection.id:
            payload.pop("id", None)
        return self.collections.create_sync(payload)

    def delete(self, collection: Collection) -> None:
        self.collections.delete_sync(collection.id)

    def import_collections(self, items: Sequence[Mapping[str, Any]], delete_missing: bool = False) -> None:
        self.collections.import_sync([dict(i) for i in items], delete_missing)

    def run_in_transaction(self, fn: Callable[[MigrationApp], T]) -> T:
        return self.db.write_sync(lambda _tx: fn(self))
