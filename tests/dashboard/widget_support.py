"""What the record-form widget tests (rich text, geoPoint map) share: a live server with a
superuser, and a logged-in page that fails the test on any console error or warning."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.dashboard.dashboard_support import Browser, Page, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel


@contextmanager
def superuser_server(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp(name) / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@contextmanager
def watched_page(browser: Browser, base: str, token: str) -> Iterator[Page]:
    """``page.console_errors`` lists what the console said; a test may take out what it expects."""
    with authed_context(browser, base, token) as page:
        page.set_default_navigation_timeout(30_000)  # the 2-core machine is shared by many test runs
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)  # which one failed
        page.console_errors = errors  # type: ignore[attr-defined]
        yield page
        assert page.js_errors == [], page.js_errors  # type: ignore[attr-defined]
        assert errors == [], errors  # no CSP refusal, no failed request
