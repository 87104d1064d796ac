"""``python -m bench.hooks_cost``: what the hook machinery costs a request, in-process.

The ASGI app is called directly (no sockets, no client library) so the figures are the
server's own work: a public view, create, update, delete and list (10 of a page) on a
small collection, in rounds of ``--requests`` sequential calls (a quarter as many
writes), under four setups: no user hook, a coroutine request hook (on each of the five
request events) that only calls ``e.next()``, a plain-function one (it runs on a worker
thread), and a model hook (``on_record_create``).  Prints CPU
microseconds (all threads) per request, minimum and median over rounds, and the median
of the per-round ratios to the no-hook App (the setups alternate within a round).

Another source tree (``git archive <commit> satchel | tar -x -C DIR``) is measured by
running this from an empty directory with ``PYTHONPATH=DIR:<this checkout>``.

With ``--bytecodes`` it counts the Python bytecodes each request runs (every thread)
and the objects it leaves to the cycle collector instead: figures a busy machine cannot
move (CPU time on a shared 2-core box varies by 2x between rounds).

    python -m bench.hooks_cost [--requests 400] [--rounds 15] [--kinds "no hook,sync request hook"]
        [--cases view,update]
    python -m bench.hooks_cost --bytecodes --requests 60 [--uvloop]
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
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
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
CASES = ("view", "create", "update", "delete", "list")
REQUEST_HOOKS = ("on_record_view_request", "on_record_create_request", "on_record_update_request",
                 "on_record_delete_request", "on_records_list_request")
# one request of a case: (method, path, body); delete takes a fresh record each time
Request = tuple[str, str, bytes]


def _setup(kind: str, hook_app: Any) -> None:
    if kind in ("async request hook", "sync request hook"):
        async def nothing(e: Any) -> None:
            await e.next()

        def plain(e: Any) -> None:
            e.next()

        for name in REQUEST_HOOKS:
            getattr(hook_app, name)(nothing if kind == "async request hook" else plain)
    elif kind == "model hook":
        def model(e: Any) -> None:
            e.next()
        hook_app.on_record_create(model)


class _Cases:
    """The requests of each case; a delete's records are made (unmeasured) before a run."""

    def __init__(self, app: Any, asgi: Any, rid: str, body: bytes) -> None:
        self.app, self.asgi, self.rid, self.body = app, asgi, rid, body

    async def prepare(self, case: str, n: int) -> list[Request]:
        url = "/api/collections/notes/records"
        if case == "view":
            return [("GET", f"{url}/{self.rid}", b"")] * n
        if case == "create":
            return [("POST", url, self.body)] * n
        if case == "update":
            return [("PATCH", f"{url}/{self.rid}", b'{"title":"changed"}')] * n
        if case == "list":
            return [("GET", f"{url}?perPage=10", b"")] * n
        ids = [_new_id() for _ in range(n)]
        rows = [{"id": rid, "title": "doomed"} for rid in ids]
        self.app.db.write_sync(lambda tx: [tx.execute(
            "INSERT INTO notes (id, title) VALUES (:id, :title)", r) for r in rows])
        return [("DELETE", f"{url}/{rid}", b"") for rid in ids]


_serial = iter(range(10**9))


def _new_id() -> str:
    return f"d{next(_serial):014d}"


async def _app(kind: str, tmp: Path) -> tuple[Any, Any, _Cases]:
    """An App in ``tmp`` with a ``notes`` collection and the hooks of ``kind``; its ASGI app
    and the requests of each case."""
    from satchel.api import build_asgi
    from satchel.app import App
    from satchel.config import Config

    app = App(Config(data_dir=tmp / "pb_data"))
    app.collections.create_sync({"name": "notes", "type": "base", "listRule": "", "viewRule": "",
                                 "createRule": "", "updateRule": "", "deleteRule": "",
                                 "fields": [{"name": "title", "type": "text"}]})
    _setup(kind, app.hook_app)
    asgi = build_asgi(app)
    body = orjson.dumps({"title": "hello"})
    await _call(asgi, "POST", "/api/collections/notes/records", body)
    row = app.db.read_sync(lambda c: c.execute("SELECT id FROM notes LIMIT 1").fetchone())
    assert row is not None
    rid = row[0]
    return app, asgi, _Cases(app, asgi, rid, body)


