"""API fuzz against a live ``satchel serve``: random routes (from the router's own table),
methods, headers, query strings and bodies (JSON, garbage, multipart, forms) as a guest, a
user and a superuser. Issue 19: PocketBase answered 20,000 such requests with 0 x 5xx.
Here: 0 status 500 (any 5xx) and no request over 5 s. SATCHEL_FUZZ_REQUESTS raises the count."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator

import httpx
import pytest

from satchel.api.router import routes
from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)
from tests.faults.fuzz_support import (
    API_REQUESTS,
    random_body,
    random_headers,
    random_method,
    random_path,
    random_query,
)

SLOW = 5.0
SEED = int(os.environ.get("SATCHEL_FUZZ_SEED", "19"))


def _templates() -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for r in routes():
        path = getattr(r, "path", "")
        if path:
            out.append((path.replace("{path:path}", "{path}"), tuple(sorted(getattr(r, "methods", None) or ()))))
    return out


def _method(rng: random.Random, template: str, allowed: tuple[str, ...]) -> str:
    method = random_method(rng, allowed)
    # GET /api/realtime is the event stream: it stays open by design
    return "POST" if template == "/api/realtime" and method == "GET" else method


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, list[str], list[str]]]:
    root = tmp_path_factory.mktemp("apifuzz")
    data_dir = root / "pb_data"
    (root / "pb_public").mkdir()
    (root / "pb_public" / "index.html").write_text("<p>index</p>")
    assert satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data_dir}").returncode == 0
    server = start_serve(data_dir)
    try:
        su = superuser_token(server.base)
        auth = {"Authorization": su}
        with httpx.Client(base_url=server.base, headers=auth, timeout=10) as c:
            assert c.patch("/api/settings", json={"batch": {"enabled": True, "maxRequests": 20}}).status_code == 200
            r = c.post("/api/collections", json={
                "name": "posts", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
                "updateRule": "@request.auth.id != ''", "deleteRule": "@request.auth.id != ''",
                "fields": [
                    {"name": "title", "type": "text", "pattern": r"^([a-zA-Z0-9]+\s?)*$"},
                    {"name": "views", "type": "number"},
                    {"name": "file", "type": "file", "maxSelect": 2, "maxSize": 1000, "thumbs": ["10x10"]},
                    {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
                    {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
                    {"name": "meta", "type": "json"},
                ]})
            assert r.status_code == 200, r.text
            user = c.post("/api/collections/users/records", json={
                "email": "u@example.com", "password": "1234567890", "passwordConfirm": "1234567890"})
            assert user.status_code == 200, user.text
            post = c.post("/api/collections/posts/records", data={"title": "hello"},
                          files={"file": ("a.txt", b"hi", "text/plain")})
            assert post.status_code == 200, post.text
            login = c.post("/api/collections/users/auth-with-password",
                           json={"identity": "u@example.com", "password": "1234567890"})
            assert login.status_code == 200, login.text
            ids = [user.json()["id"], post.json()["id"], *post.json()["file"]]
        yield server, [su, login.json()["token"]], ids
    finally:
        assert stop_serve(server) == 0, server.stderr


def test_api_fuzz_no_5xx_no_slow_request(world: tuple[LiveServer, list[str], list[str]]) -> None:
    server, tokens, ids = world
    rng = random.Random(SEED)
    templates = _templates()
    failures: list[str] = []
    slowest = 0.0
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=server.base, timeout=SLOW * 2) as client:
        for i in range(API_REQUESTS):
            template, allowed = rng.choice(templates)
            method = _method(rng, template, allowed)
            url = random_path(rng, template, ids) + random_query(rng)
            headers = random_headers(rng, tokens)
            content_type, body = random_body(rng)
            if content_type and "Content-Type" not in headers:
                headers["Content-Type"] = content_type
            request = client.build_request(method, server.base + url, headers=headers,
                                           content=body if method not in ("GET", "HEAD") else None)
            request.url = httpx.URL(server.base + url)  # as generated: %00 and odd bytes included
            started = time.perf_counter()
            try:
                response = client.send(request)
                status = response.status_code
            except httpx.HTTPError as exc:
                failures.append(f"#{i} {method} {url[:120]}: {type(exc).__name__} {exc}")
                continue
            elapsed = time.perf_counter() - started
            slowest = max(slowest, elapsed)
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 500 or elapsed > SLOW:
                failures.append(f"#{i} {method} {url[:120]} {headers} {body[:80]!r}: {status} in {elapsed:.2f}s "
                                f"{response.text[:200]}")
    print(f"api fuzz: {API_REQUESTS} requests, statuses {dict(sorted(statuses.items()))}, slowest {slowest:.3f}s")
    assert not failures, "\n".join(failures[:20])
    assert "Traceback" not in server.stderr, server.stderr[-3000:]
    assert sum(statuses.values()) == API_REQUESTS


