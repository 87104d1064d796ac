"""``python -m bench.hooks_cost``: what the hook machinery costs a request, in-process.

The ASGI app is called directly (no sockets, no client library) so the figures are the
server's own work: a public view and a create on a small collection, in rounds of
``--requests`` sequential calls, under four setups: no user hook, a coroutine request
hook that only calls ``e.next()``, a plain-function one (it runs on a worker thread),
and a model hook (``on_record_create``).  Prints CPU microseconds (all threads) per request (minimum and
median over rounds).  With ``--base DIR`` the same runs against another source tree
(e.g. ``git archive <commit> | tar -x -C DIR``) for a before/after comparison.

    python -m bench.hooks_cost [--requests 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson


async def _call(asgi: Any, method: str, path: str, body: bytes = b"") -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8090),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await asgi(scope, receive, send)
    return status


def _setup(kind: str, hook_app: Any) -> None:
    if kind == "async request hook":
        async def nothing(e: Any) -> None:
            await e.next()
        hook_app.on_record_view_request(nothing)
        hook_app.on_record_create_request(nothing)
    elif kind == "sync request hook":
        def plain(e: Any) -> None:
            e.next()
        hook_app.on_record_view_request(plain)
        hook_app.on_record_create_request(plain)
    elif kind == "model hook":
        def model(e: Any) -> None:
            e.next()
        hook_app.on_record_create(model)


async def _rounds(asgi: Any, method: str, path: str, body: bytes, requests: int, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.process_time()  # CPU of every thread: less swayed by a busy machine
        for _ in range(requests):
            status = await _call(asgi, method, path, body)
            assert status == 200, status
        out.append((time.process_time() - start) / requests * 1e6)
    return out


async def _measure(kind: str, requests: int, rounds: int) -> dict[str, list[float]]:
    from satchel.api import build_asgi
    from satchel.app import App
    from satchel.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        app = App(Config(data_dir=Path(tmp) / "pb_data"))
        try:
            app.collections.create_sync({"name": "notes", "type": "base", "listRule": "", "viewRule": "",
                                         "createRule": "", "fields": [{"name": "title", "type": "text"}]})
            notes = app.registry.get("notes")
            assert notes is not None
            hook_app = getattr(app, "hook_app", None)
            if hook_app is not None:
                _setup(kind, hook_app)
            elif kind != "no hook":
                return {}
            asgi = build_asgi(app)
            body = orjson.dumps({"title": "hello"})
            await _call(asgi, "POST", "/api/collections/notes/records", body)
            rid = app.db.read_sync(lambda c: c.execute("SELECT id FROM notes LIMIT 1").fetchone()[0])
            view = f"/api/collections/notes/records/{rid}"
            await _rounds(asgi, "GET", view, b"", 200, 1)  # warm up
            return {
                "view": await _rounds(asgi, "GET", view, b"", requests, rounds),
                "create": await _rounds(asgi, "POST", "/api/collections/notes/records", body, requests // 4, rounds),
            }
        finally:
            await app.aclose()
            app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--kinds", default="no hook,async request hook,sync request hook,model hook")
    args = parser.parse_args()
    for kind in args.kinds.split(","):
        result = asyncio.run(_measure(kind, args.requests, args.rounds))
        for name, figures in result.items():
            print(f"{kind:20} {name:7} min {min(figures):7.1f} us  median {statistics.median(figures):7.1f} us")


if __name__ == "__main__":
    main()
