"""A newcomer's first hour, in one test, at a desktop size and at 390x844: the installer
link, a blog designed in the collection editor (fields, a public rule, a unique index, a
relation), records with a file and a picked relation, search, a CSV import, bulk delete,
a backup, and the logs filtered down to one request."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import LiveServer, superuser_token

EMAIL, PASSWORD = "owner@example.com", "owner-password-1"
SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(params=list(SIZES))
def journey(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[tuple[LiveServer, Page]]:
    with serving(tmp_path_factory.mktemp(f"journey-{request.param}") / "pb_data") as server, \
            authed_context(browser, server.base, **SIZES[request.param]) as page:
        page.on("dialog", lambda d: d.accept())
        yield server, page
        assert page.js_errors == []  # type: ignore[attr-defined]


def new_collection(page: Page, name: str, fields: list[tuple[str, str]]) -> None:
    page.locator("#new-collection").click()
    dialog = page.locator("dialog")
    dialog.locator('input[name="name"]').fill(name)
    for field, kind in fields:
        dialog.locator("#new-field-name").fill(field)
        dialog.locator("#new-field-type").select_option(kind)
        dialog.locator("#add-field").click()


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_first_hour(journey: tuple[LiveServer, Page]) -> None:
    server, page = journey
    link = re.search(r"(http://\S+/_/#/pbinstall/\S+)", server.stdout)
    assert link, server.stdout
    page.goto(link.group(1))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create superuser and log in").click()
    expect(page).to_have_url(re.compile(r"#/collections$"))

    # design the blog
    new_collection(page, "posts", [("title", "text"), ("body", "editor"), ("published", "bool"), ("cover", "file")])
    dialog = page.locator("dialog")
    dialog.get_by_role("tab", name="Indexes").click()
    dialog.locator('[data-index-column="title"]').check()
    dialog.locator("#index-unique").check()
    dialog.locator("#add-index").click()
    dialog.get_by_role("tab", name="API rules").click()
    dialog.locator('input[name="listRule-locked"]').uncheck()
    no_sideways_scroll(page)
    dialog.locator("#save-collection").click()
    expect(page.locator(".page-head h1")).to_contain_text("posts")

    new_collection(page, "comments", [("text", "text"), ("post", "relation")])
    dialog.locator('[data-options-toggle="post"]').click()
    dialog.locator('[data-options-for="post"]').get_by_label("Related collection").select_option(label="posts")
    dialog.locator("#save-collection").click()
    expect(page.locator(".page-head h1")).to_contain_text("comments")

    # records: a post with a file, a comment that picks it
    page.goto("/_/#/collections?collection=posts")
    for title in ["Hello world", "Another post"]:
        page.locator("#new-record").click()
        page.locator('dialog input[name="title"]').fill(title)
        if title == "Hello world":
            page.locator('dialog input[type="file"][name="cover"]').set_input_files({"name": "a.txt", "mimeType": "text/plain", "buffer": b"hello"})
        no_sideways_scroll(page)
        page.locator("#save-record").click()
        expect(page.locator("dialog")).to_have_count(0)
    page.goto("/_/#/collections?collection=comments")
    page.locator("#new-record").click()
    page.locator('dialog input[name="text"]').fill("Nice post")
    page.locator('[data-pick-for="post"]').click()
    picker = page.locator("dialog", has_text="Pick posts record")
    picker.get_by_label("Search related records").fill("hello")
    picker.get_by_role("button", name="Search").click()
    expect(picker.locator("#pick-list li")).to_have_count(1)
    picker.locator("#pick-list input").check()
    picker.locator("#pick-done").click()
    page.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    token = superuser_token(server.base, EMAIL, PASSWORD)
    post = api(server.base, "GET", "/api/collections/posts/records", token, params={"filter": "title = 'Hello world'"})["items"][0]
    assert post["cover"].endswith(".txt")
    assert api(server.base, "GET", "/api/collections/comments/records", token)["items"][0]["post"] == post["id"]

    # search, a CSV import, bulk delete
    page.goto("/_/#/collections?collection=posts")
    page.get_by_label("Filter").fill("hello")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#page-info")).to_contain_text("1 record")
    # the 5,000-row file goes 50 rows a request once the batch API is on (Application settings)
    page.goto("/_/#/settings/application")
    page.locator('input[name="batch.enabled"]').check()
    page.locator("#save-settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    page.goto("/_/#/collections?collection=posts")
    page.locator("#import-records").click()
    csv = "title,published\r\n" + "".join(f"imported {i},yes\r\n" for i in range(5000))
    page.locator("dialog").get_by_label("CSV or JSON file").set_input_files({"name": "posts.csv", "mimeType": "text/csv", "buffer": csv.encode()})
    expect(page.locator("#import-rows")).to_have_text("5000 rows, 2 columns.")
    page.locator("#start-import").click()
    expect(page.locator("#import-report")).to_have_text("5000 created, 0 refused.", timeout=60_000)
    expect(page.locator("#import-progress")).to_have_attribute("value", "5000")
    page.keyboard.press("Escape")
    page.goto("/_/#/collections?collection=posts&filter=imported")
    expect(page.locator("#page-info")).to_contain_text("5000 records")
    page.get_by_label("Select all records on this page").check()
    page.locator("#delete-selected").click()
    expect(page.locator("#page-info")).to_contain_text("4960 records")  # one page of 40 deleted

    # a backup
    page.goto("/_/#/settings/backups")
    page.get_by_label("Backup name").fill("journey.zip")
    page.locator("#create-backup").click()
    expect(page.locator('tr[data-key="journey.zip"]')).to_be_visible()

    # the logs, down to the request that made the comment
    page.goto("/_/#/logs?superusers=1&filter=" + "message%20~%20'POST%20/api/collections/comments/records'")
    deadline = time.monotonic() + 15  # the log writer flushes every few seconds
    rows = page.locator("table.logs tbody tr[data-id]")
    while rows.count() == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.locator("#logs-refresh").click()
    expect(rows).to_have_count(1)
    rows.first.click()
    expect(page.locator("#log-detail")).to_contain_text("/api/collections/comments/records")
    no_sideways_scroll(page)
