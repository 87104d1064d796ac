"""The account pages in real Chromium, driven by real mails caught by an SMTP server:
the confirm pages the default templates link to (password reset, verification, email
change), a superuser's "forgot password", and the superuser login with OTP and MFA."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.auth_support import Inbox, html_of, smtp_server, text_of, token_in
from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token

__all__ = ["smtp_server"]
USER, USER_PW = "reader@example.com", "reader-password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-auth") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture
def mail(server: LiveServer, smtp_server: tuple[Inbox, int]) -> Inbox:
    inbox, port = smtp_server
    token = superuser_token(server.base)
    api(server.base, "PATCH", "/api/settings", token, json={
        "smtp": {"enabled": True, "host": "127.0.0.1", "port": port},
        "meta": {"appURL": server.base, "senderAddress": "app@example.com"}})
    return inbox


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    with authed_context(browser, server.base) as p:
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def post(base: str, path: str, **kwargs: object) -> httpx.Response:
    return httpx.post(base + path, timeout=10, **kwargs)  # type: ignore[arg-type]


def link_path(msg: object) -> str:
    found = re.search(r'href="[^"]*(/_/#/auth/[^"]+)"', html_of(msg))  # type: ignore[arg-type]
    assert found
    return found.group(1)


def test_confirm_pages_from_real_mails(page: Page, server: LiveServer, mail: Inbox) -> None:
    token = superuser_token(server.base)
    api(server.base, "POST", "/api/collections/users/records", token, json={"email": USER, "password": USER_PW, "passwordConfirm": USER_PW})

    # verification
    assert post(server.base, "/api/collections/users/request-verification", json={"email": USER}).status_code == 204
    page.goto(link_path(mail.wait(1)[-1]))
    expect(page.locator("#confirm-status")).to_contain_text("is verified")
    assert api(server.base, "GET", "/api/collections/users/records", token)["items"][0]["verified"] is True

    # password reset: the API's message for a mismatch, then success, then the new password works
    assert post(server.base, "/api/collections/users/request-password-reset", json={"email": USER}).status_code == 204
    page.goto(link_path(mail.wait(2)[-1]))
    expect(page.locator(".card")).to_contain_text(f"For {USER}")
    page.get_by_label("New password", exact=True).fill("brand-new-password")
    page.get_by_label("Confirm new password").fill("something-else")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator('[data-error-for="passwordConfirm"]')).not_to_be_empty()
    page.get_by_label("Confirm new password").fill("brand-new-password")
    page.get_by_role("button", name="Set new password").click()
    expect(page.locator("#confirm-done")).to_be_visible()
    login = post(server.base, "/api/collections/users/auth-with-password", json={"identity": USER, "password": "brand-new-password"})
    assert login.status_code == 200

    # email change
    user_token = login.json()["token"]
    changed = post(server.base, "/api/collections/users/request-email-change", json={"newEmail": "moved@example.com"},
                   headers={"Authorization": user_token})
    assert changed.status_code == 204
    page.goto(link_path(mail.wait(3)[-1]))
    expect(page.locator(".card")).to_contain_text("moved@example.com")
    page.get_by_label("Your password").fill("brand-new-password")
    page.get_by_role("button", name="Confirm the new email").click()
    expect(page.locator("#confirm-done")).to_be_visible()
    assert api(server.base, "GET", "/api/collections/users/records", token)["items"][0]["email"] == "moved@example.com"

    # a used or broken link says so
    page.goto("/_/#/auth/confirm-verification/not-a-token")
    expect(page.locator("#confirm-status")).to_contain_text("The verification failed")


def test_superuser_forgot_password_and_login_with_otp_and_mfa(page: Page, server: LiveServer, mail: Inbox) -> None:
    token = superuser_token(server.base)
    page.goto("/_/#/login")
    page.locator("#forgot-password").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Send a reset link").click()
    expect(page.locator("#reset-sent")).to_be_visible()
    assert "/_/#/auth/confirm-password-reset/" in html_of(mail.wait(1)[-1])
    assert token_in(mail.wait(1)[-1])

    api(server.base, "PATCH", "/api/collections/_superusers", token, json={"otp": {"enabled": True}, "mfa": {"enabled": True}})
    try:
        page.goto("/_/#/login")
        page.reload()
        expect(page.locator("#use-otp")).to_be_visible()
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page.locator("#otp-form")).to_contain_text("Second step")
        code = re.search(r"\b(\d{8})\b", text_of(mail.wait(2)[-1]))
        assert code, text_of(mail.wait(2)[-1])
        page.get_by_label("One-time password").fill(code.group(1))
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page).to_have_url(re.compile(r"#/collections"))
    finally:
        api(server.base, "PATCH", "/api/collections/_superusers", token, json={"otp": {"enabled": False}, "mfa": {"enabled": False}})