async def _time(asgi: Any, requests: list[Request]) -> float:
    start = time.process_time()  # CPU of every thread: less swayed by a busy machine than wall time
    for method, path, body in requests:
        status = await _call(asgi, method, path, body)
        assert status in (200, 204), status
    return (time.process_time() - start) / len(requests) * 1e6


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


async def count_bytecodes(
    kinds: list[str], requests: int, cases_to_run: tuple[str, ...] = CASES
) -> dict[str, dict[str, tuple[float, float]]]:
    """Bytecodes and objects left to the cycle collector, per request, ``out[case][kind]``."""
    out: dict[str, dict[str, tuple[float, float]]] = {case: {} for case in cases_to_run}
    with tempfile.TemporaryDirectory() as tmp:
        for i, kind in enumerate(kinds):
            with _OpcodeCounter() as counter:
                app, asgi, cases = await _app(kind, Path(tmp) / str(i))
                try:
                    for case, per_kind in out.items():
                        await _time(asgi, await cases.prepare(case, 20))  # warm up (caches, rules, threads)
                        await asyncio.sleep(0.05)
                        run = await cases.prepare(case, requests)
                        app.logs.writer.flush()  # the request logs of the runs before: not counted
                        gc.collect()
                        collected = sum(s["collected"] for s in gc.get_stats())
                        counter.count, counter.counting = 0, True
                        await _time(asgi, run)
                        await asyncio.sleep(0.05)  # work the requests left to other threads
                        app.logs.writer.flush()  # this run's request logs, written now (the writer's
                        counter.counting = False  # timer would put them in whichever run it met)
                        gc.collect()
                        garbage = sum(s["collected"] for s in gc.get_stats()) - collected
                        per_kind[kind] = (counter.count / requests, garbage / requests)
                finally:
                    await app.aclose()
                    app.close()
    return out


async def _measure(
    kinds: list[str], requests: int, rounds: int, cases_to_run: tuple[str, ...] = CASES
) -> dict[str, dict[str, list[float]]]:
    """CPU microseconds per request, ``out[case][kind]`` per round.  Every kind has its own
    App in this process and the kinds alternate within each round, so a change of the
    machine's load touches them alike (the paired ratios are what to read)."""
    out: dict[str, dict[str, list[float]]] = {case: {} for case in cases_to_run}
    with tempfile.TemporaryDirectory() as tmp:
        apps = {kind: await _app(kind, Path(tmp) / str(i)) for i, kind in enumerate(kinds)}
        try:
            for _, asgi, cases in apps.values():  # warm up
                for case in out:
                    await _time(asgi, await cases.prepare(case, 50))
            for _ in range(rounds):
                for case, per_kind in out.items():
                    n = requests if case in ("view", "list") else max(1, requests // 4)
                    for kind, (_, asgi, cases) in apps.items():
                        run = await cases.prepare(case, n)
                        per_kind.setdefault(kind, []).append(await _time(asgi, run))
        finally:
            for app, _, _ in apps.values():
                await app.aclose()
                app.close()
    return out


def _uvloop() -> Any:
    import uvloop

    return uvloop.new_event_loop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--uvloop", action="store_true",
                        help="on uvloop, as `satchel serve` (its loop's own work is C: not counted)")
    parser.add_argument("--bytecodes", action="store_true",
                        help="count Python bytecodes per request instead of timing (load-proof; slow)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    cases = tuple(args.cases.split(","))
    runner = asyncio.Runner(loop_factory=_uvloop() if args.uvloop else None)
    if args.bytecodes:
        with runner:
            counted = runner.run(count_bytecodes(kinds, args.requests, cases))
        for case, counts in counted.items():
            base_count = counts["no hook"][0] if "no hook" in counts else None
            for kind, (count, garbage) in counts.items():
                row = f"{case:7} {kind:20} {count:8.0f} bytecodes  {garbage:5.1f} objects to the GC"
                if base_count and kind != "no hook":
                    row += f"  vs no hook {count / base_count:.3f}"
                print(row)
        return
    with runner:
        result = runner.run(_measure(kinds, args.requests, args.rounds, cases))
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
