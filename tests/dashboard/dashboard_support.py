"""Driving Debian's Chromium with Playwright against a live ``satchel serve``."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, serving, superuser_token

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright
except ImportError as exc:  # a missing package fails the run: no skipping
    raise ImportError("the `playwright` package is missing: run `make test` (pip install -e '.[test]')") from exc

__all__ = [
    "AUTH_KEY",
    "CHROMIUM",
    "Browser",
    "Page",
    "api",
    "authed_context",
    "chromium_browser",
    "require_chromium",
    "serving",
    "serving_with_superuser",
]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
AUTH_KEY = "__pb_superuser_auth__"
TILE_URLS = "https://tile.openstreetmap.org/**"
TIMEOUT_MS = 10_000


def require_chromium() -> None:
    assert CHROMIUM.exists() or shutil.which("chromium"), (
        "Chromium is missing: run `make test` (it installs Debian's chromium) or `apt-get install -y chromium`"
    )


@contextmanager
def chromium_browser() -> Iterator[Browser]:
    require_chromium()
    with sync_playwright() as p:
        browser = _launch(p)
        try:
            yield browser
        finally:
            browser.close()


def _launch(p: Playwright) -> Browser:
    path = str(CHROMIUM) if CHROMIUM.exists() else str(shutil.which("chromium"))
    return p.chromium.launch(executable_path=path, args=ARGS)


@contextmanager
def serving_with_superuser(data: Path) -> Iterator[tuple[LiveServer, str]]:
    """``satchel serve`` on a new data directory that has the tests' superuser, and its token."""
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live, superuser_token(live.base)


def new_page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


@contextmanager
def authed_context(browser: Browser, base: str, token: str | None = None, **options: Any) -> Iterator[Page]:
    """A fresh browser context (own localStorage); with ``token``, already logged in."""
    context = browser.new_context(base_url=base, **options)
    context.route(TILE_URLS, _fake_tile)  # the tests have no internet: the geoPoint map gets a local tile
    if token is not None:
        record = api(base, "POST", "/api/collections/_superusers/auth-refresh", token)["record"]
        saved = json.dumps({"token": token, "record": record})
        context.add_init_script(f"localStorage.setItem({json.dumps(AUTH_KEY)}, {json.dumps(saved)});")
    try:
        yield new_page(context)
    finally:
        context.close()


@cache
def tile_png() -> bytes:
    """A 256x256 map tile: pale land with one darker line, so a screenshot shows where tiles are."""
    from PIL import Image, ImageDraw  # a test dependency already

    tile = Image.new("RGB", (256, 256), (232, 238, 226))
    ImageDraw.Draw(tile).line([(0, 200), (256, 120)], fill=(170, 190, 210), width=6)
    buf = io.BytesIO()
    tile.save(buf, "PNG")
    return buf.getvalue()


def _fake_tile(route: Route) -> None:
    route.fulfill(status=200, content_type="image/png", body=tile_png())


def api(base: str, method: str, path: str, token: str, **kwargs: Any) -> Any:
    """One REST call as the superuser; the JSON answer (None for 204)."""
    r = httpx.request(method, base + path, headers={"Authorization": token}, timeout=10, **kwargs)
    assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
    return r.json() if r.content else None
