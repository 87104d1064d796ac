"""The records CRUD endpoints: ``/api/collections/{collection}/records[/{id}]`` (spec 03).

Thin HTTP shells: parse the request, run one synchronous core function on a
reader (list/view) or in one write transaction (create/update/delete), pick the
``fields`` of the answer.  Checks happen in PocketBase's order (captured from
the 0.40.6 binary): unknown collection -> 404 (``Missing collection context.``;
``Missing or invalid collection context.`` for create/update), null rule -> 403,
``@request.``/``@collection.`` in a client filter -> 403, bad params -> 400.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.hook_request import (
    LazyRecordRequestEvent,
    LazyRecordsListRequestEvent,
    answer,
    load_body,
    with_overrides,
)
from satchel.api.request import AuthState, endpoint, get_app, get_auth, read_body
from satchel.api.responses import json_response, no_content
from satchel.core.collections.model import Collection
from satchel.core.fields import RelationField
from satchel.core.records.cost import rules_are_bounded
from satchel.core.records.expand import expand_records
from satchel.core.records.field_rules import CONTEXT_LIST, CONTEXT_VIEW
from satchel.core.records.hook_events import RecordsListRequestEvent
from satchel.core.records.hooks import has_model_handlers
from satchel.core.records.model import Record
from satchel.core.records.picking import pick_fields
from satchel.core.records.query import (
    ONLY_SUPERUSERS,
    Presenter,
    RecordEnv,
    StoredRow,
    decode_row,
    fetch_row_sync,
    fetch_with_rule_sync,
    list_records_sync,
)
from satchel.core.records.resolver import RequestInfo, superuser_only_filter_error
from satchel.core.records.write import (
    CREATE_FAILED,
    DELETE_REQUIRED_REF,
    UPDATE_FAILED,
    WriteRequest,
    create_record_sync,
    delete_record_sync,
    update_record_sync,
)
from satchel.errors import BadRequestError, ForbiddenError, NotFoundError
from satchel.store.database import Tx, WriteFailed
from satchel.tools.search import FieldPick, parse_expand, parse_fields, parse_list_params

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "MISSING_COLLECTION",
    "MISSING_WRITE_COLLECTION",
    "create_record",
    "delete_record",
    "first_values",
    "list_records",
    "request_info",
    "update_record",
    "view_record",
    "write_or_fail",
]

T = TypeVar("T")
log = logging.getLogger("satchel.api")

MISSING_COLLECTION = "Missing collection context."
MISSING_WRITE_COLLECTION = "Missing or invalid collection context."


def first_values(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in items:
        out.setdefault(key, value)
    return out


def request_info(
    request: Request,
    auth: AuthState,
    *,
    method: str | None = None,
    query: Mapping[str, str] | None = None,
    context: str = "default",
    body: Mapping[str, Any] | None = None,
) -> RequestInfo:
    """What ``@request.*`` sees for this request (first value per query key/header)."""
    return RequestInfo(
        auth=dict(auth.record) if auth.record is not None else None,
        auth_collection=auth.collection,
        body=dict(body or {}),
        query=dict(query) if query is not None else first_values(request.query_params.multi_items()),
        headers=first_values(request.headers.items()),
        method=method or request.method,
        context=context,
    )


def _collection(request: Request, message: str) -> Collection:
    c = get_app(request).registry.get(request.path_params["collection"])
    if c is None:
        raise NotFoundError(message)
    return c


def _fields(query: Mapping[str, str]) -> tuple[FieldPick, ...]:
    return parse_fields(query.get("fields", ""))


def _picked(data: dict[str, Any], picks: tuple[FieldPick, ...]) -> Any:
    return pick_fields(data, picks) if picks else data


def _total_pages(total: int, per_page: int) -> int:
    if total < 0:
        return -1
    return math.ceil(total / per_page) if total else 0


@endpoint
async def list_records(request: Request) -> Response:
    app = get_app(request)
    c = _collection(request, MISSING_COLLECTION)
    auth = await get_auth(request)
    info = request_info(request, auth)
    if not auth.is_superuser:
        if c.listRule is None:
            raise ForbiddenError(ONLY_SUPERUSERS)
        message = superuser_only_filter_error(info.query.get("filter"), info.query.get("sort"))
        if message:
            raise ForbiddenError(message)
    params = parse_list_params(info.query)
    env = RecordEnv.from_app(app)

    def run(conn: Any) -> tuple[list[dict[str, Any]], int]:
        records, total = list_records_sync(conn, env, c, params, info)
        if params.expand:
            expand_records(conn, env, c, records, params.expand, info)
        return Presenter(env, conn, info, context=CONTEXT_LIST).present(c, records), total

    hook = app.hooks.on_records_list_request
    internal: list[dict[str, Any]] = []

    def run_keeping(conn: Any) -> tuple[list[dict[str, Any]], int]:
        records, total = list_records_sync(conn, env, c, params, info)
        internal.extend(records)
        if params.expand:
            expand_records(conn, env, c, records, params.expand, info)
        return Presenter(env, conn, info, context=CONTEXT_LIST).present(c, records), total

    items, total = await app.db.read(run_keeping if hook.handlers else run)
    if params.fields:
        items = [pick_fields(item, params.fields) for item in items]
    result = {
        "items": items,
        "page": params.page,
        "perPage": params.per_page,
        "totalItems": total,
        "totalPages": _total_pages(total, params.per_page),
    }
    if not hook.handlers:
        return json_response(result)
    # e.records made when a handler first reads them (from the rows as read)
    event = LazyRecordsListRequestEvent(app.hooks.app, request, auth, c, internal, result)
    await hook.trigger(event, _send_result)
    return answer(event)


def _send_result(e: RecordsListRequestEvent) -> None:
    e.json(200, e.result)


@endpoint
async def view_record(request: Request) -> Response:
    app = get_app(request)
    c = _collection(request, MISSING_COLLECTION)
    auth = await get_auth(request)
    if not auth.is_superuser and c.viewRule is None:
        raise ForbiddenError(ONLY_SUPERUSERS)
    info = request_info(request, auth)
    picks = _fields(info.query)
    expand = parse_expand(info.query.get("expand", ""))
    env = RecordEnv.from_app(app)
    record_id = request.path_params["id"]

    rule = None if auth.is_superuser else c.viewRule
    hook = app.hooks.on_record_view_request
    hooked = bool(hook.handlers)

    def run(conn: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        record = fetch_with_rule_sync(conn, env, c, record_id, info, rule)
        if record is None:
            return None
        stored = dict(record) if hooked and expand else record  # as read, for e.record
        if expand:
            expand_records(conn, env, c, [record], expand, info)
        return stored, Presenter(env, conn, info, context=CONTEXT_VIEW).present_one(c, record)

    # cheap, primary-key bounded reads run on the loop; anything else on a reader thread
    inline = _view_runs_inline(app, c, expand)
    out = await (app.db.read_small(run) if inline else app.db.read(run))
    if out is None:
        raise NotFoundError()
    if not hooked:
        return json_response(_picked(out[1], picks))
    # the record was found (rule applied) and presented before the hook; e.record, made
    # when a handler first reads it, is a Record of the row as read
    stored, presented = out
    event = LazyRecordRequestEvent(app.hooks.app, request, auth, c, partial(Record.from_stored, c, stored))
    await hook.trigger(event, partial(_view_final, app, c, stored, presented, inline, expand, info, picks))
    return answer(event)


async def _view_final(
    app: App,
    c: Collection,
    stored: dict[str, Any],
    presented: dict[str, Any],
    inline: bool,
    expand: Sequence[str],
    info: RequestInfo,
    picks: tuple[FieldPick, ...],
    e: LazyRecordRequestEvent,
) -> None:
    """The view's built-in step: the answer presented before the hook, unless a handler
    read ``e.record`` and changed it."""
    if e.record_made:
        record = e.record
        if record is None or record.is_changed() or record.custom or record.hidden:
            internal = stored if record is None else _internal(record)
            env = RecordEnv.from_app(app)

            def present(conn: Any) -> dict[str, Any]:
                if expand:
                    expand_records(conn, env, c, [internal], expand, info)
                return Presenter(env, conn, info, context=CONTEXT_VIEW).present_one(c, internal)

            presented = await (app.db.read_small(present) if inline else app.db.read(present))
    e.status, e.response = 200, _picked(presented, picks)  # e.json, inline


def _internal(record: Record) -> dict[str, Any]:
    """A hook's Record back to the internal dict the presenter takes."""
    out = dict(record.values)
    out["collectionId"] = record.collection.id
    out["collectionName"] = record.collection.name
    return out


