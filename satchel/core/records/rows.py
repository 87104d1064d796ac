"""Reading and writing record rows (the part the foundation needs).

The full records API (rules, expand, modifiers) builds on this; here are the
row <-> JSON conversions, auth record lookups and the superuser writes used by
the CLI and the auth endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import apsw

from satchel.core.collections.model import Collection
from satchel.core.collections.registry import CollectionRegistry
from satchel.core.records.codec import codec_for
from satchel.errors import ApiError, ValidationError
from satchel.store.database import Database, Tx
from satchel.store.dialect import SqliteDialect
from satchel.tools.security import random_string
from satchel.tools.security.passwords import check_password as check_bcrypt
from satchel.tools.security.passwords import hash_password as hash_bcrypt
from satchel.tools.timeutil import now_text

__all__ = ["ID_ALPHABET", "RecordStore", "check_password", "hash_password", "new_record_id", "row_to_record"]

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
TOKEN_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
NEVER_RETURNED = ("password", "tokenKey")
# A real cost-10 bcrypt hash to compare against when the identity is unknown, so
# response times don't reveal which accounts exist (a literal: hashing one at
# import cost 60 ms of start-up).
_DUMMY_HASH = b"$2a$10$Y4BZDBFwzJNxhq.NIOA8DuxhVIDxlkRBg3nOfimWnUfoQn.ysIGOy"


def new_record_id() -> str:
    return random_string(15, ID_ALPHABET)


def hash_password(plain: str, cost: int = 10) -> str:
    return hash_bcrypt(plain.encode(), cost or 10).decode()


def check_password(plain: str, hashed: str | None) -> bool:
    """Timing-safe bcrypt check; unknown records are checked against a dummy hash."""
    target = hashed.encode() if hashed else _DUMMY_HASH
    try:
        ok = check_bcrypt(plain.encode(), target)
    except ValueError:
        return False
    return ok and bool(hashed)


def row_to_record(c: Collection, row: Mapping[str, Any]) -> dict[str, Any]:
    """Database values -> API values, every field of the collection (hidden ones included).

    Password fields keep their stored hash here (for checks); :func:`public_record`
    removes them before anything is sent.
    """
    out: dict[str, Any] = {}
    for f in c.fields:
        if f.name in row:
            raw = row[f.name]
            out[f.name] = (raw or "") if f.type == "password" else f.from_db(raw)
    out["collectionId"] = c.id
    out["collectionName"] = c.name
    return out


def public_record(
    c: Collection, record: Mapping[str, Any], *, superuser: bool = False, owner: bool = False
) -> dict[str, Any]:
    """What a requester may see: never password/tokenKey; hidden fields for superusers;
    the email only to superusers, the owner, or when emailVisibility is on."""
    out = dict(record)
    for name in NEVER_RETURNED:
        out.pop(name, None)
    if not superuser:
        for f in c.fields:
            if f.hidden:
                out.pop(f.name, None)
    if c.is_auth and not (superuser or owner or record.get("emailVisibility")):
        out.pop("email", None)
    return out


class RecordStore:
    def __init__(self, db: Database, dialect: SqliteDialect, registry: CollectionRegistry) -> None:
        self.db = db
        self.dialect = dialect
        self.registry = registry

    # -- reads ---------------------------------------------------------------

    def find_by_field_sync(self, conn: apsw.Connection, c: Collection, field: str, value: Any) -> dict[str, Any] | None:
        q = self.dialect.q
        cursor = conn.cursor()
        cursor.execute(f"SELECT * FROM {q(c.name)} WHERE {q(field)} = :v LIMIT 1", {"v": value})
        row = cursor.fetchone()
        if row is None:
            return None
        # the collection's compiled codec (what lists use), not row_to_record's generic
        # per-field conversion: this runs for the auth record of every request
        return codec_for(c).decode_in_field_order([d[0] for d in cursor.getdescription()], row)

    async def find_auth_record(self, c: Collection, record_id: str) -> dict[str, Any] | None:
        return await self.db.read(lambda conn: self.find_by_field_sync(conn, c, "id", record_id))

    async def find_by_field(self, c: Collection, field: str, value: Any) -> dict[str, Any] | None:
        return await self.db.read(lambda conn: self.find_by_field_sync(conn, c, field, value))

    def count_sync(self, conn: apsw.Connection, c: Collection, where: str = "", params: Mapping[str, Any] | None = None) -> int:
        sql = f"SELECT COUNT(*) FROM {self.dialect.q(c.name)}" + (f" WHERE {where}" if where else "")
        row = conn.execute(sql, params or {}).fetchone()
        return int(row[0]) if row else 0

    # -- writes (auth records) ---------------------------------------------------

    def insert_sync(self, tx: Tx, c: Collection, values: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a row of already validated API values; returns the stored record."""
        row: dict[str, Any] = {}
        for f in c.fields:
            if f.name in values:
                row[f.name] = f.to_db(values[f.name])
        q = self.dialect.q
        cols = ", ".join(q(k) for k in row)
        marks = ", ".join(f":{i}" for i in range(len(row)))
        params = {str(i): v for i, v in enumerate(row.values())}
        try:
            tx.execute(f"INSERT INTO {q(c.name)} ({cols}) VALUES ({marks})", params)
        except apsw.ConstraintError as exc:
            raise _unique_error(c, exc, "Failed to create record.") from exc
        found = self.find_by_field_sync(tx.conn, c, "id", row["id"])
        assert found is not None
        return found

    def update_sync(self, tx: Tx, c: Collection, record_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
        q = self.dialect.q
        row = {f.name: f.to_db(values[f.name]) for f in c.fields if f.name in values and f.name != "id"}
        sets = ", ".join(f"{q(k)} = :{i}" for i, k in enumerate(row))
        params: dict[str, Any] = {str(i): v for i, v in enumerate(row.values())}
        params["id"] = record_id
        try:
            tx.execute(f"UPDATE {q(c.name)} SET {sets} WHERE {q('id')} = :id", params)
        except apsw.ConstraintError as exc:
            raise _unique_error(c, exc, "Failed to update record.") from exc
        found = self.find_by_field_sync(tx.conn, c, "id", record_id)
        assert found is not None
        return found

    def new_auth_values(self, c: Collection, email: str, password: str) -> dict[str, Any]:
        """Values of a new auth record: generated id and tokenKey, hashed password, timestamps."""
        now = now_text()
        values: dict[str, Any] = {
            "id": new_record_id(),
            "email": email,
            "emailVisibility": False,
            "verified": c.name == "_superusers",
            "password": hash_password(password, int(getattr(c.field("password"), "cost", 0) or 10)),
            "tokenKey": random_string(50, TOKEN_KEY_ALPHABET),
        }
        for f in c.fields:
            if f.type == "autodate":
                values[f.name] = now
        return values


def _unique_error(c: Collection, exc: apsw.ConstraintError, message: str) -> ApiError:
    text = str(exc)
    data: dict[str, Any] = {}
    for f in c.fields:
        if f"{c.name}.{f.name}" in text:
            data[f.name] = ValidationError("validation_not_unique", "Value must be unique.")
    return ApiError(400, message, data)
