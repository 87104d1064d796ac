"""``pb_public`` static files with PocketBase's redirects and SPA fallback (spec 13 §2)."""

from __future__ import annotations

import posixpath
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from satchel.api.request import endpoint, get_app
from satchel.errors import NotFoundError

__all__ = ["serve_public"]


def _clean(path: str) -> str:
    cleaned = posixpath.normpath("/" + path.lstrip("/"))
    return "/" if cleaned in (".", "//") else cleaned


def _resolve(root: Path, rel: str) -> Path | None:
    """The file for ``rel`` under ``root``; None when missing or outside the root, and for
    names the OS refuses (a NUL byte, ENAMETOOLONG), which PocketBase treats as missing."""
    try:
        candidate = (root / rel.lstrip("/")).resolve()
        candidate.relative_to(root)
        return candidate if candidate.exists() else None
    except (ValueError, OSError):
        return None


def _file(path: Path) -> Response:
    response = FileResponse(path)
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("text/") and "charset" not in content_type:
        response.headers["content-type"] = content_type + "; charset=utf-8"
    return response


@endpoint
async def serve_public(request: Request) -> Response:
    app = get_app(request)
    raw = request.url.path
    root = app.config.resolved_public_dir.resolve()
    fallback = app.config.index_fallback
    if not root.is_dir():
        raise NotFoundError("File not found.")
    clean = _clean(raw)
    if ".." in raw.split("/"):
        return _fallback(root, fallback)
    if clean.endswith("/index.html"):
        return RedirectResponse(clean[: -len("index.html")] or "/", status_code=301)
    target = _resolve(root, clean)
    if target is not None and target.is_file():
        if raw.endswith("/") and raw != "/":
            return RedirectResponse(clean, status_code=301)
        return _file(target)
    if target is not None and target.is_dir():
        if not raw.endswith("/"):
            return RedirectResponse(clean + "/", status_code=301)
        index = target / "index.html"
        if index.is_file():
            return _file(index)
    return _fallback(root, fallback)


def _fallback(root: Path, enabled: bool) -> Response:
    index = root / "index.html"
    if enabled and index.is_file():
        return _file(index)
    raise NotFoundError("File not found.")
