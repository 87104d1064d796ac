"""Fixtures of the dashboard tests: one Chromium for the whole run (each test opens its own context)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dashboard.dashboard_support import Browser, chromium_browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium_browser() as b:
        yield b
