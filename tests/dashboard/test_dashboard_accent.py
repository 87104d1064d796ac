"""The accent colour of Settings > Application (``meta.accentColor``), in real Chromium: picked,
previewed, refused when too light, saved, and applied across the dashboard through CSSOM under
the strict CSP, in both themes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import AUTH_KEY, Browser, api, authed_context, serving_with_superuser
from tests.e2e.serve_support import LiveServer


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    with serving_with_superuser(tmp_path_factory.mktemp("dashboard-accent") / "pb_data") as served:
        yield served


def _button_colour(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.querySelector('button.btn')).backgroundColor"))


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    return problems


def test_accent_is_picked_previewed_saved_and_applied(browser: Browser, live: tuple[LiveServer, str]) -> None:
    server, token = live
    api(server.base, "PATCH", "/api/settings", token, json={"meta": {"accentColor": "#1055c9"}})
    with authed_context(browser, server.base, token) as page:
        console = _watch_console(page)
        page.goto("/_/#/settings/application")
        expect(page.locator("#accent-value")).to_have_text("#1055c9")
        assert _button_colour(page) == "rgb(16, 85, 201)"  # the settings' default, PocketBase's blue
        expect(page.locator('.swatch[data-color="#1055c9"]')).to_have_attribute("aria-pressed", "true")

        page.locator('.swatch[data-color="#a3142a"]').click()  # previewed at once
        assert _button_colour(page) == "rgb(163, 20, 42)"
        expect(page.locator('.swatch[data-color="#a3142a"]')).to_have_attribute("aria-pressed", "true")

        page.locator("#accent-custom").fill("#ffee88")  # (input and change) too light for white text: refused
        expect(page.locator("#accent-warning")).to_contain_text("too light")
        assert page.locator('input[name="meta.accentColor"]').input_value() == "#a3142a"
        assert _button_colour(page) == "rgb(163, 20, 42)"

        page.locator("#accent-custom").fill("#5b2a86")  # a dark custom colour is taken
        expect(page.locator("#accent-warning")).to_have_text("")
        expect(page.locator("#accent-value")).to_have_text("#5b2a86")
        page.locator("#save-settings").click()
        expect(page.locator("#settings-saved")).to_be_visible()
        assert api(server.base, "GET", "/api/settings", token)["meta"]["accentColor"] == "#5b2a86"

        page.locator('.swatch[data-color="#096d5c"]').click()  # an unsaved preview…
        assert _button_colour(page) == "rgb(9, 109, 92)"
        page.goto("/_/#/collections")  # …is undone when leaving the page
        expect(page.locator("#new-collection")).to_be_visible()
        assert _button_colour(page) == "rgb(91, 42, 134)"
        assert page.js_errors == []  # type: ignore[attr-defined]
        assert not [m for m in console if "Content Security Policy" in m], console


def test_accent_reaches_a_fresh_browser_and_the_dark_theme(browser: Browser, live: tuple[LiveServer, str]) -> None:
    server, token = live
    api(server.base, "PATCH", "/api/settings", token, json={"meta": {"accentColor": "#a3142a"}})
    with authed_context(browser, server.base, token) as page:  # nothing remembered yet: asked from the server
        page.goto("/_/#/collections")
        expect(page.locator("#new-collection")).to_be_visible()
        page.wait_for_function("getComputedStyle(document.querySelector('button.btn')).backgroundColor === 'rgb(163, 20, 42)'")
        assert page.locator('meta[name="theme-color"]').get_attribute("content") == "#a3142a"
        # set on <html> through CSSOM: a style property, and no style attribute in the markup served
        assert page.evaluate("document.documentElement.style.getPropertyValue('--accent-base')") == "#a3142a"

        state = page.context.storage_state()

    # remembered in this browser for the pages before login (the login form has no settings to ask)
    for origin in state["origins"]:
        origin["localStorage"] = [item for item in origin["localStorage"] if item["name"] != AUTH_KEY]
    with authed_context(browser, server.base, storage_state=state) as page:
        page.goto("/_/#/login")
        expect(page.locator("form button.btn")).to_be_visible()
        assert _button_colour(page) == "rgb(163, 20, 42)"

    with authed_context(browser, server.base, token, color_scheme="dark") as page:
        page.goto("/_/#/collections")
        expect(page.locator("#new-collection")).to_be_visible()
        page.wait_for_function("document.documentElement.style.getPropertyValue('--accent-base') === '#a3142a'")
        # lightened for the dark page (dark text on it), still a red
        colour = str(page.evaluate("getComputedStyle(document.querySelector('button.btn')).backgroundColor"))
        scale = 255 if colour.startswith("color(srgb") else 1  # color-mix() computes to color(srgb r g b) in 0..1
        r, g, b = (float(v) * scale for v in re.findall(r"[0-9.]+", colour)[:3])
        assert r > 180 and r > g + 40 and r > b + 30, (r, g, b)
        assert page.js_errors == []  # type: ignore[attr-defined]
