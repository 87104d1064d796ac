"""Small write primitives the auth flows share: system rows and auth record changes.

Everything here is plain sync code of a write transaction (run by the writer
through ``app.db.write``), and every change is announced to realtime/hooks with
:func:`satchel.core.records.events.publish` after COMMIT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from satchel.core.collections.model import Collection
from satchel.core.records.events import publish
from satchel.core.records.hooks import has_model_handlers, run_model_hooks
from satchel.core.records.model import Record
from satchel.core.records.rows import hash_password, new_record_id
from satchel.store.database import Tx
from satchel.tools.security import random_string
from satchel.tools.timeutil import now_text

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "TOKEN_KEY_ALPHABET",
    "delete_row",
    "find_rows",
    "insert_row",
    "new_token_key",
    "system_collection",
    "update_auth_record",
]

TOKEN_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def new_token_key() -> str:
    return random_string(50, TOKEN_KEY_ALPHABET)


def system_collection(app: App, name: str) -> Collection:
    c = app.registry.get(name)
    if c is None:
        raise LookupError(f"missing system collection {name}")
    return c


def _announce(app: App, tx: Tx, action: str, c: Collection, record: Mapping[str, Any]) -> None:
    snapshot = dict(record)
    tx.in_commit_order(lambda: publish(app, action, c, snapshot))


def insert_row(app: App, tx: Tx, c: Collection, values: Mapping[str, Any]) -> dict[str, Any]:
    """Insert a row with a generated id and autodate timestamps."""
    now = now_text()
    row: dict[str, Any] = {"id": new_record_id()}
    for f in c.fields:
        if f.type == "autodate":
            row[f.name] = now
    row.update(values)
    record = app.records.insert_sync(tx, c, row)
    _announce(app, tx, "create", c, record)
    return record


def delete_row(app: App, tx: Tx, c: Collection, record: Mapping[str, Any]) -> None:
    q = app.dialect.q
    tx.execute(f"DELETE FROM {q(c.name)} WHERE {q('id')} = :id", {"id": record["id"]})
    _announce(app, tx, "delete", c, record)


def find_rows(
    app: App, conn: Any, c: Collection, where: Mapping[str, Any], *, order: str = "created"
) -> list[dict[str, Any]]:
    """Rows of ``c`` whose columns equal ``where`` (oldest first)."""
    from satchel.core.records.rows import row_to_record

    q = app.dialect.q
    clause = " AND ".join(f"{q(k)} = :{k}" for k in where) or "1=1"
    cursor = conn.cursor()
    cursor.execute(f"SELECT * FROM {q(c.name)} WHERE {clause} ORDER BY {q(order)}, {q('id')}", dict(where))
    names: list[str] | None = None
    out = []
    for row in cursor:
        if names is None:
            names = [d[0] for d in cursor.getdescription()]
        out.append(row_to_record(c, dict(zip(names, row, strict=True))))
    return out


def update_auth_record(
    app: App,
    tx: Tx,
    c: Collection,
    record: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    password: str | None = None,
) -> dict[str, Any]:
    """Apply ``changes`` (API values) to an auth record.

    A new ``password`` (plain) is hashed; a password or email change also
    regenerates the tokenKey, which logs out every token of the record.
    """
    values = dict(changes)
    if password is not None:
        cost = int(getattr(c.field("password"), "cost", 0) or 10)
        values["password"] = hash_password(password, cost)
    email_changed = "email" in values and values["email"] != record.get("email")
    if password is not None or email_changed:
        values.setdefault("tokenKey", new_token_key())
    for f in c.fields:
        if f.type == "autodate" and getattr(f, "onUpdate", False):
            values[f.name] = now_text()
    out: list[dict[str, Any]] = []

    def execute() -> None:
        out.append(app.records.update_sync(tx, c, str(record["id"]), values))

    if app.hooks is not None and has_model_handlers(app.hooks, "record", "update"):
        # the flows' own writes (verification, password reset, email change, OTP, OAuth2)
        # are record updates to hooks too, as PocketBase saves them with app.Save; the
        # event's record is for reading (and refusing): what the flow writes is ``values``
        before = Record.from_stored(c, record)
        after = Record.from_stored(c, {**record, **values})
        run_model_hooks(app.hooks, tx, "update", Record.wrap(c, dict(after.values), before.values), None, execute)
    else:
        execute()
    updated = out[0]
    _announce(app, tx, "update", c, updated)
    return updated
