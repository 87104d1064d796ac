"""The first run in a real browser: the banner's installer link creates the first superuser,
and the OAuth2 redirect pages render without a session."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.dashboard.dashboard_support import AUTH_KEY, Browser, authed_context, serving
from tests.e2e.serve_support import LiveServer, superuser_token

EMAIL, PASSWORD = "first@example.com", "first-password-1"


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("dashboard-install") / "pb_data") as server:
        yield server


def installer_link(server: LiveServer) -> str:
    match = re.search(r"(http://\S+/_/#/pbinstall/\S+)", server.stdout)
    assert match, f"no installer link in the banner:\n{server.stdout}"
    return match.group(1)


def test_oauth2_redirect_pages_need_no_login(browser: Browser, fresh_server: LiveServer) -> None:
    with authed_context(browser, fresh_server.base) as page:
        page.goto("/_/#/auth/oauth2-redirect-success")
        expect(page.get_by_role("heading")).to_have_text("Authentication completed")
        expect(page.get_by_text("You may close this window")).to_be_visible()
        page.goto("/_/#/auth/oauth2-redirect-failure")
        expect(page.get_by_role("heading")).to_have_text("Authentication failed")
        assert page.url.endswith("#/auth/oauth2-redirect-failure")  # not sent to the login page
        assert page.js_errors == []  # type: ignore[attr-defined]


def test_installer_link_creates_the_first_superuser(browser: Browser, fresh_server: LiveServer) -> None:
    link = installer_link(fresh_server)
    with authed_context(browser, fresh_server.base) as page:
        page.goto(link)
        expect(page.get_by_role("heading")).to_have_text("Create your first superuser")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Confirm password").fill(PASSWORD + "x")
        page.get_by_role("button", name="Create superuser and log in").click()
        expect(page.locator('[data-error-for="passwordConfirm"]')).not_to_be_empty()  # the API's message
        page.get_by_label("Confirm password").fill(PASSWORD)
        page.get_by_role("button", name="Create superuser and log in").click()
        expect(page).to_have_url(re.compile(r"#/collections$"))
        expect(page.locator(".who")).to_have_text(EMAIL)
        expect(page.locator('.sidebar a[data-collection="users"]')).to_be_visible()
        saved = page.evaluate(f"JSON.parse(localStorage.getItem('{AUTH_KEY}'))")
        assert saved["record"]["email"] == EMAIL and saved["token"]
        assert page.js_errors == []  # type: ignore[attr-defined]
    assert superuser_token(fresh_server.base, EMAIL, PASSWORD)
