"""Every page at a 390x844 phone viewport (no horizontal page scroll, dialogs fit), the
dark theme, the keyboard shortcuts, and axe-core's accessibility check of each page
(no serious or critical violation), in both themes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}
PAGES = ["collections?collection=things", "logs", "sql", "erd", "realtime?collection=things", "settings/application", "settings/mail", "settings/storage",
         "settings/backups", "settings/crons", "settings/rate-limits", "settings/proxy", "settings/logs",
         "settings/superusers", "settings/export", "settings/import"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-phone") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", tok, json={"name": "things", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "a_rather_long_field_name_for_phones", "type": "text"},
        {"name": "done", "type": "bool"}, {"name": "meta", "type": "json"}, {"name": "when", "type": "date"},
        {"name": "place", "type": "geoPoint"}, {"name": "notes", "type": "editor"}]})
    for i in range(3):
        api(server.base, "POST", "/api/collections/things/records", tok, json={
            "title": f"thing {i} " + "with a long title that would overflow a phone " * 2,
            "a_rather_long_field_name_for_phones": "x" * 120, "meta": {"k": "v" * 80}})
    return tok


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: the page is {width[0]} px wide in a {width[1]} px viewport"


def serious_violations(page: Page) -> list[str]:
    page.evaluate(AXE)  # through the debugger protocol: the page's CSP does not apply
    # preload off: axe's CSSOM preload (used only by the experimental css-orientation-lock rule, not
    # run here) re-parses shadow roots' stylesheets into <style> elements, which the page's CSP refuses
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {preload: false, runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
        return r.violations.filter((v) => ["serious", "critical"].includes(v.impact))
            .map((v) => v.id + ": " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
    }""")
    return list(result)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_a_phone_and_passes_axe(browser: Browser, server: LiveServer, token: str, scheme: str) -> None:
    with authed_context(browser, server.base, token, color_scheme=scheme, **PHONE) as page:
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        found: dict[str, list[str]] = {}
        for path in PAGES:
            page.goto(f"/_/#/{path}")
            expect(page.locator("main h1").first).to_be_visible()
            expect(page.get_by_text("Loading", exact=False)).to_have_count(0)
            no_horizontal_scroll(page)
            if violations := serious_violations(page):
                found[path] = violations
        # the record form, as a dialog that fits the screen
        page.goto("/_/#/collections?collection=things")
        page.locator("tbody tr").first.click()
        dialog = page.locator("dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator('[data-rich="notes"][data-ready="true"], [data-map="place"][data-ready="true"]')).to_have_count(2, timeout=30_000)
        box = dialog.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        no_horizontal_scroll(page)
        if violations := serious_violations(page):
            found["record form"] = violations
        page.keyboard.press("Escape")
        # the collection editor (every tab) and the API preview, as panels
        page.locator("#edit-collection").click()
        for tab in ["Fields", "Indexes", "API rules"]:
            page.locator("dialog").get_by_role("tab", name=tab).click()
            no_horizontal_scroll(page)
            if violations := serious_violations(page):
                found[f"collection editor {tab}"] = violations
        page.keyboard.press("Escape")
        page.locator("#api-preview").click()
        expect(page.locator("#api-preview-body")).to_be_visible()
        no_horizontal_scroll(page)
        if violations := serious_violations(page):
            found["api preview"] = violations
        assert found == {}
        assert console_errors == []  # no failed request or logged error on any page
        assert page.js_errors == []  # type: ignore[attr-defined]


def test_login_page_passes_axe_on_a_phone(browser: Browser, server: LiveServer) -> None:
    with authed_context(browser, server.base, **PHONE) as page:
        page.goto("/_/#/login")
        expect(page.get_by_label("Email")).to_be_visible()
        no_horizontal_scroll(page)
        assert serious_violations(page) == []


def test_dark_theme_follows_the_system(browser: Browser, server: LiveServer, token: str) -> None:
    for scheme, dark in [("dark", True), ("light", False)]:
        with authed_context(browser, server.base, token, color_scheme=scheme) as page:
            page.goto("/_/#/collections")
            rgb = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
            channels = [int(c) for c in re.findall(r"\d+", rgb)[:3]]
            assert (sum(channels) < 150) is dark, rgb


def test_keyboard_shortcuts(browser: Browser, server: LiveServer, token: str) -> None:
    with authed_context(browser, server.base, token) as page:
        page.goto("/_/#/collections?collection=things")
        expect(page.locator("#page-info")).to_be_visible()
        page.keyboard.press("/")
        expect(page.get_by_label("Filter")).to_be_focused()
        page.keyboard.type("n")  # typed into the box, not a shortcut
        expect(page.locator("dialog")).to_have_count(0)
        page.get_by_label("Filter").blur()
        page.keyboard.press("n")
        dialog = page.locator("dialog")
        expect(dialog).to_contain_text("New things record")
        dialog.locator('input[name="title"]').fill("made with the keyboard")
        page.keyboard.press("Control+Enter")
        expect(page.locator("dialog")).to_have_count(0)
        expect(page.locator("tbody tr", has_text="made with the keyboard")).to_have_count(1)
        page.keyboard.press("g")
        page.keyboard.press("l")
        expect(page).to_have_url(re.compile(r"#/logs$"))
        page.keyboard.press("g")
        page.keyboard.press("q")
        expect(page).to_have_url(re.compile(r"#/sql$"))
        page.keyboard.press("Shift+?")
        expect(page.locator("#shortcuts-help")).to_contain_text("Go to settings")
        page.keyboard.press("Escape")
        expect(page.locator("dialog")).to_have_count(0)
        assert page.js_errors == []  # type: ignore[attr-defined]
