"""The outermost ASGI wrapper lends the server's own ``send`` to a stream for its body
messages (the wrappers act on the response start only), for the request's time only."""

from __future__ import annotations

import asyncio
from typing import Any

from satchel.server import answer_cancelled
from satchel.tools.sse import RAW_SEND


def test_the_raw_send_is_in_the_scope_during_the_request_only() -> None:
    sent: list[Any] = []
    lent: list[Any] = []

    async def raw(message: Any) -> None:
        sent.append(message)

    async def stream(scope: Any, receive: Any, send: Any) -> None:
        lent.append(scope[RAW_SEND])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await scope[RAW_SEND]({"type": "http.response.body", "body": b"id:x\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    scope: dict[str, Any] = {"type": "http"}
    asyncio.run(answer_cancelled(stream)(scope, None, raw))
    assert lent == [raw]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body", "http.response.body"]
    assert RAW_SEND not in scope  # uvicorn's cycle holds the scope: no reference cycle is left
