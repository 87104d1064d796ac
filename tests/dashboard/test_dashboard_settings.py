"""The settings pages in real Chromium: mail with a test email to a real SMTP server,
S3 "test connection", rate limits, trusted proxy, logs, crons, backups, superusers, and
the collections export and import with its diff preview."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.auth_support import Inbox, smtp_server
from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token

__all__ = ["smtp_server"]  # the fixture, used by name


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-settings") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return superuser_token(server.base)


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with authed_context(browser, server.base, token, accept_downloads=True) as p:
        p.on("dialog", lambda d: d.accept())  # the confirm() of delete/restore
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def test_mail_settings_and_a_test_email(page: Page, server: LiveServer, token: str, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    page.goto("/_/#/settings/mail")
    page.get_by_label("Sender name").fill("Dash Support")
    page.get_by_label("Sender address").fill("dash@example.com")
    page.locator('input[name="smtp.enabled"]').check()
    page.get_by_label("Host").fill("127.0.0.1")
    page.get_by_label("Port").fill(str(port))
    page.locator("#save-settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    saved = api(server.base, "GET", "/api/settings", token)
    assert saved["meta"]["senderName"] == "Dash Support" and saved["smtp"]["port"] == port

    page.locator("#test-email").click()
    dialog = page.locator("dialog")
    dialog.locator("#send-test-email").click()  # no address: the API's message under the field
    expect(dialog.locator('[data-error-for="email"]')).to_have_text("Cannot be blank.")
    dialog.get_by_label("Password reset").check()
    dialog.get_by_label("To email address").fill("someone@example.com")
    dialog.locator("#send-test-email").click()
    expect(dialog.locator("#test-email-sent")).to_be_visible()
    mail = inbox.wait(1)[-1]
    assert mail["To"] == "someone@example.com" and "dash@example.com" in mail["From"]


def test_storage_test_connection_and_rate_limits(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/settings/storage")
    page.locator("#test-s3").click()
    expect(page.locator("#s3-test-result")).to_contain_text("S3 storage filesystem is not enabled")

    page.goto("/_/#/settings/rate-limits")
    rows = page.locator("tr.rule-row")
    expect(rows).to_have_count(4)  # PocketBase's default rules
    page.locator('input[name="enabled"]').check()
    page.locator("#add-rule").click()
    last = rows.nth(4)
    last.get_by_label("Label").fill("users:create")
    last.get_by_label("Audience").select_option("@guest")
    last.get_by_label("Max requests").fill("7")
    last.get_by_label("Duration (seconds)").fill("60")
    rows.nth(0).get_by_label("Remove rule").click()
    page.locator("#save-settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    limits = api(server.base, "GET", "/api/settings", token)["rateLimits"]
    assert limits["enabled"] is True and len(limits["rules"]) == 4
    assert limits["rules"][-1] == {"label": "users:create", "audience": "@guest", "duration": 60, "maxRequests": 7}

    rows.nth(0).get_by_label("Label").fill("not a label!")
    page.locator("#save-settings").click()
    expect(page.locator('[data-error-for="rateLimits.rules.0.label"]')).not_to_be_empty()
    api(server.base, "PATCH", "/api/settings", token, json={"rateLimits": {"enabled": False}})


def test_trusted_proxy_logs_settings_and_crons(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/settings/proxy")
    expect(page.locator("#proxy-seen")).to_contain_text("127.0.0.1")
    page.get_by_label("Client IP headers").fill("X-Forwarded-For, CF-Connecting-IP")
    page.locator('input[name="trustedProxy.useLeftmostIP"]').check()
    page.locator("#save-settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    proxy = api(server.base, "GET", "/api/settings", token)["trustedProxy"]
    assert proxy == {"headers": ["X-Forwarded-For", "CF-Connecting-IP"], "useLeftmostIP": True}

    page.goto("/_/#/settings/logs")
    page.get_by_label("Minimum level").select_option(label="WARN")
    page.locator("#save-settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    assert api(server.base, "GET", "/api/settings", token)["logs"]["minLevel"] == 4

    page.goto("/_/#/settings/crons")
    row = page.locator('table.crons tr[data-id="__pbDBOptimize__"]')
    expect(row).to_contain_text("0 0 * * *")
    row.get_by_role("button", name="Run now").click()
    expect(page.locator("#cron-note")).to_have_text("__pbDBOptimize__ started.")


def test_backups_create_download_upload_delete_and_schedule(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/settings/backups")
    expect(page.locator("#backups-list")).to_contain_text("No backups yet.")
    page.get_by_label("Backup name").fill("Bad Name")
    page.locator("#create-backup").click()
    expect(page.locator('[data-error-for="name"]')).not_to_be_empty()
    page.get_by_label("Backup name").fill("dash_one.zip")
    page.locator("#create-backup").click()
    row = page.locator('tr[data-key="dash_one.zip"]')
    expect(row).to_be_visible()

    with page.expect_download() as info:
        row.get_by_role("button", name="Download").click()
    path = info.value.path()
    with zipfile.ZipFile(path) as z:
        assert "data.db" in z.namelist()

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("data.db", b"")
    page.locator("#upload-backup").set_input_files({"name": "uploaded.zip", "mimeType": "application/zip", "buffer": buf.getvalue()})
    expect(page.locator('tr[data-key="uploaded.zip"]')).to_be_visible()
    page.locator('tr[data-key="uploaded.zip"]').get_by_role("button", name="Delete").click()
    expect(page.locator('tr[data-key="uploaded.zip"]')).to_have_count(0)
    assert [b["key"] for b in api(server.base, "GET", "/api/backups", token)] == ["dash_one.zip"]

    page.get_by_label("Cron expression (empty = off)").fill("not a cron")
    page.locator("#save-settings").click()
    expect(page.locator('[data-error-for="backups.cron"]')).to_contain_text("Invalid cron expression")
    page.get_by_label("Cron expression (empty = off)").fill("0 4 * * *")
    page.get_by_label("Keep the newest").fill("2")
    page.locator("#save-settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    assert api(server.base, "GET", "/api/settings", token)["backups"]["cron"] == "0 4 * * *"
    crons = api(server.base, "GET", "/api/crons", token)
    assert {"id": "__pbAutoBackup__", "expression": "0 4 * * *"} in crons
    api(server.base, "PATCH", "/api/settings", token, json={"backups": {"cron": ""}})


def test_superusers_add_and_delete(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/settings/superusers")
    expect(page.locator("table.superusers tbody tr", has_text=EMAIL)).to_contain_text("you")
    page.get_by_label("Email").fill("second@example.com")
    page.get_by_label("Password", exact=True).fill("1234567890")
    page.get_by_label("Password confirm").fill("0000000000")
    page.locator("#create-superuser").click()
    expect(page.locator('[data-error-for="passwordConfirm"]')).not_to_be_empty()
    page.get_by_label("Password confirm").fill("1234567890")
    page.locator("#create-superuser").click()
    row = page.locator("table.superusers tbody tr", has_text="second@example.com")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    emails = [u["email"] for u in api(server.base, "GET", "/api/collections/_superusers/records", token)["items"]]
    assert emails == [EMAIL]


def test_export_and_import_with_a_diff_preview(page: Page, server: LiveServer, token: str) -> None:
    api(server.base, "POST", "/api/collections", token, json={"name": "notes", "type": "base", "fields": [{"name": "title", "type": "text"}]})
    page.goto("/_/#/settings/export")
    exported = json.loads(page.locator("#export-json").input_value())
    notes = next(c for c in exported if c["name"] == "notes")
    with page.expect_download() as info:
        page.locator("#download-export").click()
    assert info.value.suggested_filename == "pb_schema.json"

    notes["fields"].append({"name": "body", "type": "editor"})
    notes["listRule"] = ""
    extra = {"name": "tags", "type": "base", "fields": [{"name": "label", "type": "text"}]}
    page.goto("/_/#/settings/import")
    page.get_by_label("Collections JSON to import").fill("[not json")
    page.locator("#review-import").click()
    expect(page.locator(".form-error")).to_contain_text("The JSON is not valid")
    page.get_by_label("Collections JSON to import").fill(json.dumps([notes, extra]))
    page.locator("#review-import").click()
    plan = page.locator("#import-plan")
    expect(plan.locator('li[data-collection="notes"] .badge')).to_have_text("changed")
    expect(plan.locator('li[data-collection="notes"]')).to_contain_text("+ field body (editor)")
    expect(plan.locator('li[data-collection="notes"]')).to_contain_text("listRule")
    expect(plan.locator('li[data-collection="tags"] .badge')).to_have_text("new")
    page.locator("#confirm-import").click()
    expect(page.locator("#import-done")).to_be_visible()
    names = {c["name"]: c for c in api(server.base, "GET", "/api/collections", token, params={"perPage": 200})["items"]}
    assert "tags" in names and names["notes"]["listRule"] == ""
    assert [f["name"] for f in names["notes"]["fields"]][-1] == "body"


def test_settings_menu_reaches_every_section(page: Page) -> None:
    page.goto("/_/#/settings")
    links = page.locator("#settings-menu a")
    expect(links).to_have_count(11)
    page.get_by_role("link", name="Crons").click()
    expect(page).to_have_url(re.compile(r"#/settings/crons$"))
    expect(page.locator("#settings-menu a.active")).to_have_text("Crons")
