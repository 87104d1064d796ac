"""Restoring a backup from the dashboard, in real Chromium against a live ``satchel
serve``: the server restarts (same process), the page waits for it and the data is
the backup's again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-restore") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    with authed_context(browser, server.base, superuser_token(server.base)) as p:
        p.on("dialog", lambda d: d.accept())
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def test_restore_a_backup_and_wait_for_the_restart(page: Page, server: LiveServer) -> None:
    # records, not collections: a deleted collection would come back and be deleted again by
    # the automigrate file its deletion wrote (pb_migrations is not part of a backup)
    token = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", token, json={"name": "keep", "type": "base", "fields": [{"name": "t", "type": "text"}]})
    record = api(server.base, "POST", "/api/collections/keep/records", token, json={"t": "in the backup"})
    api(server.base, "POST", "/api/backups", token, json={"name": "before.zip"})
    api(server.base, "DELETE", f"/api/collections/keep/records/{record['id']}", token)

    page.goto("/_/#/settings/backups")
    page.locator('tr[data-key="before.zip"]').get_by_role("button", name="Restore").click()
    expect(page.locator("#backups-note")).to_have_text("Restored. The server is back.", timeout=30_000)
    assert server.returncode is None  # the same process serves again
    assert api(server.base, "GET", f"/api/collections/keep/records/{record['id']}", token)["t"] == "in the backup"
    expect(page.locator('tr[data-key="before.zip"]')).to_be_visible()  # the list is shown again
