"""Live parts of the records pages in real Chromium: the table follows other clients'
changes through realtime, the realtime inspector's feed, the column chooser, the
record's JSON and impersonation of an auth record."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-live") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", tok, json={"name": "tasks", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "note", "type": "text"}]})
    return tok


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with authed_context(browser, server.base, token) as p:
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def test_table_follows_other_clients_and_the_realtime_feed(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/collections?collection=tasks")
    expect(page.locator("#live-state")).to_have_text("● live")
    api(server.base, "POST", "/api/collections/tasks/records", token, json={"title": "made elsewhere"})
    expect(page.locator("tbody tr", has_text="made elsewhere")).to_have_count(1)  # no reload

    page.get_by_role("link", name="Realtime").click()
    page.get_by_label("Collection to watch").select_option("tasks")
    expect(page.locator("#realtime-state")).to_have_text("live")
    record = api(server.base, "POST", "/api/collections/tasks/records", token, json={"title": "watched"})
    api(server.base, "PATCH", f"/api/collections/tasks/records/{record['id']}", token, json={"title": "watched 2"})
    api(server.base, "DELETE", f"/api/collections/tasks/records/{record['id']}", token)
    feed = page.locator("#realtime-feed li")
    expect(feed).to_have_count(3)
    assert [feed.nth(i).get_attribute("data-action") for i in range(3)] == ["delete", "update", "create"]
    expect(page.locator("#realtime-count")).to_have_text("3 events")

    # the clients count (GET /api/realtime/stats): this page's stream, then a second tab's
    clients = page.locator("#realtime-clients")
    expect(clients).to_have_text("1 client connected", timeout=15_000)
    other = page.context.new_page()
    other.goto("/_/#/realtime?collection=tasks")
    expect(other.locator("#realtime-state")).to_have_text("live")
    expect(clients).to_have_text("2 clients connected", timeout=15_000)
    other.close()
    expect(clients).to_have_text("1 client connected", timeout=15_000)


def test_column_chooser_and_record_json(page: Page, server: LiveServer, token: str) -> None:
    api(server.base, "POST", "/api/collections/tasks/records", token, json={"title": "columns", "note": "hidden soon"})
    page.goto("/_/#/collections?collection=tasks&filter=columns")
    expect(page.locator("thead th", has_text="note")).to_have_count(1)
    page.locator("#columns-menu summary").click()
    page.locator('[data-column="note"]').uncheck()
    expect(page.locator("thead th", has_text="note")).to_have_count(0)
    page.reload()  # kept in this browser
    expect(page.locator("#page-info")).to_be_visible()
    expect(page.locator("thead th", has_text="note")).to_have_count(0)
    page.locator("tbody tr").first.click()
    page.locator("dialog summary", has_text="Record JSON").click()
    expect(page.locator("#record-json")).to_contain_text('"note": "hidden soon"')


def test_impersonate_an_auth_record(page: Page, server: LiveServer, token: str) -> None:
    user = api(server.base, "POST", "/api/collections/users/records", token,
               json={"email": "imp@example.com", "password": "imp-password", "passwordConfirm": "imp-password"})
    page.goto("/_/#/collections?collection=users")
    page.locator(f'tr[data-id="{user["id"]}"]').click()
    page.locator("dialog summary", has_text="Impersonate this user").click()
    page.get_by_label("Token duration (seconds)").fill("600")
    page.locator("#impersonate").click()
    code = page.locator("#impersonate-token code")
    expect(code).to_have_text(re.compile(r"^ey"))
    who = httpx.get(server.base + "/api/collections/users/records/" + user["id"], headers={"Authorization": code.inner_text()})
    assert who.status_code == 200 and who.json()["email"] == "imp@example.com"


def test_oauth2_links_otps_and_mfa_of_a_user(page: Page, server: LiveServer, token: str) -> None:
    user = api(server.base, "POST", "/api/collections/users/records", token,
               json={"email": "linked@example.com", "password": "linked-password", "passwordConfirm": "linked-password"})
    api(server.base, "POST", "/api/collections/_externalAuths/records", token, json={
        "collectionRef": "_pb_users_auth_", "recordRef": user["id"], "provider": "google", "providerId": "g-123"})
    page.goto("/_/#/collections?collection=users")
    page.locator(f'tr[data-id="{user["id"]}"]').click()
    page.locator("dialog summary", has_text="OAuth2 links, OTPs and MFA").click()
    link = page.locator('[data-external-auth="google"]')
    expect(link).to_contain_text("google (g-123)")
    expect(page.locator("#auth-records")).to_contain_text("One-time passwords: 0 pending")
    page.on("dialog", lambda d: d.accept())
    link.get_by_role("button", name="Unlink").click()
    expect(link).to_have_count(0)
    left = api(server.base, "GET", "/api/collections/_externalAuths/records", token, params={"filter": f"recordRef = '{user['id']}'"})
    assert left["totalItems"] == 0


def test_hide_controls_setting(page: Page, server: LiveServer, token: str) -> None:
    api(server.base, "PATCH", "/api/settings", token, json={"meta": {"hideControls": True}})
    try:
        page.goto("/_/#/collections?collection=tasks")
        expect(page.locator("#page-info")).to_be_visible()
        expect(page.locator("#edit-collection")).to_have_count(0)
        expect(page.locator("#new-collection")).to_have_count(0)
        expect(page.locator("#new-record")).to_be_visible()  # records stay editable
    finally:
        api(server.base, "PATCH", "/api/settings", token, json={"meta": {"hideControls": False}})
    page.reload()
    expect(page.locator("#edit-collection")).to_be_visible()
