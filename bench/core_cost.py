"""``python -m bench.core_cost``: the server's CPU per request for rule-checked records, in-process.

The ASGI app is called directly (no sockets, no client library), with the benchmark's
schema and rules (``bench/seed.py``: posts whose listRule/viewRule join
``author.organization`` against ``@request.auth.organization``, comments with
``author = @request.auth.id`` update rules and a createRule on ``@request.body``), as
an authenticated user: a view, a list of 50 (skipTotal), a create and an update.
Prints CPU microseconds of all threads per request, minimum and median over rounds.

With ``--base DIR`` (another source tree, e.g. ``git archive <commit> satchel | tar -x
-C DIR``) each round runs once per tree in separate processes, alternating, so both
see the same machine load: what a before/after comparison needs on a shared box.

    python -m bench.core_cost [--requests 1000] [--rounds 5] [--base DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

POST_RULE = "@request.auth.id != '' && author.organization = @request.auth.organization"
AUTHED = "@request.auth.id != ''"


async def call(asgi: Any, method: str, path: str, body: bytes = b"", token: str = "",
               query: str = "") -> tuple[int, bytes]:
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if token:
        headers.append((b"authorization", token.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8090)}
    sent = False
    status = 0
    chunks: list[bytes] = []

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
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await asgi(scope, receive, send)
    return status, b"".join(chunks)


def _schema(app: Any) -> None:
    orgs = app.collections.create_sync({"name": "organizations", "type": "base", "listRule": AUTHED,
                                        "viewRule": AUTHED, "fields": [{"name": "name", "type": "text"}]})
    users = app.registry.get("users")
    fields = [*users.to_api_dict()["fields"], {"name": "organization", "type": "relation",
                                          "collectionId": orgs.id, "maxSelect": 1}]
    app.collections.update_sync("users", {"fields": fields})
    app.collections.create_sync({"name": "posts", "type": "base", "listRule": POST_RULE, "viewRule": POST_RULE,
                                 "fields": [{"name": "title", "type": "text"},
                                            {"name": "author", "type": "relation", "collectionId": users.id,
                                             "maxSelect": 1}]})
    app.collections.create_sync({
        "name": "comments", "type": "base", "listRule": AUTHED, "viewRule": AUTHED,
        "createRule": f"{AUTHED} && @request.body.author = @request.auth.id",
        "updateRule": "author = @request.auth.id", "deleteRule": "author = @request.auth.id",
        "fields": [{"name": "author", "type": "relation", "collectionId": users.id, "maxSelect": 1},
                   {"name": "message", "type": "text"}]})


async def measure(requests: int, rounds: int) -> dict[str, list[float]]:
    from satchel.api import build_asgi
    from satchel.app import App
    from satchel.config import Config

    with tempfile.TemporaryDirectory() as tmp:
        app = App(Config(data_dir=Path(tmp) / "pb_data"))
        try:
            _schema(app)
            from satchel.core.auth.superusers import upsert_superuser

            upsert_superuser(app.db, app.records, app.registry, "su@example.com", "1234567890")
            asgi = build_asgi(app)

            async def api(method: str, path: str, data: dict[str, Any], auth: str = "") -> dict[str, Any]:
                status, raw = await call(asgi, method, path, orjson.dumps(data), auth)
                assert status == 200, raw
                result: dict[str, Any] = orjson.loads(raw)
                return result

            su = (await api("POST", "/api/collections/_superusers/auth-with-password",
                            {"identity": "su@example.com", "password": "1234567890"}))["token"]
            org = await api("POST", "/api/collections/organizations/records", {"name": "acme"}, su)
            user = await api("POST", "/api/collections/users/records", {
                "email": "bench@example.com", "password": "1234567890", "passwordConfirm": "1234567890",
                "organization": org["id"]}, su)
            for i in range(200):
                await api("POST", "/api/collections/posts/records", {"title": f"post {i}", "author": user["id"]}, su)
            token = (await api("POST", "/api/collections/users/auth-with-password",
                               {"identity": "bench@example.com", "password": "1234567890"}))["token"]
            post_id = app.db.read_sync(lambda c: c.execute("SELECT id FROM posts LIMIT 1").fetchone()[0])
            comment = orjson.dumps({"author": user["id"], "message": "hello"})
            status, raw = await call(asgi, "POST", "/api/collections/comments/records", comment, token)
            assert status == 200, raw
            comment_id = orjson.loads(raw)["id"]
            cases: dict[str, tuple[str, str, bytes, str, int]] = {
                "view": ("GET", f"/api/collections/posts/records/{post_id}", b"", "", requests),
                "list": ("GET", "/api/collections/posts/records", b"", "perPage=50&skipTotal=1", requests // 4),
                "create": ("POST", "/api/collections/comments/records", comment, "", requests // 4),
                "update": ("PATCH", f"/api/collections/comments/records/{comment_id}",
                           orjson.dumps({"message": "changed"}), "", requests // 4),
            }
            out: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(rounds):
                for name, (method, path, body, query, n) in cases.items():
                    start = time.process_time()  # CPU of every thread: less swayed by a busy machine
                    for _ in range(n):
                        status, raw = await call(asgi, method, path, body, token, query)
                        assert status == 200, (name, status, raw[:200])
                    out[name].append((time.process_time() - start) / n * 1e6)
            return out
        finally:
            await app.aclose()
            app.close()


def _run_tree(tree: str | None, requests: int) -> dict[str, list[float]]:
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    # run from an empty directory: ``-m`` puts the working directory first on sys.path,
    # which would shadow ``tree`` with this checkout's satchel
    env["PYTHONPATH"] = os.pathsep.join([tree, str(root)] if tree else [str(root)])
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run([sys.executable, "-m", "bench.core_cost", "--child", "--requests", str(requests)],
                             capture_output=True, text=True, env=env, check=True, cwd=cwd)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    used = result.pop("tree")
    assert used == (tree or str(root)), f"measured {used}, not {tree or root}"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--base", help="another source tree to compare with (alternating processes)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import satchel

        result: dict[str, Any] = dict(asyncio.run(measure(args.requests, 1)))
        result["tree"] = str(Path(satchel.__file__).resolve().parent.parent)
        print(json.dumps(result))
        return
    trees = {"this tree": None, "base": args.base} if args.base else {"this tree": None}
    figures: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            if tree is not None:
                tree = str(Path(tree).resolve())
            for case, values in _run_tree(tree, args.requests).items():
                figures[name].setdefault(case, []).extend(values)
    for case in figures["this tree"]:
        row = [f"{case:7}"]
        for name in trees:
            v = figures[name][case]
            row.append(f"{name}: min {min(v):6.1f} median {statistics.median(v):6.1f} us")
        if args.base:
            ratio = statistics.median(figures["this tree"][case]) / statistics.median(figures["base"][case])
            row.append(f"ratio {ratio:.3f}")
        print("  ".join(row))


if __name__ == "__main__":
    main()
