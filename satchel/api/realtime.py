"""``GET /api/realtime`` (the SSE stream) and ``POST /api/realtime`` (subscriptions).

The stream is a raw ASGI response: one coroutine per connection writes the
client's queued messages (several at once when they piled up, each send
flushed immediately), plus one small task waiting for the disconnect.  Idle
and lifetime limits are enforced by the hub's single sweeper task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from satchel.api.record_auth import client_ip
from satchel.api.request import endpoint, get_app, get_auth, read_body
from satchel.api.responses import no_content
from satchel.core.realtime import Client, ClientAuth, RealtimeHub, get_hub, token_secret, validate_form
from satchel.errors import BadRequestError, ForbiddenError, NotFoundError
from satchel.tools.sse import frame, frames

__all__ = ["connect", "set_subscriptions"]

log = logging.getLogger("satchel.realtime")

STREAM_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]


class EventStream(Response):
    """The SSE response of one registered client."""

    def __init__(self, hub: RealtimeHub, client: Client) -> None:
        self.hub = hub
        self.client = client
        self.status_code = 200
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub, client = self.hub, self.client
        task = asyncio.current_task()
        sending = False

        def on_close(closed: Client) -> None:
            # a slow consumer is dropped while its writer waits for the socket to drain
            if sending and closed.close_reason == "slow" and task is not None:
                task.cancel()

        client.on_close = on_close
        watcher = asyncio.ensure_future(_wait_disconnect(receive))
        watcher.add_done_callback(lambda _: hub.drop(client, "disconnect"))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
            connect = b'{"clientId":"' + client.id_bytes + b'"}'
            await send({"type": "http.response.body", "body": frame(client.id_bytes, b"PB_CONNECT", connect),
                        "more_body": True})  # fmt: skip
            while True:
                batch = await client.next_batch()
                if batch is None:
                    break
                sending = True
                await send({"type": "http.response.body", "body": frames(client.id_bytes, batch), "more_body": True})
                sending = False
                client.touch()
            if client.close_reason not in ("disconnect", "slow"):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if client.close_reason != "slow" or task is None:
                raise
            task.uncancel()  # our own cancel: the server closes the stuck connection
        finally:
            watcher.cancel()
            hub.unregister(client)


async def _wait_disconnect(receive: Receive) -> None:
    with contextlib.suppress(Exception):
        while (await receive())["type"] != "http.disconnect":
            pass


@endpoint
async def connect(request: Request) -> Response:
    hub = get_hub(get_app(request))
    return EventStream(hub, hub.register(client_ip(request)))


@endpoint
async def set_subscriptions(request: Request) -> Response:
    app = get_app(request)
    body = await read_body(request, infer=False)
    client_id, names = validate_form(body)
    hub = get_hub(app)
    client = hub.get(client_id)
    if client is None:
        raise NotFoundError("Missing or invalid client id.")
    if client.ip and client.ip != client_ip(request):
        raise BadRequestError("Invalid realtime client.")
    auth = await get_auth(request)
    bound = hub.current_auth(client)
    new_key = None if auth.record is None or auth.collection is None else (auth.collection.id, str(auth.record["id"]))
    if bound is not None and bound.key != new_key:
        raise ForbiddenError("The current and the previous request authorization don't match.")
    if client.closed:  # disconnected while we were authenticating
        raise NotFoundError("Missing or invalid client id.")
    new_auth = None
    if auth.record is not None and auth.collection is not None:
        new_auth = ClientAuth(auth.collection, auth.record, token_secret(auth.collection))
    hub.bind(client, new_auth, names)
    return no_content()