def _view_runs_inline(app: App, c: Collection, expand: Sequence[str]) -> bool:
    if expand or c.is_view or app.hooks.on_record_enrich.handlers:
        return False  # an enrich handler may block or be a coroutine: not on the loop
    cache: dict[tuple[str, int], bool] = app.state.setdefault("inline_views", {})
    key = (c.id, app.registry.version)
    bounded = cache.get(key)
    if bounded is None:
        rules = [c.viewRule, c.options.get("manageRule") if c.is_auth else None]
        bounded = cache[key] = rules_are_bounded(app.registry.get, c, rules, app.dialect)
    return bounded


async def _write_request(request: Request, c: Collection) -> tuple[WriteRequest, tuple[FieldPick, ...], AuthState]:
    auth = await get_auth(request)
    if c.is_view:
        raise BadRequestError("Unsupported collection type.")
    info = request_info(request, auth)
    picks = _fields(info.query)
    body = await read_body(request)
    files = getattr(request.state, "files", None) or {}
    return WriteRequest(info, body, files, info.query.get("expand", "")), picks, auth


def _create_runs_inline(app: App, c: Collection, req: WriteRequest) -> bool:
    """Whether a create is small and bounded enough for the event loop (when the writer
    is idle; see ``Database.write``): a base collection (no password hash), no upload,
    no expand, no user hook that runs inside the write or on its output, and a createRule
    (with its fields' rules) that joins by primary key only (``rules_are_bounded``)."""
    return _write_runs_inline(app, c, req, "create")


