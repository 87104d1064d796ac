"""``POST /api/batch`` -- record create/upsert/update/delete requests in one transaction (spec 03 §7).

The whole batch runs as ONE write transaction on the writer thread: every item
goes through the same core functions as the single-record endpoints (rules
evaluated with context ``batch`` and the batch request's own auth), and the first
failing item rolls everything back with PocketBase's ``batch_request_failed``
error.  Record changes are published once, after COMMIT.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from satchel.api.hook_request import auth_record, load_body, saved_into, with_overrides
from satchel.api.records import MISSING_COLLECTION, MISSING_WRITE_COLLECTION, first_values, write_or_fail
from satchel.api.request import AuthState, endpoint, get_app, get_auth, is_form, parse_form
from satchel.api.responses import json_response
from satchel.core.collections.model import Collection
from satchel.core.fields._gocompat import to_string
from satchel.core.files.storage import forwarded_name
from satchel.core.hook_events import RequestData
from satchel.core.records.hook_events import RecordRequestEvent
from satchel.core.records.model import Record
from satchel.core.records.picking import pick_fields
from satchel.core.records.query import RecordEnv, fetch_with_rule_sync
from satchel.core.records.resolver import RequestInfo
from satchel.core.records.write import (
    Changes,
    WriteRequest,
    create_record_sync,
    delete_record_sync,
    update_record_sync,
)
from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError, ValidationError
from satchel.store.database import Tx
from satchel.tools.search import parse_fields

__all__ = ["batch"]

NOT_ALLOWED = "Batch requests are not allowed."
READ_FAILED = "Failed to read the submitted batch data."
INVALID = "Invalid batch request data."
FAILED = "Batch transaction failed."
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_URL = 2000
_RECORDS_URL = re.compile(r"^/api/collections/([^/]+)/records(?:/([^/]+))?/?$")
_FILE_KEY = re.compile(r"^requests(?:\.(\d+)\.|\[(\d+)\]\.)(.+)$")


class _ItemFailed(Exception):
    def __init__(self, index: int, error: ApiError) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


async def _read(request: Request) -> tuple[dict[str, Any], dict[int, dict[str, list[Any]]]]:
    """The batch JSON (plain or the multipart ``@jsonPayload``) and the uploads per item."""
    files: dict[int, dict[str, list[Any]]] = {}
    try:
        if is_form(request):
            form = await parse_form(request, READ_FAILED)
            payload = form.get("@jsonPayload")
            data = orjson.loads(payload) if isinstance(payload, str) and payload.strip() else {}
            for key, value in form.multi_items():
                m = _FILE_KEY.match(key)
                if m and isinstance(value, UploadFile):
                    if not value.filename:
                        continue  # Go's multipart reads a part without a file name as a value
                    value.filename = forwarded_name(value.filename, value.file)
                    index = int(m.group(1) or m.group(2))
                    files.setdefault(index, {}).setdefault(m.group(3), []).append(value)
        else:
            raw = await request.body()
            data = orjson.loads(raw) if raw.strip() else {}
    except (orjson.JSONDecodeError, ValueError) as exc:
        raise BadRequestError(READ_FAILED) from exc
    if not isinstance(data, dict):
        raise BadRequestError(READ_FAILED)
    return data, files


def _validate(data: Mapping[str, Any], max_requests: int) -> list[dict[str, Any]]:
    items = data.get("requests")
    if not isinstance(items, list) or not items:
        raise ApiError(400, INVALID, {"requests": ValidationError("validation_required", "Cannot be blank.")})
    if max_requests and len(items) > max_requests:
        raise ApiError(
            400,
            INVALID,
            {
                "requests": ValidationError(
                    "validation_length_too_long",
                    f"The length must be no more than {max_requests}.",
                    {"max": max_requests, "min": 0},
                )
            },
        )
    errors: dict[str, Any] = {}
    for i, item in enumerate(items):
        item_errors: dict[str, Any] = {}
        if not isinstance(item, dict):
            errors[str(i)] = ValidationError("validation_required", "Cannot be blank.")
            continue
        method = item.get("method")
        if not method:
            item_errors["method"] = ValidationError("validation_required", "Cannot be blank.")
        elif method not in METHODS:
            item_errors["method"] = ValidationError("validation_in_invalid", "Must be a valid value.")
        url = item.get("url")
        if not url or not isinstance(url, str):
            item_errors["url"] = ValidationError("validation_required", "Cannot be blank.")
        elif len(url) > MAX_URL:
            item_errors["url"] = ValidationError(
                "validation_length_too_long", f"The length must be no more than {MAX_URL}.", {"max": MAX_URL, "min": 0}
            )
        if item_errors:
            errors[str(i)] = item_errors
    if errors:
        raise ApiError(400, INVALID, {"requests": errors})
    return items


class _Runner:
    def __init__(self, request: Request, auth: AuthState, env: RecordEnv) -> None:
        self.auth = auth
        self.auth_record = auth_record(auth) if env.hooks is not None else None
        self.env = env
        self.headers = first_values(request.headers.items())

    def info(self, item: Mapping[str, Any], query: dict[str, str], body: dict[str, Any]) -> RequestInfo:
        headers = dict(self.headers)
        extra = item.get("headers")
        if isinstance(extra, dict):
            for key, value in extra.items():
                if str(key).lower() != "authorization":
                    headers[str(key).lower()] = str(value)
        return RequestInfo(
            auth=dict(self.auth.record) if self.auth.record is not None else None,
            auth_collection=self.auth.collection,
            body=body,
            query=query,
            headers=headers,
            method=str(item["method"]),
            context="batch",
        )

    def collection(self, ref: str, message: str) -> Collection:
        c = self.env.lookup(ref)
        if c is None:
            raise NotFoundError(message)
        return c

    def run(self, tx: Tx, item: Mapping[str, Any], files: dict[str, list[Any]], changes: Changes) -> dict[str, Any]:
        url = urlsplit(str(item["url"]))
        m = _RECORDS_URL.match(url.path)
        method = str(item["method"])
        query = first_values(parse_qsl(url.query, keep_blank_values=True))
        body = item.get("body") if isinstance(item.get("body"), dict) else {}
        assert isinstance(body, dict)
        if m is None:
            raise BadRequestError()
        ref, record_id = m.group(1), m.group(2)
        info = self.info(item, query, body)
        picks = parse_fields(query.get("fields", ""))
        req = WriteRequest(info, body, files, query.get("expand", ""))
        if method == "DELETE" and record_id:
            c = self.collection(ref, MISSING_COLLECTION)
            if self._hook("on_record_delete_request"):
                return self._delete_hooked(tx, c, record_id, info, url.path, query, changes)
            delete_record_sync(tx, self.env, c, record_id, info, changes)
            return {"body": None, "status": 204}
        if method == "PUT" and not record_id:
            c = self.collection(ref, MISSING_WRITE_COLLECTION)
            upsert_id = to_string(body.get("id", ""))
            exists = bool(upsert_id) and fetch_with_rule_sync(tx.conn, self.env, c, upsert_id, None, None) is not None
            method, record_id = ("PATCH", upsert_id) if exists else ("POST", "")
        if not ((method == "POST" and not record_id) or (method == "PATCH" and record_id)):
            raise BadRequestError()
        c = self.collection(ref, MISSING_WRITE_COLLECTION)
        hook = "on_record_update_request" if record_id else "on_record_create_request"

        def write(r: WriteRequest) -> dict[str, Any]:
            if record_id:
                return update_record_sync(tx, self.env, c, record_id, r, changes)
            return create_record_sync(tx, self.env, c, r, changes)

        if self._hook(hook):
            return self._write_hooked(tx, hook, c, record_id, req, write, url.path, query, picks)
        out = write(req)
        return {"body": pick_fields(out, picks) if picks else out, "status": 200}

    # -- the record request hooks of each item (PocketBase routes every item through them) --

    def _hook(self, name: str) -> bool:
        hooks = self.env.hooks
        return hooks is not None and bool(hooks.get(name).handlers)

    def _event(self, c: Collection, record: Record, path: str, query: dict[str, str], req: WriteRequest) -> Any:
        hooks = self.env.hooks
        assert hooks is not None
        data = RequestData(method=req.info.method, path=path, query_params=query, headers=req.info.headers,
                           body=req.body, path_params={"collection": c.name})  # fmt: skip
        return RecordRequestEvent(app=hooks.app, request=data, auth=self.auth_record, collection=c, record=record)

    def _write_hooked(
        self, tx: Tx, name: str, c: Collection, record_id: str, req: WriteRequest,
        write: Callable[[WriteRequest], dict[str, Any]], path: str, query: dict[str, str], picks: Any,
    ) -> dict[str, Any]:  # fmt: skip
        hooks = self.env.hooks
        assert hooks is not None
        if record_id:
            stored = fetch_with_rule_sync(tx.conn, self.env, c, record_id, None, None)
            if stored is None:
                raise NotFoundError()
            record = load_body(Record.from_stored(c, stored), req.body)
        else:
            record = load_body(Record(c), req.body)
        before = dict(record.values)
        event = self._event(c, record, path, query, req)

        def final(e: RecordRequestEvent) -> None:
            out = write(with_overrides(req, e.record, before))
            saved_into(e.record, out)
            e.json(200, pick_fields(out, picks) if picks else out)

        hooks.get(name).trigger_sync(event, final)
        return {"body": event.response, "status": event.status}

    def _delete_hooked(
        self, tx: Tx, c: Collection, record_id: str, info: RequestInfo, path: str, query: dict[str, str],
        changes: Changes,
    ) -> dict[str, Any]:  # fmt: skip
        hooks = self.env.hooks
        assert hooks is not None
        stored = fetch_with_rule_sync(tx.conn, self.env, c, record_id, None, None)
        if stored is None:
            raise NotFoundError()
        event = self._event(c, Record.from_stored(c, stored), path, query, WriteRequest(info, {}))

        def final(e: RecordRequestEvent) -> None:
            delete_record_sync(tx, self.env, c, record_id, info, changes)
            e.no_content()

        hooks.get("on_record_delete_request").trigger_sync(event, final)
        return {"body": event.response, "status": event.status}


@endpoint
async def batch(request: Request) -> Response:
    app = get_app(request)
    config = app.settings.current.batch
    if not config.enabled:
        raise ForbiddenError(NOT_ALLOWED)
    data, files = await _read(request)
    items = _validate(data, config.max_requests)
    auth = await get_auth(request)
    runner = _Runner(request, auth, RecordEnv.from_app(app))
    timeout = float(config.timeout or 0)

    def run(tx: Tx) -> list[dict[str, Any]]:
        changes = Changes(tx, runner.env)
        deadline = time.monotonic() + timeout if timeout > 0 else None
        results: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            if deadline is not None and time.monotonic() > deadline:
                raise BadRequestError(FAILED)
            try:
                results.append(runner.run(tx, item, files.get(i, {}), changes))
            except ApiError as exc:
                raise _ItemFailed(i, exc) from exc
        if deadline is not None and time.monotonic() > deadline:
            raise BadRequestError(FAILED)
        return results

    try:
        results = await write_or_fail(app, run, FAILED)
    except _ItemFailed as failed:
        failure = {
            "code": "batch_request_failed",
            "message": "Batch request failed.",
            "response": failed.error.to_dict(),
        }
        raise ApiError(400, FAILED, {"requests": {str(failed.index): failure}}) from failed
    return json_response(results)
