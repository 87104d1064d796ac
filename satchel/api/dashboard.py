"""The admin dashboard at ``/_/``: the hand-written files of ``satchel/ui/assets``.

A single-page app with hash routes (``/_/#/collections``): any ``/_/<path>`` that
is not one of its files answers PocketBase's 404 ``File not found.``, and ``/_``
redirects (307) to ``/_/`` with Go's small HTML body, as PocketBase 0.40.6 does.
The files are read once per process; every answer carries an ``ETag`` and
``Cache-Control: no-cache`` so a browser revalidates instead of running a stale
script after an upgrade.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from satchel.api.request import endpoint
from satchel.errors import NotFoundError

__all__ = ["dashboard_redirect", "has_dashboard", "serve_dashboard"]

PREFIX = "/_/"
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}
# The dashboard only talks to its own origin and never needs inline script or eval. Two
# exceptions, both for the record form (docs/compatibility.md#the-dashboard): the geoPoint map
# shows OpenStreetMap's tile images, and the rich-text editor shows `style` attributes (a
# coloured span) -- attributes only: <style> elements stay refused, and an attribute can load
# nothing that img-src does not allow.
TILE_SERVER = "https://tile.openstreetmap.org"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-elem 'self'; "
       f"style-src-attr 'unsafe-inline'; img-src 'self' data: blob: {TILE_SERVER}; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def _content_type(name: str) -> str:
    dot = name.rfind(".")
    return CONTENT_TYPES.get(name[dot:].lower() if dot >= 0 else "", "application/octet-stream")


def _walk(folder: Traversable, prefix: str, found: dict[str, Asset]) -> None:
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir():  # vendor/<library>/...: the vendored editor and map files
            _walk(entry, f"{prefix}{entry.name}/", found)
        elif entry.is_file():
            body = entry.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            found[prefix + entry.name] = Asset(body, _content_type(entry.name), etag)


@cache
def assets() -> dict[str, Asset]:
    """Every file under the assets folder by its path there (``app.css``, ``vendor/leaflet/leaflet.js``), read once."""
    found: dict[str, Asset] = {}
    _walk(resources.files("satchel").joinpath("ui", "assets"), "", found)
    return found


def _refused(rel: str) -> bool:
    """A path that tries to leave the folder (``..``, a backslash, a NUL) is refused outright."""
    return any(part in ("..", ".") for part in rel.split("/")) or "\\" in rel or "\x00" in rel


def _answer(request: Request, asset: Asset) -> Response:
    headers = {"cache-control": "no-cache", "etag": asset.etag, "content-security-policy": CSP}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(asset.body, 200, headers, asset.content_type)


@endpoint
async def serve_dashboard(request: Request) -> Response:
    rel = str(request.scope["path"])[len(PREFIX):]
    if _refused(rel):
        raise NotFoundError("File not found.")
    if rel == INDEX:  # as PocketBase: the index has one address
        return RedirectResponse(PREFIX, status_code=301)
    files = assets()
    asset = files.get(rel or INDEX)  # only the files found under the folder: a lookup, never a path join
    if asset is None:
        raise NotFoundError("File not found.")
    return _answer(request, asset)


def has_dashboard() -> bool:
    """Whether the dashboard's index is shipped (``/api/oauth2-redirect`` ends there)."""
    return INDEX in assets()


def _go_html_escape(text: str) -> str:
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        text = text.replace(raw, escaped)
    return text


@endpoint
async def dashboard_redirect(request: Request) -> Response:
    query = request.url.query
    target = PREFIX + ("?" + query if query else "")
    # Go's http.Redirect: 307 with a one-line HTML body naming the target
    body = f'<a href="{_go_html_escape(target)}">Temporary Redirect</a>.\n\n'
    return Response(body, 307, {"location": target}, "text/html; charset=utf-8")