def _write_runs_inline(app: App, c: Collection, req: WriteRequest | None, action: str) -> bool:
    """:func:`_create_runs_inline` for ``action`` (create, update, delete); a delete also
    needs no relation of any collection pointing at ``c`` (unlinking may scan tables)."""
    if c.type != "base" or app.hooks.on_record_enrich.handlers:
        return False
    if req is not None and (req.files or req.expand):
        return False
    if has_model_handlers(app.hooks, "record", action):
        return False
    cache: dict[tuple[str, str, int], bool] = app.state.setdefault("inline_writes", {})
    key = (action, c.id, app.registry.version)
    bounded = cache.get(key)
    if bounded is None:
        name = action + "Rule"
        rules = [c.rule(name), *(f.extensions.get(name) for f in c.fields if f.extensions)]
        rules = [r if isinstance(r, str) else None for r in rules]
        bounded = rules_are_bounded(app.registry.get, c, rules, app.dialect)
        if bounded and action != "create" and any(f.type == "file" for f in c.fields):
            bounded = False  # replaced or deleted files are removed after COMMIT (disk, S3)
        if bounded and action == "delete":
            bounded = not any(
                isinstance(f, RelationField) and f.collectionId == c.id
                for other in app.registry.all() if not other.is_view for f in other.fields
            )
        cache[key] = bounded
    return bounded


async def write_or_fail(app: App, fn: Callable[[Tx], T], failed: str, *, here_if_idle: bool = False) -> T:
    """Run ``fn`` in one write transaction; a write the storage refused (disk full,
    I/O error; already rolled back, uploads removed) is PocketBase's 400 ``failed``."""
    try:
        return await app.db.write(fn, here_if_idle=here_if_idle)
    except WriteFailed as exc:
        log.error("write rolled back: %s", exc)
        raise BadRequestError(failed) from exc


@endpoint
async def create_record(request: Request) -> Response:
    app = get_app(request)
    c = _collection(request, MISSING_WRITE_COLLECTION)
    req, picks, auth = await _write_request(request, c)
    env = RecordEnv.from_app(app)
    hook = app.hooks.on_record_create_request
    if not hook.handlers:
        here = _create_runs_inline(app, c, req)
        out = await write_or_fail(app, lambda tx: create_record_sync(tx, env, c, req), CREATE_FAILED, here_if_idle=here)
        return json_response(_picked(out, picks))
    # e.record (the body's Record, its values kept to tell what a handler changed) is made
    # when a handler first reads it; read first after e.next(), it is what was saved
    before: dict[str, Any] = {}
    make = partial(_body_record, c, None, req.body, before)
    event = LazyRecordRequestEvent(app.hooks.app, request, auth, c, make, req.body)
    await hook.trigger(event, partial(_create_final, app, env, c, req, picks, before))
    return answer(event)


