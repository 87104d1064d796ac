"""The in-memory cache of collections, refreshed after each committed schema change.

Every request looks its collection up here instead of reading ``_collections``;
only the writer changes it, after COMMIT, so readers never see a half-applied
schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apsw
import orjson

from satchel.core.collections.model import Collection

__all__ = ["CollectionRegistry", "decode_collection_row", "load_collections", "write_collection_row"]

_JSON_COLUMNS = ("fields", "indexes", "options")


def decode_collection_row(cursor: apsw.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    names = [d[0] for d in cursor.getdescription()]
    data = dict(zip(names, row, strict=True))
    for key in _JSON_COLUMNS:
        raw = data.get(key)
        data[key] = orjson.loads(raw) if isinstance(raw, str | bytes) and raw else ([] if key != "options" else {})
    return data


def load_collections(conn: apsw.Connection) -> list[Collection]:
    cursor = conn.cursor()
    cursor.execute("SELECT * FROM `_collections` ORDER BY rowid")
    return [Collection.from_row(decode_collection_row(cursor, row)) for row in cursor]


def write_collection_row(conn: apsw.Connection, c: Collection, *, insert: bool) -> None:
    row = c.to_row()
    for key in _JSON_COLUMNS:
        row[key] = orjson.dumps(row[key]).decode()
    if insert:
        cols = ", ".join(f"`{k}`" for k in row)
        marks = ", ".join(f":{k}" for k in row)
        conn.execute(f"INSERT INTO `_collections` ({cols}) VALUES ({marks})", row)
    else:
        sets = ", ".join(f"`{k}` = :{k}" for k in row if k != "id")
        conn.execute(f"UPDATE `_collections` SET {sets} WHERE `id` = :id", row)


class CollectionRegistry:
    def __init__(self, collections: list[Collection] | None = None) -> None:
        self._ordered: list[Collection] = []
        self._by_id: dict[str, Collection] = {}
        self._by_name: dict[str, Collection] = {}
        self.version = 0
        self.replace_all(collections or [])

    def replace_all(self, collections: list[Collection]) -> None:
        self._ordered = list(collections)
        self._by_id = {c.id: c for c in collections}
        self._by_name = {c.name.lower(): c for c in collections}
        self.version += 1

    def get(self, id_or_name: str) -> Collection | None:
        found = self._by_id.get(id_or_name)
        if found is None:
            found = self._by_name.get(id_or_name.lower())
        return found

    def by_id(self, collection_id: str) -> Collection | None:
        return self._by_id.get(collection_id)

    def __iter__(self) -> Iterator[Collection]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def all(self) -> list[Collection]:
        return list(self._ordered)
