"""The helpers a migration file uses on a collection (``from satchel.migrations import ...``).

They mirror what PocketBase's JS migrations do with ``new Collection({...})``,
``unmarshal({...}, collection)``, ``collection.fields.addAt(i, new Field({...}))`` and
``collection.fields.removeById(id)``, on Satchel's :class:`Collection`.  Nothing is
written until the migration calls ``app.save(collection)``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from satchel.core.collections.model import AUTH_OPTION_KEYS, BASE, RULE_KEYS, VIEW, Collection
from satchel.core.fields import field_from_dict

__all__ = ["add_field", "import_collections", "new_collection", "remove_field", "unmarshal"]

_PLAIN_KEYS = frozenset({"name", "type", "system", *RULE_KEYS})


def _merge(base: Any, patch: Any) -> Any:
    """Objects merged key by key, anything else replaced (Go's JSON decoding onto a struct)."""
    if isinstance(base, dict) and isinstance(patch, Mapping):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base.get(key), value)
        return out
    return copy.deepcopy(patch)


def unmarshal(data: Mapping[str, Any], collection: Collection) -> Collection:
    """Set the keys of ``data`` (the collection's API JSON names) on ``collection``."""
    for key, value in data.items():
        if key in _PLAIN_KEYS:
            setattr(collection, key, bool(value) if key == "system" else value)
        elif key == "id":
            collection.id = str(value)
        elif key == "indexes":
            collection.indexes = [str(i) for i in value or []]
        elif key == "fields":
            collection.fields = [field_from_dict(f) for f in value or []]
        elif key == "viewQuery":
            collection.options["viewQuery"] = str(value or "")
        elif key in AUTH_OPTION_KEYS:
            collection.options[key] = _merge(collection.options.get(key), value)
        elif key not in ("created", "updated"):
            raise ValueError(f"unknown collection key {key!r}")
    return collection


def new_collection(data: Mapping[str, Any]) -> Collection:
    """A collection to create from its API JSON (``app.save`` creates it)."""
    c = Collection(id=str(data.get("id") or ""), name=str(data.get("name") or ""), type=str(data.get("type") or BASE))
    if c.type == VIEW:
        c.options = {"viewQuery": ""}
    return unmarshal(data, c)


def add_field(collection: Collection, index: int, data: Mapping[str, Any]) -> None:
    """Put the field at ``index``, replacing (and moving) a field of the same id."""
    field = field_from_dict(data)
    collection.fields = [f for f in collection.fields if not (field.id and f.id == field.id)]
    collection.fields.insert(min(index, len(collection.fields)), field)


def remove_field(collection: Collection, field_id: str) -> None:
    collection.fields = [f for f in collection.fields if f.id != field_id]


def import_collections(app: Any, items: Iterable[Mapping[str, Any]], delete_missing: bool = False) -> None:
    """Create or update every collection of ``items`` (``migrate collections`` snapshots)."""
    app.import_collections([dict(i) for i in items], delete_missing)
