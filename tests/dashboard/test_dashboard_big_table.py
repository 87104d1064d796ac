"""A records table of 100,000 rows in real Chromium: it pages, sorts and filters while
the browser asks for one page (40 records) at a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Request, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token

ROWS = 100_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-big") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", tok, json={"name": "big", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "n", "type": "number"}]})
    # one SQL statement writes the 100,000 rows (the API would take minutes)
    api(server.base, "POST", "/api/sql", tok, json={"query": (
        f"INSERT INTO big (id, title, n) WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {ROWS}) "
        "SELECT printf('r%014d', i), 'row ' || i, i FROM s")})
    return tok


def test_a_100k_table_loads_one_page_at_a_time(browser: Browser, server: LiveServer, token: str) -> None:
    with authed_context(browser, server.base, token) as page:
        asked: list[Request] = []
        page.on("request", lambda r: asked.append(r) if "/records" in r.url else None)
        page.goto("/_/#/collections?collection=big")
        expect(page.locator("#page-info")).to_have_text(f"Page 1 of {ROWS // 40} · {ROWS} records")
        expect(page.locator("tbody tr")).to_have_count(40)
        page.locator("#next-page").click()
        expect(page.locator("#page-info")).to_contain_text("Page 2 of")
        page.locator('button[data-sort="n"]').click()
        page.locator('button[data-sort="n"]').click()  # descending
        expect(page.locator("tbody tr").first).to_contain_text(f"row {ROWS}")
        page.get_by_label("Filter").fill("row 99999")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#page-info")).to_contain_text("1 record")
        lists = [r.url for r in asked if "/api/collections/big/records" in r.url]
        assert lists and all("perPage=40" in u for u in lists), lists
        assert page.js_errors == []  # type: ignore[attr-defined]
