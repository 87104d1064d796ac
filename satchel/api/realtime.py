"""``GET /api/realtime`` (the SSE stream) and ``POST /api/realtime`` (subscriptions).

The stream is served ahead of the middleware and the router (see
:class:`satchel.api.router.SatchelASGI`): an idle connection is one coroutine
waiting for the disconnect and a small :class:`Client`, nothing else, because
thousands of them share one process.  Messages are written by a task that lives
only while there is something to write; idle and lifetime limits are enforced
by the hub's single sweeper task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from satchel.api.client_ip import client_ip
from satchel.api.hook_request import auth_record, hook_event, request_data, respond
from satchel.api.request import endpoint, get_app, get_auth, read_body
from satchel.api.responses import error_response, no_content
from satchel.core.realtime import Client, ClientAuth, Outgoing, get_hub, token_secret, validate_form
from satchel.core.realtime.hook_events import RealtimeConnectRequestEvent
from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError
from satchel.tools.sse import RAW_SEND, frame, frames

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["chunk_writer", "serve_stream", "set_subscriptions"]

log = logging.getLogger("satchel.realtime")

STREAM_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


async def serve_stream(app: App, scope: Scope, receive: Receive, send: Send,
                       extra_headers: list[tuple[bytes, bytes]]) -> None:  # fmt: skip
    """The SSE response of a new client, until it disconnects or the hub closes it."""
    hook = app.hooks.on_realtime_connect_request
    hub = get_hub(app)
    request = Request(scope)
    client = hub.register(client_ip(request))
    body_send = scope.get(RAW_SEND, send)
    if not hook.handlers:
        await _serve(app, client, receive, send, body_send, extra_headers)
        return
    # a hook sees the new client (e.client) before PB_CONNECT; its e.next() is the whole stream
    auth = auth_record(await get_auth(request))
    event = RealtimeConnectRequestEvent(app=app.hooks.app, request=request_data(request), auth=auth, client=client)

    served = False

    async def final(_: RealtimeConnectRequestEvent) -> None:
        nonlocal served
        served = True
        await _serve(app, client, receive, send, body_send, extra_headers)

    try:
        await hook.trigger(event, final)
        if not served:  # a handler answered instead of the stream
            await respond(event)(scope, receive, send)
    except ApiError as exc:  # refused before the stream started
        response = error_response(exc)
        await response(scope, receive, send)
    finally:
        hub.unregister(client)  # (again, when served: idempotent) a chain that stopped early


ChunkWriter = Callable[[bytes], Coroutine[Any, Any, None]]


def chunk_writer(send: Send) -> ChunkWriter | None:
    """When ``send`` is uvicorn's own (``RequestResponseCycle.send``) for a started chunked
    response: a writer of one body chunk doing what that ``send`` does for ``{"type":
    "http.response.body", "body": body, "more_body": True}`` (wait while the transport is
    paused, nothing once the client is gone, the same bytes), without the message dict and
    the generic checks, which a fan-out pays once per client and event.  Otherwise None."""
    cycle = getattr(send, "__self__", None)
    if cycle is None or not getattr(cycle, "chunked_encoding", False) or not getattr(cycle, "response_started", False):
        return None
    transport, flow = cycle.transport, cycle.flow

    async def write(body: bytes) -> None:
        if flow.write_paused and not cycle.disconnected:
            await flow.drain()
        if cycle.disconnected:
            return
        if cycle.response_complete:
            raise RuntimeError("Unexpected ASGI message 'http.response.body' sent, after response already completed.")
        if body:
            transport.write(b"%x\r\n%b\r\n" % (len(body), body))

    return write


async def _serve(app: App, client: Client, receive: Receive, send: Send, body_send: Send,
                 extra_headers: list[tuple[bytes, bytes]]) -> None:  # fmt: skip
    """``body_send``: where the messages go once the response started (past the wrappers)."""
    hub = get_hub(app)
    task = asyncio.current_task()
    assert task is not None
    client_id = client.id_bytes

    write: ChunkWriter | None = None

    async def sink(batch: list[Outgoing]) -> None:
        if write is not None:
            await write(frames(client_id, batch))
        else:
            await body_send({"type": "http.response.body", "body": frames(client_id, batch), "more_body": True})

    def wake(_: Client) -> None:  # the hub closed the client: end the wait below
        task.cancel()

    client.on_close = wake
    try:
        await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS + extra_headers})
        connect = b'{"clientId":"' + client_id + b'"}'
        await send({"type": "http.response.body", "body": frame(client_id, b"PB_CONNECT", connect), "more_body": True})
        write = chunk_writer(body_send)
        client.attach(sink)
        while (await receive())["type"] != "http.disconnect":
            pass
        client.on_close = None
        hub.drop(client, "disconnect")
    except asyncio.CancelledError:
        if not client.closed or client.close_reason == "disconnect":
            raise  # not ours: the server is stopping this task
        task.uncancel()
        # a stuck (slow) connection is left incomplete: the server closes it
        if client.close_reason != "slow":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        hub.unregister(client)


@endpoint
async def set_subscriptions(request: Request) -> Response:
    app = get_app(request)
    body = await read_body(request, infer=False)
    client_id, names = validate_form(body)
    event = hook_event(request)  # an on_realtime_subscribe_request handler may change them
    if event is not None and isinstance(getattr(event, "subscriptions", None), list):
        client_id, names = validate_form({**body, "subscriptions": list(event.subscriptions)})
    hub = get_hub(app)
    ip = client_ip(request)
    client = hub.get(client_id)
    if client is None and hub.holds_here(client_id):
        raise NotFoundError("Missing or invalid client id.")
    if client is not None and client.ip and client.ip != ip:
        raise BadRequestError("Invalid realtime client.")
    auth = await get_auth(request)
    new_auth = None
    if auth.record is not None and auth.collection is not None:
        new_auth = ClientAuth(auth.collection, auth.record, token_secret(auth.collection))
    outcome = await hub.apply_form_anywhere(client_id, ip, new_auth, names)
    if outcome == "missing":  # unknown, or disconnected while we were authenticating
        raise NotFoundError("Missing or invalid client id.")
    if outcome == "ip":
        raise BadRequestError("Invalid realtime client.")
    if outcome == "auth":
        raise ForbiddenError("The current and the previous request authorization don't match.")
    return no_content()
