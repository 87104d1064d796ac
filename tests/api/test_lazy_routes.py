"""The route table names its handlers (``"module.function"``) and imports each handler
module on the route's first request (start-up, docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi, hook_routes, router
from satchel.api.router import HOOKED, Endpoint, import_all, routes
from satchel.app import App


def _endpoints() -> list[Endpoint]:
    return [r.app for r in routes() if isinstance(getattr(r, "app", None), Endpoint)]


def test_every_target_names_a_handler() -> None:
    endpoints = _endpoints()
    assert len(endpoints) == len(routes())
    for e in endpoints:
        handler = e.resolve()
        assert callable(handler), e.target
        assert e.resolve() is handler  # imported and wrapped once


def test_the_hooked_targets_are_the_hook_tables() -> None:
    assert HOOKED == hook_routes.HOOKED_TARGETS
    targets = {e.target for e in _endpoints()}
    assert targets >= HOOKED


def test_a_hooked_target_runs_in_its_hook(app: App, su: TestClient) -> None:
    seen: list[str] = []

    async def handler(e: object) -> object:
        seen.append(type(e).__name__)
        return await e.next()  # type: ignore[attr-defined]

    app.hooks.on_settings_update_request.bind(handler)
    r = su.patch("/api/settings", json={"meta": {"appName": "lazy"}})
    assert r.status_code == 200, r.text
    assert seen == ["SettingsUpdateRequestEvent"]


def test_threads_resolving_at_once_get_one_handler() -> None:
    e = Endpoint("settings.patch_settings")
    got: list[Callable[..., object]] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        got.append(e.resolve())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(h is got[0] for h in got)


def test_a_handler_that_cannot_be_imported_is_a_logged_500(app: App, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(router, "routes", lambda: [router.route("/api/health", "no_such_module.handler", ["GET"])])
    with TestClient(build_asgi(app), raise_server_exceptions=False) as c:
        r = c.get("/api/health")
        again = c.get("/api/health")
    assert r.status_code == again.status_code == 500
    assert r.json() == {"status": 500, "message": "Something went wrong while processing your request.", "data": {}}
    assert "no_such_module" in caplog.text


def test_import_all_imports_every_handler_module() -> None:
    import_all()
    for e in _endpoints():
        assert f"satchel.api.{e.target.rsplit('.', 1)[0]}" in sys.modules
    assert "satchel.api.realtime" in sys.modules


SCRIPT = r"""
import asyncio, json, sys
from satchel.cli import make_config
import satchel.server
from satchel.app import App
from satchel.api import build_asgi
import pytest
from starlette.testclient import TestClient

app = App(make_config(data_dir=sys.argv[1]))
app.migrations.up()
with TestClient(build_asgi(app)) as c:
    status = c.get("/api/health").status_code
app.close()
print(json.dumps({"status": status, "api": sorted(m for m in sys.modules if m.startswith("satchel.api."))}))
"""


def test_serving_a_health_check_imports_no_other_handler(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "pb_data")],
                         capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    handlers = {f"satchel.api.{e.target.rsplit('.', 1)[0]}" for e in _endpoints()} - {"satchel.api.health"}
    assert handlers & set(result["api"]) == set()
    assert "satchel.api.health" in result["api"]


def test_a_route_compiles_its_path_on_first_match() -> None:
    from starlette.routing import Match, compile_path

    table = routes()
    view = next(r for r in table if r.path == "/api/collections/{collection}/records/{id}" and "GET" in (r.methods or ()))
    assert "path_regex" not in vars(view)
    scope = {"type": "http", "method": "GET", "path": "/api/collections/posts/records/abc", "root_path": ""}
    match, child = view.matches(scope)
    assert match is Match.FULL and child["path_params"] == {"collection": "posts", "id": "abc"}
    assert "path_regex" in vars(view)
    for r in table:  # what Starlette's own Route would have compiled
        regex, fmt, convertors = compile_path(r.path)
        assert (r.path_regex.pattern, r.path_format, set(r.param_convertors)) == (regex.pattern, fmt, set(convertors))


def test_a_lazy_route_once_compiled_holds_what_starlettes_route_holds() -> None:
    """``LazyPathRoute`` sets Route's attributes itself (satchel relies on Starlette's
    internals here, bound in pyproject.toml): the same set, the same values."""
    from starlette.routing import Route

    from satchel.api.lazy_route import LazyPathRoute

    class Endpoint:
        async def __call__(self, scope: object, receive: object, send: object) -> None:
            pass

    asgi = Endpoint()
    real = Route("/api/x/{id}", asgi, methods=["GET", "post"])
    lazy = LazyPathRoute("/api/x/{id}", asgi, methods=["GET", "post"])
    _ = lazy.path_regex  # compiled on first use
    assert set(vars(lazy)) == set(vars(real))
    for name, value in vars(real).items():
        mine = vars(lazy)[name]
        if name == "path_regex":
            assert mine.pattern == value.pattern
        elif name == "param_convertors":
            assert mine.keys() == value.keys()
        else:
            assert mine == value, name
