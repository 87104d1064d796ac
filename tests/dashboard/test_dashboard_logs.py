"""The logs page in real Chromium: the list, the level and filter boxes, the hourly
chart of /api/logs/stats and an entry's detail."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token

MARK = "dashlogmark"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-logs") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    # two guest requests: one that succeeds, one that fails (level ERROR)
    assert httpx.get(server.base + f"/api/health?{MARK}=ok").status_code == 200
    assert httpx.get(server.base + f"/api/collections/{MARK}/records").status_code == 404
    api(server.base, "POST", "/api/collections/_superusers/auth-refresh", tok)  # a superuser's request
    deadline = time.monotonic() + 15  # the log writer flushes in batches
    while time.monotonic() < deadline:
        found = api(server.base, "GET", "/api/logs", tok, params={"filter": f"message ~ '{MARK}' || message ~ 'auth-refresh'"})
        if found["totalItems"] >= 3:
            break
        time.sleep(0.3)
    else:
        raise AssertionError("the three requests were never logged")
    return tok


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with authed_context(browser, server.base, token) as p:
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def test_logs_list_chart_filter_level_and_detail(page: Page, server: LiveServer) -> None:
    page.goto("/_/#/logs")
    expect(page.locator("nav a.active")).to_have_text("Logs")
    expect(page.locator("#logs-chart svg rect.bar").first).to_be_attached()
    expect(page.locator("table.logs tbody tr", has_text=MARK)).to_have_count(2)
    # the superuser's own requests are left out unless asked for
    expect(page.locator("table.logs tbody tr", has_text="/api/collections/_superusers/auth-refresh")).to_have_count(0)

    page.get_by_label("Filter logs").fill(f"message ~ '{MARK}'")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"#/logs\?filter=message"))
    expect(page.locator("#logs-info")).to_have_text("Page 1 of 1 · 2 entries")
    expect(page.locator("#logs-chart figcaption")).to_contain_text("2 entries")

    page.get_by_label("Minimum level").select_option(label="ERROR and above")
    expect(page.locator("#logs-info")).to_have_text("Page 1 of 1 · 1 entry")
    row = page.locator("table.logs tbody tr")
    expect(row).to_contain_text(f"GET /api/collections/{MARK}/records")
    expect(row.locator(".level")).to_have_text("ERROR")
    expect(row.locator(".badge")).to_have_text("404")

    row.click()
    detail = page.locator("#log-detail")
    expect(detail.locator("tr", has_text="data.status")).to_contain_text("404")
    expect(detail.locator("tr", has_text="data.method")).to_contain_text("GET")
    expect(detail.locator("pre.json")).to_contain_text('"level": 8')
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0)

    # a reload keeps the filter and the level (they live in the address)
    page.reload()
    expect(page.locator("#logs-info")).to_have_text("Page 1 of 1 · 1 entry")
    expect(page.get_by_label("Minimum level")).to_have_value("8")


def test_superusers_requests_and_a_bad_filter(page: Page, server: LiveServer) -> None:
    page.goto("/_/#/logs?superusers=1&filter=" + "message%20~%20'auth-refresh'")
    expect(page.locator("table.logs tbody tr", has_text="auth-refresh").first).to_be_visible()
    expect(page.locator('input[name="superusers"]')).to_be_checked()

    page.get_by_label("Filter logs").fill("nosuchfield = 1 &&")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#logs-error")).to_be_visible()
