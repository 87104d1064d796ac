"""Fixtures of the dashboard tests: one Chromium per test module.

Not per session: Playwright's sync API keeps an event loop running in the main thread while a
browser is open, so a later test calling ``asyncio.run`` would fail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dashboard.dashboard_support import Browser, chromium_browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium_browser() as b:
        yield b
