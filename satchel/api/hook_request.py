"""Running a request hook around a built-in handler.

The built-in behaviour is the final link of the chain: it puts its answer on the
event (``e.json(status, data)``), so a user hook may run before it (change
``e.record``, refuse with an ``ApiError``), after it (replace ``e.response``) or
instead of it (not call ``e.next()``).  Handlers only see the request when there
are some: with none, endpoints call the built-in code directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from satchel.api.request import AuthState, get_auth
from satchel.api.responses import json_response
from satchel.core.collections.model import Collection
from satchel.core.hook_events import RequestData, RequestEvent
from satchel.core.records.hook_events import RecordRequestEvent, RecordsListRequestEvent
from satchel.core.records.model import Record
from satchel.core.records.write import WriteRequest
from satchel.tools.hook import Hook

if TYPE_CHECKING:
    from satchel.app import App

__all__ = [
    "EVENT_KEY",
    "LazyRecordRequestEvent",
    "LazyRecordsListRequestEvent",
    "answer",
    "auth_record",
    "hook_event",
    "fill_collection",
    "around_hook",
    "load_body",
    "new_request_event",
    "saved_into",
    "with_overrides",
    "has_handlers",
    "hooked",
    "request_data",
    "respond",
    "run_request_hook",
]


# the scope key under which a wrapped endpoint finds its request event (to honour what a
# handler changed on it: e.new_settings, e.subscriptions)
EVENT_KEY = "satchel.hook_event"


def hook_event(request: Request) -> Any:
    """The request event of the chain ``request`` runs in as the final link, if any."""
    return request.scope.get(EVENT_KEY)


def has_handlers(hook: Hook[Any]) -> bool:
    return bool(hook.handlers)


def _first_values(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in items:
        out.setdefault(key, value)
    return out


class _RequestData(RequestData):
    """Read from the Starlette request on first access: a hook that looks at nothing
    costs nothing."""

    def __init__(self, request: Request, body: Mapping[str, Any] | None) -> None:  # noqa: D107
        self._request = request
        self._body = body

    @cached_property
    def method(self) -> str:  # type: ignore[override]
        return self._request.method

    @cached_property
    def path(self) -> str:  # type: ignore[override]
        return self._request.url.path

    @cached_property
    def path_params(self) -> Mapping[str, str]:  # type: ignore[override]
        return dict(self._request.path_params)

    @cached_property
    def query_params(self) -> Mapping[str, str]:  # type: ignore[override]
        return _first_values(self._request.query_params.multi_items())

    @cached_property
    def headers(self) -> Mapping[str, str]:  # type: ignore[override]
        return _first_values(self._request.headers.items())

    @cached_property
    def body(self) -> Mapping[str, Any]:  # type: ignore[override]
        return dict(self._body or {})

    @cached_property
    def remote_ip(self) -> str:  # type: ignore[override]
        client = self._request.client
        return client.host if client else ""


_UNSET: Any = object()


class LazyRecordRequestEvent(RecordRequestEvent):
    """A :class:`RecordRequestEvent` whose ``e.record``, ``e.auth`` and ``e.request`` are
    made on first read (a hook that reads nothing makes none of them: the per-request
    cost of a do-nothing hook, docs/performance.md).  ``make_record`` builds the record;
    ``record_made`` tells the final link whether a handler may have changed it, and
    :meth:`saved` points it at what was saved."""

    def __init__(self, app: Any, request: Request, auth: AuthState, collection: Collection,
                 make_record: Callable[[], Record | None],
                 body: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        # the dataclass fields not set here are class attributes (their defaults); those
        # with a factory would need a fresh value each (none today: test_hook_cost.py)
        self.app = app
        self.collection = collection
        self._starlette = request
        self._auth_state = auth
        self._make_record = make_record
        self._body = body

    _record: Any = _UNSET  # not made yet (class attributes: nothing to set per request)
    _auth: Any = _UNSET
    _request: Any = _UNSET
    record_made = False  # whether e.record was made (a handler may have changed it)

    @property  # type: ignore[override]
    def record(self) -> Record | None:
        if not self.record_made:
            self._record = self._make_record()
            self.record_made = True
        record: Record | None = self._record
        return record

    @record.setter
    def record(self, value: Record | None) -> None:
        self._record = value
        self.record_made = True

    def saved(self, out: Mapping[str, Any]) -> None:
        """After the write, ``e.record`` is what was saved (``out``): the record a handler
        read, updated; else, made so when read."""
        if self.record_made:
            saved_into(self._record, out)
        else:
            self._make_record = partial(_saved, self._make_record, out)

    @property  # type: ignore[override]
    def auth(self) -> Record | None:
        if self._auth is _UNSET:
            self._auth = auth_record(self._auth_state)
        auth: Record | None = self._auth
        return auth

    @auth.setter
    def auth(self, value: Record | None) -> None:
        self._auth = value

    @property  # type: ignore[override]
    def request(self) -> RequestData:
        if self._request is _UNSET:
            self._request = _RequestData(self._starlette, self._body)
        data: RequestData = self._request
        return data

    @request.setter
    def request(self, value: RequestData) -> None:
        self._request = value


class LazyRecordsListRequestEvent(RecordsListRequestEvent):
    """A :class:`RecordsListRequestEvent` whose ``e.records``, ``e.auth`` and ``e.request``
    are made on first read (``rows``: the records as read, before presentation)."""

    def __init__(self, app: Any, request: Request, auth: AuthState, collection: Collection,
                 rows: list[dict[str, Any]], result: dict[str, Any]) -> None:  # fmt: skip
        self.app = app
        self.collection = collection
        self.result = result
        self._starlette = request
        self._auth_state = auth
        self._rows = rows
        self._body = None

    _records: Any = _UNSET

    @property  # type: ignore[override]
    def records(self) -> list[Record]:
        if self._records is _UNSET:
            c = self.collection
            self._records = [Record.from_stored(c, r) for r in self._rows]  # type: ignore[arg-type]
        records: list[Record] = self._records
        return records

    @records.setter
    def records(self, value: list[Record]) -> None:
        self._records = value

    auth = LazyRecordRequestEvent.auth
    request = LazyRecordRequestEvent.request
    _auth: Any = _UNSET
    _request: Any = _UNSET


def request_data(request: Request, body: Mapping[str, Any] | None = None) -> RequestData:
    return _RequestData(request, body)


def auth_record(auth: AuthState) -> Record | None:
    if auth.record is None or auth.collection is None:
        return None
    return Record.from_stored(auth.collection, auth.record)


def answer(event: RequestEvent) -> Response:
    """The answer of a request chain that has run: the built-in JSON inline, else :func:`respond`."""
    response = event.response
    if response is None:  # e.no_content() (a delete): respond's answer, one call less
        return Response(status_code=event.status)
    if isinstance(response, Response):
        return response
    return json_response(response, event.status)


def respond(event: RequestEvent) -> Response:
    """The answer the chain left on the event (an empty 200 when nobody answered)."""
    if event.response is None:
        return Response(status_code=event.status)
    if isinstance(event.response, Response):
        return event.response
    return json_response(event.response, event.status)


async def run_request_hook(hook: Hook[Any], event: RequestEvent, final: Callable[[Any], Any]) -> Response:
    await hook.trigger(event, final)
    return answer(event)


async def new_request_event(
    request: Request, event_type: type[Any], body: Mapping[str, Any] | None = None, **fields: Any
) -> Any:
    """A request event for a hook an endpoint fires itself, after its own checks (as
    PocketBase's endpoints do): ``fields`` are the event's own (``e.collection``...)."""
    app: App = request.app.state.satchel
    auth = auth_record(await get_auth(request))
    return event_type(app=app.hooks.app, request=request_data(request, body), auth=auth, **fields)


async def around_hook(
    request: Request,
    name: str,
    event_type: type[Any],
    work: Callable[[Any], Awaitable[Response]],
    body: Mapping[str, Any] | None = None,
    **fields: Any,
) -> Response:
    """Fire request hook ``name`` from inside an endpoint, once its own checks passed:
    ``work(e)`` (the built-in rest of the endpoint, reading what a handler may have
    changed on ``e``) is the final link.  With no handler bound, ``work(None)``."""
    hook = request.app.state.satchel.hooks.get(name)
    if not hook.handlers:
        return await work(None)
    event = await new_request_event(request, event_type, body, **fields)

    async def final(e: Any) -> None:
        e.response = await work(e)

    return await run_request_hook(hook, event, final)


Handler = Callable[[Request], Awaitable[Response]]
Fill = Callable[["App", Request, Any], Awaitable[None]]


def hooked(
    name: str,
    event_type: type[RequestEvent] = RequestEvent,
    *,
    fill: Fill | None = None,
    guard: Callable[[Request], Awaitable[Any]] | None = None,
) -> Callable[[Handler], Handler]:
    """Run endpoint ``handler`` as the final link of request hook ``name``.

    ``guard`` (e.g. the superuser check) runs first, so a hook never sees a request the
    endpoint refuses anyway (PocketBase's route middlewares); ``fill`` sets the event's own
    fields (``e.collection``...).  With no handler bound the endpoint runs as it is.
    ``e.response`` is then the built-in Response; ``e.json(...)`` replaces it.
    """

    def wrap(handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            app: App = request.app.state.satchel
            hook = app.hooks.get(name)
            if not hook.handlers:
                return await handler(request)
            if guard is not None:
                await guard(request)
            data = request_data(request, await _json_body(request))
            event = event_type(app=app.hooks.app, request=data, auth=auth_record(await get_auth(request)))
            if fill is not None:
                await fill(app, request, event)

            async def final(e: RequestEvent) -> None:
                request.scope[EVENT_KEY] = e
                e.response = await handler(request)

            return await run_request_hook(hook, event, final)

        wrapped.__name__ = handler.__name__
        wrapped.__doc__ = handler.__doc__
        return wrapped

    return wrap


async def _json_body(request: Request) -> dict[str, Any]:
    """A JSON body for ``e.request.body`` (Starlette keeps the bytes for the endpoint);
    form bodies are left to the endpoint, which parses them as a stream."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method not in ("POST", "PUT", "PATCH") or not (
        content_type == "application/json" or content_type.endswith("+json")
    ):
        return {}
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return {}  # the endpoint answers the bad body in its own words
    return data if isinstance(data, dict) else {}


async def fill_collection(app: App, request: Request, event: Any) -> None:
    """``e.collection`` from the ``{collection}`` path parameter (``None`` if unknown)."""
    name = request.path_params.get("collection")
    event.collection = app.registry.get(str(name)) if name else None


# -- the record of a write request, for hooks ---------------------------------------------


def load_body(record: Record, body: Mapping[str, Any]) -> Record:
    """The record with the submitted body applied (keys a hook may read or change)."""
    for key, value in body.items():
        f = record.collection.field(key.rstrip("+-"))
        if f is None or f.type == "file":
            continue
        try:
            record.set(key, value)
        except (TypeError, ValueError):  # the write code reports bad values in its own words
            continue
    return record


def with_overrides(req: WriteRequest, record: Record | None, before: Mapping[str, Any]) -> WriteRequest:
    if record is None:
        return req
    changed = {k: v for k, v in record.values.items() if before.get(k) != v}
    return replace(req, overrides=changed) if changed else req


def _saved(make: Callable[[], Record | None], out: Mapping[str, Any]) -> Record | None:
    record = make()
    saved_into(record, out)
    return record


def saved_into(record: Record | None, out: Mapping[str, Any]) -> None:
    """After the write, ``e.record`` holds what was stored (its new id...)."""
    if record is None:
        return
    for f in record.collection.fields:
        if f.name in out and f.type != "password":
            record.values[f.name] = f.prepare_value(out[f.name])
    record.mark_saved()
