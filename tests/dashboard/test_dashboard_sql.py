"""The SQL console (#/sql) in real Chromium: a read with columns and NULLs, a write with
its affected rows, an error from SQLite, and Ctrl+Enter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-sql") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    with authed_context(browser, server.base, superuser_token(server.base)) as p:
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def test_sql_console_read_write_and_errors(page: Page, server: LiveServer) -> None:
    token = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", token, json={"name": "items", "type": "base", "fields": [{"name": "label", "type": "text"}]})
    page.goto("/_/#/sql")
    expect(page.locator("nav a.active")).to_have_text("SQL")
    query = page.get_by_label("SQL query")
    query.fill("INSERT INTO items (id, label) VALUES ('aaaaaaaaaaaaaaa', 'one'), ('bbbbbbbbbbbbbbb', 'two')")
    page.locator("#run-sql").click()
    expect(page.locator("#sql-summary")).to_contain_text("2 rows affected")

    query.fill("SELECT id, label, NULL AS empty FROM items ORDER BY id")
    query.press("Control+Enter")
    expect(page.locator("#sql-summary")).to_contain_text("2 rows")
    expect(page.locator("table.sql thead th")).to_have_text(["id", "label", "empty"])
    expect(page.locator("table.sql tbody tr").nth(1)).to_contain_text("two")
    expect(page.locator("table.sql tbody tr").first.locator("td").nth(2)).to_have_text("NULL")
    # the record written in SQL is seen by the API
    assert api(server.base, "GET", "/api/collections/items/records/bbbbbbbbbbbbbbb", token)["label"] == "two"

    query.fill("SELECT * FROM no_such_table")
    page.locator("#run-sql").click()
    expect(page.locator("#sql-error")).to_contain_text("no such table: no_such_table")
    page.reload()  # the last query stays for the tab's session
    expect(page.get_by_label("SQL query")).to_have_value("SELECT * FROM no_such_table")
    page.get_by_label("SQL query").fill("")
    page.locator("#run-sql").click()
    expect(page.locator('[data-error-for="query"]')).to_have_text("Cannot be blank.")