async def _create_final(
    app: App, env: RecordEnv, c: Collection, req: WriteRequest, picks: tuple[FieldPick, ...],
    before: dict[str, Any], e: LazyRecordRequestEvent,
) -> None:  # fmt: skip
    r = with_overrides(req, e.record, before) if e.record_made else req
    here = _create_runs_inline(app, c, r)  # request hooks run outside the write: as unhooked
    out = await write_or_fail(app, lambda tx: create_record_sync(tx, env, c, r), CREATE_FAILED, here_if_idle=here)
    e.saved(out)
    e.status, e.response = 200, _picked(out, picks)


def _body_record(c: Collection, stored: StoredRow | None, body: Mapping[str, Any], before: dict[str, Any]) -> Record:
    """``e.record`` of a create (``stored`` None) or an update: the body applied."""
    record = load_body(Record(c) if stored is None else _stored_record(c, stored), body)
    before.update(record.values)
    return record


def _stored_record(c: Collection, stored: StoredRow) -> Record:
    return Record.from_stored(c, decode_row(c, stored))


@endpoint
async def update_record(request: Request) -> Response:
    app = get_app(request)
    c = _collection(request, MISSING_WRITE_COLLECTION)
    req, picks, auth = await _write_request(request, c)
    env = RecordEnv.from_app(app)
    record_id = request.path_params["id"]
    hook = app.hooks.on_record_update_request
    if not hook.handlers:
        here = _write_runs_inline(app, c, req, "update")
        out = await write_or_fail(
            app, lambda tx: update_record_sync(tx, env, c, record_id, req), UPDATE_FAILED, here_if_idle=here
        )
        return json_response(_picked(out, picks))
    if c.updateRule is None and not auth.is_superuser:
        raise ForbiddenError(ONLY_SUPERUSERS)
    # as PocketBase, the record is read before the hook (a missing one never reaches it)
    stored = await app.db.read_key(partial(fetch_row_sync, env, c, record_id))
    if stored is None:
        raise NotFoundError()
    before: dict[str, Any] = {}
    make = partial(_body_record, c, stored, req.body, before)
    event = LazyRecordRequestEvent(app.hooks.app, request, auth, c, make, req.body)
    await hook.trigger(event, partial(_update_final, app, env, c, record_id, req, picks, before))
    return answer(event)


async def _update_final(
    app: App, env: RecordEnv, c: Collection, record_id: str, req: WriteRequest, picks: tuple[FieldPick, ...],
    before: dict[str, Any], e: LazyRecordRequestEvent,
) -> None:  # fmt: skip
    r = with_overrides(req, e.record, before) if e.record_made else req
    here = _write_runs_inline(app, c, r, "update")  # request hooks run outside the write: as unhooked
    out = await write_or_fail(
        app, lambda tx: update_record_sync(tx, env, c, record_id, r), UPDATE_FAILED, here_if_idle=here
    )
    e.saved(out)
    e.status, e.response = 200, _picked(out, picks)


@endpoint
async def delete_record(request: Request) -> Response:
    app = get_app(request)
    c = _collection(request, MISSING_COLLECTION)
    auth = await get_auth(request)
    info = request_info(request, auth)
    env = RecordEnv.from_app(app)
    record_id = request.path_params["id"]
    hook = app.hooks.on_record_delete_request
    if not hook.handlers:
        # PocketBase words every failed delete as a required reference
        here = _write_runs_inline(app, c, None, "delete")
        await write_or_fail(
            app, lambda tx: delete_record_sync(tx, env, c, record_id, info), DELETE_REQUIRED_REF, here_if_idle=here
        )
        return no_content()
    if c.deleteRule is None and not auth.is_superuser:
        raise ForbiddenError(ONLY_SUPERUSERS)
    stored = await app.db.read_key(partial(fetch_row_sync, env, c, record_id))
    if stored is None:
        raise NotFoundError()
    event = LazyRecordRequestEvent(app.hooks.app, request, auth, c, partial(_stored_record, c, stored))
    await hook.trigger(event, partial(_delete_final, app, env, c, record_id, info))
    return answer(event)


async def _delete_final(
    app: App, env: RecordEnv, c: Collection, record_id: str, info: RequestInfo, e: LazyRecordRequestEvent
) -> None:
    here = _write_runs_inline(app, c, None, "delete")  # request hooks run outside the write: as unhooked
    await write_or_fail(
        app, lambda tx: delete_record_sync(tx, env, c, record_id, info), DELETE_REQUIRED_REF, here_if_idle=here
    )
    e.no_content()
