"""``python -m bench.hooks_cost``: what the hook machinery costs a request, in-process.

The ASGI app is called directly (no sockets, no client library) so the figures are the
server's own work: a public view and a create on a small collection, in rounds of
``--requests`` sequential calls (a quarter as many creates), under four setups: no user
hook, a coroutine request hook that only calls ``e.next()``, a plain-function one (it
runs on a worker thread), and a model hook (``on_record_create``).  Prints CPU
microseconds (all threads) per request, minimum and median over rounds, and the median
of the per-round ratios to the no-hook App (the setups alternate within a round).

Another source tree (``git archive <commit> satchel | tar -x -C DIR``) is measured by
running this from an empty directory with ``PYTHONPATH=DIR:<this checkout>``.

With ``--bytecodes`` it counts the Python bytecodes each request runs (every thread)
and the objects it leaves to the cycle collector instead: figures a busy machine cannot
move (CPU time on a shared 2-core box varies by 2x between rounds).

    python -m bench.hooks_cost [--requests 400] [--rounds 15] [--kinds "no hook,sync request hook"]
    python -m bench.hooks_cost --bytecodes --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import threading
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


KINDS = ("no hook", "async request hook", "sync request hook", "model hook")


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


async def _app(kind: str, tmp: Path) -> tuple[Any, Any, dict[str, tuple[str, str, bytes]]]:
    """An App in ``tmp`` with a ``notes`` collection and the hooks of ``kind``; its ASGI app
    and the cases (method, path, body) to time."""
    from satchel.api import build_asgi
    from satchel.app import App
    from satchel.config import Config

    app = App(Config(data_dir=tmp / "pb_data"))
    app.collections.create_sync({"name": "notes", "type": "base", "listRule": "", "viewRule": "",
                                 "createRule": "", "fields": [{"name": "title", "type": "text"}]})
    _setup(kind, app.hook_app)
    asgi = build_asgi(app)
    body = orjson.dumps({"title": "hello"})
    await _call(asgi, "POST", "/api/collections/notes/records", body)
    row = app.db.read_sync(lambda c: c.execute("SELECT id FROM notes LIMIT 1").fetchone())
    assert row is not None
    rid = row[0]
    cases = {"view": ("GET", f"/api/collections/notes/records/{rid}", b""),
             "create": ("POST", "/api/collections/notes/records", body)}
    return app, asgi, cases


async def _time(asgi: Any, method: str, path: str, body: bytes, requests: int) -> float:
    start = time.process_time()  # CPU of every thread: less swayed by a busy machine than wall time
    for _ in range(requests):
        status = await _call(asgi, method, path, body)
        assert status == 200, status
    return (time.process_time() - start) / requests * 1e6


class _OpcodeCounter:
    """Python bytecodes executed, on every thread (``sys.settrace`` with opcode events):
    a figure the machine's load cannot move, for the hook machinery's own work (which is
    all Python; the SQL and JSON work it leaves alone is the same with or without it).
    Installed before the App starts its threads (the writer, the hook pool), so they are
    traced too; it counts only while ``counting`` is on."""

    def __init__(self) -> None:
        self.count = 0
        self.counting = False

    def _local(self, frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode" and self.counting:
            self.count += 1
        return self._local

    def _global(self, frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        return self._local

    def __enter__(self) -> _OpcodeCounter:
        threading.settrace(self._global)
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]


async def _count(kinds: list[str], requests: int) -> dict[str, dict[str, tuple[float, float]]]:
    """Bytecodes and objects left to the cycle collector, per request, ``out[case][kind]``."""
    out: dict[str, dict[str, tuple[float, float]]] = {"view": {}, "create": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for i, kind in enumerate(kinds):
            with _OpcodeCounter() as counter:
                app, asgi, cases = await _app(kind, Path(tmp) / str(i))
                try:
                    for case, per_kind in out.items():
                        await _time(asgi, *cases[case], 20)  # warm up (caches, compiled rules, threads)
                        await asyncio.sleep(0.05)
                        gc.collect()
                        collected = sum(s["collected"] for s in gc.get_stats())
                        counter.count, counter.counting = 0, True
                        await _time(asgi, *cases[case], requests)
                        await asyncio.sleep(0.05)  # the request log's flush of these requests
                        counter.counting = False
                        gc.collect()
                        garbage = sum(s["collected"] for s in gc.get_stats()) - collected
                        per_kind[kind] = (counter.count / requests, garbage / requests)
                finally:
                    await app.aclose()
                    app.close()
    return out


async def _measure(kinds: list[str], requests: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """CPU microseconds per request, ``out[case][kind]`` per round.  Every kind has its own
    App in this process and the kinds alternate within each round, so a change of the
    machine's load touches them alike (the paired ratios are what to read)."""
    out: dict[str, dict[str, list[float]]] = {"view": {}, "create": {}}
    with tempfile.TemporaryDirectory() as tmp:
        apps = {kind: await _app(kind, Path(tmp) / str(i)) for i, kind in enumerate(kinds)}
        try:
            for _, asgi, cases in apps.values():  # warm up
                for method, path, body in cases.values():
                    await _time(asgi, method, path, body, 50)
            for _ in range(rounds):
                for case, per_kind in out.items():
                    n = requests if case == "view" else max(1, requests // 4)
                    for kind, (_, asgi, cases) in apps.items():
                        per_kind.setdefault(kind, []).append(await _time(asgi, *cases[case], n))
        finally:
            for app, _, _ in apps.values():
                await app.aclose()
                app.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--bytecodes", action="store_true",
                        help="count Python bytecodes per request instead of timing (load-proof; slow)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if args.bytecodes:
        counted = asyncio.run(_count(kinds, args.requests))
        for case, counts in counted.items():
            base_count = counts["no hook"][0] if "no hook" in counts else None
            for kind, (count, garbage) in counts.items():
                row = f"{case:7} {kind:20} {count:8.0f} bytecodes  {garbage:5.1f} objects to the GC"
                if base_count and kind != "no hook":
                    row += f"  vs no hook {count / base_count:.3f}"
                print(row)
        return
    result = asyncio.run(_measure(kinds, args.requests, args.rounds))
    for case, per_kind in result.items():
        base = per_kind.get("no hook")
        for kind, figures in per_kind.items():
            row = f"{case:7} {kind:20} min {min(figures):7.1f} us  median {statistics.median(figures):7.1f} us"
            if base is not None and kind != "no hook":
                ratios = [f / b for f, b in zip(figures, base, strict=True)]
                row += f"  vs no hook: median of paired ratios {statistics.median(ratios):.3f}"
            print(row)


if __name__ == "__main__":
    main()
