"""Realtime hooks against a live server: connect refused, messages changed or dropped, enrich."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from satchel.app import App
from satchel.hooks import ForbiddenError
from tests.api.test_realtime_api import SSE, LiveServer, subscribe, write


@pytest.fixture
def live(app: App) -> Iterator[LiveServer]:
    app.collections.create_sync(
        {"name": "tags", "type": "base", "listRule": "", "viewRule": "", "fields": [{"name": "name", "type": "text"}]}
    )
    with LiveServer(app) as server:
        yield server


def test_connect_hook_may_refuse(app: App, live: LiveServer) -> None:
    @app.hook_app.on_realtime_connect_request
    async def only_with_header(e: Any) -> None:
        if e.request.headers.get("x-realtime") != "yes":
            raise ForbiddenError("No realtime for you.")
        await e.next()

    r = httpx.get(f"{live.url}/api/realtime")
    assert r.status_code == 403 and r.json()["message"] == "No realtime for you."

    async def main() -> None:
        sse = await SSE(live.port).start({"X-Realtime": "yes"})
        assert sse.client_id
        sse.close()

    asyncio.run(main())


def test_message_send_and_enrich_hooks(app: App, live: LiveServer) -> None:
    h = app.hook_app

    @h.on_realtime_message_send
    def change(e: Any) -> None:
        if e.message.data["record"]["name"] == "secret":
            return  # dropped
        e.message.data["hooked"] = True
        e.next()

    @h.on_record_enrich("tags")
    def extra(e: Any) -> None:
        e.record.set("shout", e.record.get("name").upper())
        e.next()

    async def main() -> None:
        sse = await SSE(live.port).start()
        assert (await subscribe(live.url, sse.client_id, ["tags/*"])).status_code == 204
        write(app, "create", "tags", {"name": "secret"})
        write(app, "create", "tags", {"name": "open"})
        await sse.wait_for(lambda: len(sse.messages()) >= 1)
        await asyncio.sleep(0.2)
        messages = sse.messages()
        assert len(messages) == 1
        name, data = messages[0]
        assert name == "tags/*" and data["hooked"] is True
        assert data["record"]["name"] == "open" and data["record"]["shout"] == "OPEN"
        sse.close()

    asyncio.run(main())


def test_subscribe_hook_sees_and_may_change_the_subscriptions(app: App, live: LiveServer) -> None:
    from satchel.core.realtime import get_hub

    seen: list[tuple[str, list[str]]] = []

    @app.hook_app.on_realtime_subscribe_request
    def only_tags(e: Any) -> None:
        seen.append((e.client_id, list(e.subscriptions)))
        e.subscriptions = [s for s in e.subscriptions if s.startswith("tags")]
        e.next()

    async def main() -> None:
        sse = await SSE(live.port).start()
        assert (await subscribe(live.url, sse.client_id, ["tags/*", "users/x"])).status_code == 204
        client = get_hub(app).get(sse.client_id)
        assert client is not None and set(client.subscriptions) == {"tags/*"}
        assert seen == [(sse.client_id, ["tags/*", "users/x"])]
        sse.close()

    asyncio.run(main())


def test_connect_subscribe_and_send_events_carry_the_client(app: App, live: LiveServer) -> None:
    from satchel.core.realtime import get_hub

    seen: dict[str, list[Any]] = {"connect": [], "subscribe": [], "send": []}
    h = app.hook_app

    @h.on_realtime_connect_request
    async def on_connect(e: Any) -> None:
        seen["connect"].append(e.client)
        await e.next()

    @h.on_realtime_subscribe_request
    def on_subscribe(e: Any) -> None:
        seen["subscribe"].append((e.client, list(e.subscriptions)))
        e.next()

    @h.on_realtime_message_send
    def on_send(e: Any) -> None:
        seen["send"].append((e.client, e.message.name))
        e.next()

    async def main() -> None:
        sse = await SSE(live.port).start()
        client = get_hub(app).get(sse.client_id)
        assert client is not None and seen["connect"] == [client]
        assert (await subscribe(live.url, sse.client_id, ["tags/*"])).status_code == 204
        assert seen["subscribe"] == [(client, ["tags/*"])]
        write(app, "create", "tags", {"name": "one"})
        await sse.wait_for(lambda: len(sse.messages()) >= 1)
        assert seen["send"] == [(client, "tags/*")]
        sse.close()

    asyncio.run(main())


def test_a_connect_chain_that_stops_leaves_no_client(app: App, live: LiveServer) -> None:
    from satchel.core.realtime import get_hub

    @app.hook_app.on_realtime_connect_request
    def refuse_quietly(e: Any) -> None:
        e.json(204, None)  # answers without e.next(): no stream

    r = httpx.get(f"{live.url}/api/realtime")
    assert r.status_code == 204 and get_hub(app).clients == {}
