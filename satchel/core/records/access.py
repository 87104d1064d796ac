"""Record reads and writes on behalf of hooks and migrations (``app.save(record)``...).

They go through the same code as the API (validation, files, model hooks, realtime)
as a caller with every right: API rules don't apply, as in PocketBase's
``app.Save``.  All functions are synchronous code of a connection or transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import apsw

from satchel.core.collections.model import Collection
from satchel.core.fields import FileField, PasswordField, PasswordValue
from satchel.core.records.model import Record
from satchel.core.records.query import SUPERUSERS, RecordEnv, fetch_with_rule_sync, list_records_sync
from satchel.core.records.resolver import RequestInfo
from satchel.core.records.write import (
    WriteRequest,
    create_record_sync,
    delete_record_sync,
    update_record_sync,
)
from satchel.errors import NotFoundError
from satchel.store.database import Tx
from satchel.tools.filter import bind_placeholders
from satchel.tools.search import ListParams, parse_sort

__all__ = [
    "delete_record_model",
    "find_record",
    "find_records",
    "internal_info",
    "save_record_model",
]

_ALL_ROWS = 1 << 62


def internal_info(env: RecordEnv, context: str = "default") -> RequestInfo:
    """The requester of internal writes: a superuser (no rules), hidden fields allowed."""
    return RequestInfo(
        auth={"id": ""}, auth_collection=env.lookup(SUPERUSERS), method="POST", context=context
    )


def find_record(conn: apsw.Connection, env: RecordEnv, c: Collection, record_id: str) -> Record:
    stored = fetch_with_rule_sync(conn, env, c, record_id, None, None)
    if stored is None:
        raise NotFoundError()
    return Record.from_stored(c, stored)


def find_records(
    conn: apsw.Connection,
    env: RecordEnv,
    c: Collection,
    filter: str = "",  # noqa: A002 - PocketBase's name
    sort: str = "",
    limit: int = 0,
    offset: int = 0,
    params: Mapping[str, Any] | None = None,
) -> list[Record]:
    """Records matching ``filter`` (``{:name}`` placeholders bound from ``params``);
    ``limit`` 0 means all of them."""
    window = _ALL_ROWS if limit <= 0 else limit + max(offset, 0)
    list_params = ListParams(
        page=1,
        per_page=window,
        sort=parse_sort(sort) if sort else (),
        filter=bind_placeholders(filter, params),
        skip_total=True,
    )
    stored, _ = list_records_sync(conn, env, c, list_params, internal_info(env))
    return [Record.from_stored(c, r) for r in stored[max(offset, 0) :]]


def _body_of(record: Record) -> dict[str, Any]:
    """The record's changed values as a request body (the password confirmed)."""
    body: dict[str, Any] = {}
    changed = record.changed()
    for f in record.collection.fields:
        if f.name not in changed or isinstance(f, FileField):
            continue
        value = changed[f.name]
        if isinstance(f, PasswordField):
            if isinstance(value, PasswordValue) and value.plain:
                body[f.name] = body["passwordConfirm"] = value.plain
            continue
        body[f.name] = f.to_json(value)
    return body


def save_record_model(tx: Tx, env: RecordEnv, record: Record) -> Record:
    """Create or update ``record`` (validated, hooks fired); it is then the saved one."""
    c = env.lookup(record.collection.id) or record.collection
    req = WriteRequest(internal_info(env), _body_of(record), files=dict(record.uploads))
    if record.is_new():
        out = create_record_sync(tx, env, c, req)
        record_id = str(out["id"])
    else:
        record_id = record.id
        update_record_sync(tx, env, c, record_id, req)
    saved = find_record(tx.conn, env, c, record_id)
    record.uploads.clear()
    record.values.clear()
    record.values.update(saved.values)
    record.mark_saved()
    return record


def delete_record_model(tx: Tx, env: RecordEnv, record: Record) -> None:
    c = env.lookup(record.collection.id) or record.collection
    delete_record_sync(tx, env, c, record.id, internal_info(env))
