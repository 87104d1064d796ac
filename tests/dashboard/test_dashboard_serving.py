"""Serving the dashboard's files at ``/_/`` (in process; the browser tests are beside this)."""

from __future__ import annotations

import asyncio
import re
from importlib import resources

import orjson
import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App

ASSETS = resources.files("satchel").joinpath("ui", "assets")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/_/", "text/html; charset=utf-8"),
        ("/_/main.js", "text/javascript; charset=utf-8"),
        ("/_/app.css", "text/css; charset=utf-8"),
        ("/_/favicon.svg", "image/svg+xml; charset=utf-8"),
        ("/_/vendor/tinymce/tinymce.min.js", "text/javascript; charset=utf-8"),
        ("/_/vendor/tinymce/skins/ui/oxide/skin.min.css", "text/css; charset=utf-8"),
        ("/_/vendor/leaflet/images/marker-icon.png", "image/png"),
    ],
)
def test_files(client: TestClient, path: str, content_type: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == content_type
    assert r.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"  # the usual security headers still apply
    name = path.removeprefix("/_/") or "index.html"
    assert r.content == ASSETS.joinpath(name).read_bytes()


@pytest.mark.parametrize("path", ["/_/collections/deep/link", "/_/missing.js", "/_/x", "/_/vendor", "/_/vendor/tinymce", "/_/vendor//tinymce/tinymce.min.js"])
def test_other_paths_are_404(client: TestClient, path: str) -> None:
    # PocketBase 0.40.6: the dashboard routes by hash, any other path is "File not found." (files_api.json)
    r = client.get(path)
    assert r.status_code == 404
    assert r.json() == {"data": {}, "message": "File not found.", "status": 404}


def test_the_csp_opens_only_what_the_editor_and_the_map_need(client: TestClient) -> None:
    directives = dict(d.strip().split(" ", 1) for d in client.get("/_/").headers["content-security-policy"].split(";"))
    assert directives["script-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert directives["style-src"] == "'self'" and directives["style-src-elem"] == "'self'"  # no <style> elements
    assert directives["style-src-attr"] == "'unsafe-inline'"  # the editor's coloured spans
    assert directives["img-src"] == "'self' data: blob: https://tile.openstreetmap.org"  # the map's tiles, nothing else


def test_index_loads_the_app(client: TestClient) -> None:
    html = client.get("/_/").text
    assert '<script type="module" src="./main.js"></script>' in html
    assert '<link rel="stylesheet" href="./app.css">' in html


def test_every_imported_module_is_shipped() -> None:
    names = {entry.name for entry in ASSETS.iterdir()}
    for name in (n for n in names if n.endswith(".js")):
        for imported in re.findall(r'from "\./([\w-]+\.js)"', ASSETS.joinpath(name).read_text()):
            assert imported in names, f"{name} imports {imported}, which is not in satchel/ui/assets"


@pytest.mark.parametrize(("path", "status", "location"),
                         [("/_", 307, "/_/"), ("/_?a=1", 307, "/_/?a=1"), ("/_/index.html", 301, "/_/")])
def test_bare_prefix_redirects(client: TestClient, path: str, status: int, location: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == status
    assert r.headers["location"] == location


def test_etag_revalidation(client: TestClient) -> None:
    first = client.get("/_/main.js")
    again = client.get("/_/main.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.head("/_/app.css").status_code == 200


def raw_get(app: App, path: str) -> tuple[int, bytes]:
    """A GET with exactly this (decoded) path: HTTP clients would normalise the dot segments."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1:8090")], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8090)}
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    asyncio.run(build_asgi(app)(scope, receive, send))
    body = b"".join(bytes(m.get("body", b"")) for m in sent if m["type"] == "http.response.body")  # type: ignore[arg-type]
    return int(sent[0]["status"]), body  # type: ignore[call-overload]


@pytest.mark.parametrize("path", ["/_/../pyproject.toml", "/_/../../etc/passwd", "/_/./main.js", "/_/..\\app.py",
                                  "/_/sub/../main.js", "/_/main.js\x00"])
def test_traversal_is_refused(app: App, path: str) -> None:
    status, body = raw_get(app, path)
    assert status == 404
    assert orjson.loads(body)["message"] == "File not found."


def test_raw_paths_are_served(app: App) -> None:
    assert raw_get(app, "/_/main.js") == (200, ASSETS.joinpath("main.js").read_bytes())


def test_other_methods_are_not_found(client: TestClient) -> None:
    assert client.post("/_/").status_code == 404
