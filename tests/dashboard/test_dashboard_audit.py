"""The gaps found by the audit of issue #15 (docs/dashboard.md, "The issue, item by item"), in
real Chromium: the records filter box's suggestions, every field type designed in the
collection editor with its options, and a protected image opened from the record form through a
file token; and what the screenshots showed broken: the editor's tabs, the phone menu and the
date picker on a phone."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving_with_superuser
from tests.e2e.serve_support import LiveServer


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    with serving_with_superuser(tmp_path_factory.mktemp("dashboard-audit") / "pb_data") as (server, token):
        authors = api(server.base, "POST", "/api/collections", token, json={"name": "authors", "type": "base", "fields": [
            {"name": "name", "type": "text", "presentable": True}]})
        api(server.base, "POST", "/api/collections", token, json={"name": "posts", "type": "base", "fields": [
            {"name": "title", "type": "text"},
            {"name": "author", "type": "relation", "collectionId": authors["id"], "maxSelect": 1},
            {"name": "cover", "type": "file", "maxSelect": 1, "protected": True, "mimeTypes": ["image/png"]},
            {"name": "when", "type": "date"}]})
        ada = api(server.base, "POST", "/api/collections/authors/records", token, json={"name": "Ada"})
        for title in ["Blue shoes", "Red hat"]:
            api(server.base, "POST", "/api/collections/posts/records", token, json={"title": title, "author": ada["id"]})
        yield server, token


@pytest.fixture
def page(browser: Browser, live: tuple[LiveServer, str]) -> Iterator[Page]:
    server, token = live
    with authed_context(browser, server.base, token) as p:
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), (20, 90, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_filter_box_suggests_fields_and_relation_paths(page: Page) -> None:
    page.goto("/_/#/collections?collection=posts")
    box = page.get_by_label("Filter")
    suggestions = page.locator('[data-suggest-for="filter"] .suggestion')
    box.click()
    box.press_sequentially("ti")
    expect(suggestions).to_have_text(["title"])
    box.press("Tab")  # takes the first suggestion
    expect(box).to_have_value("title")
    box.press_sequentially(" ~ 'blue'")
    box.press("Enter")
    expect(page.locator("#page-info")).to_contain_text("1 record")

    box.fill("")
    box.press_sequentially("author.")  # through the relation: the related collection's fields
    expect(suggestions.filter(has_text="author.name")).to_have_count(1)
    box.press_sequentially("na")
    box.press("Tab")
    box.press_sequentially(" = 'Ada'")
    box.press("Enter")
    expect(page.locator("#page-info")).to_contain_text("2 records")

    box.fill("")
    box.press_sequentially("created > @to")  # the date macros
    expect(suggestions).to_have_text(["@tomorrow", "@todayStart", "@todayEnd"])


def add_field(dialog: Locator, name: str, kind: str) -> Locator:
    dialog.locator("#new-field-name").fill(name)
    dialog.locator("#new-field-type").select_option(kind)
    dialog.locator("#add-field").click()
    dialog.locator(f'[data-options-toggle="{name}"]').click()
    return dialog.locator(f'[data-options-for="{name}"]')


def test_every_field_type_with_its_options_in_the_editor(page: Page, live: tuple[LiveServer, str]) -> None:
    server, token = live
    page.goto("/_/#/collections")
    page.locator("#new-collection").click()
    dialog = page.locator("dialog")
    dialog.locator('input[name="name"]').fill("everything")
    add_field(dialog, "code", "text").get_by_label("Autogenerate pattern").fill("[a-z0-9]{8}")
    opts = add_field(dialog, "story", "editor")
    opts.get_by_label("Max size (bytes)").fill("20000")
    opts.get_by_label("Convert URLs to relative").check()
    add_field(dialog, "score", "number").get_by_label("Max", exact=True).fill("10")
    add_field(dialog, "active", "bool").get_by_label("Help text").fill("Shown on the site")
    add_field(dialog, "contact", "email").get_by_label("Only domains").fill("example.com, example.org")
    add_field(dialog, "homepage", "url").get_by_label("Except domains").fill("bad.example")
    add_field(dialog, "due", "date").get_by_label("Min (YYYY-MM-DD").fill("2024-01-01 00:00:00.000Z")
    opts = add_field(dialog, "touched", "autodate")
    opts.get_by_label("Set on update").check()
    opts = add_field(dialog, "tags", "select")
    opts.get_by_label("Values").fill("red, green, blue")
    opts.get_by_label("Max select").fill("2")
    opts = add_field(dialog, "scan", "file")
    opts.get_by_label("Max files").fill("3")
    opts.get_by_label("Max size per file").fill("1048576")
    opts = add_field(dialog, "writer", "relation")
    opts.get_by_label("Related collection").select_option(label="authors")
    opts.get_by_label("Min select").fill("1")
    opts.get_by_label("Max select").fill("3")
    opts = add_field(dialog, "extra", "json")
    opts.get_by_label("Max size (bytes").fill("4096")
    opts.get_by_label("Hidden").check()
    add_field(dialog, "spot", "geoPoint").get_by_label("Presentable").check()
    dialog.locator("#save-collection").click()
    expect(page.locator("dialog")).to_have_count(0)

    saved: dict[str, Any] = api(server.base, "GET", "/api/collections/everything", token)
    fields = {f["name"]: f for f in saved["fields"]}
    assert {f["type"] for f in saved["fields"]} >= {"text", "editor", "number", "bool", "email", "url", "date", "autodate",
                                                    "select", "file", "relation", "json", "geoPoint"}
    assert fields["code"]["autogeneratePattern"] == "[a-z0-9]{8}"
    assert fields["story"]["maxSize"] == 20000 and fields["story"]["convertURLs"] is True
    assert fields["score"]["max"] == 10
    assert fields["active"]["help"] == "Shown on the site"
    assert fields["contact"]["onlyDomains"] == ["example.com", "example.org"]
    assert fields["homepage"]["exceptDomains"] == ["bad.example"]
    assert fields["due"]["min"].startswith("2024-01-01 00:00:00")
    assert fields["touched"]["onCreate"] is True and fields["touched"]["onUpdate"] is True
    assert fields["tags"]["values"] == ["red", "green", "blue"] and fields["tags"]["maxSelect"] == 2
    assert fields["scan"]["maxSelect"] == 3 and fields["scan"]["maxSize"] == 1048576
    assert fields["writer"]["minSelect"] == 1 and fields["writer"]["maxSelect"] == 3
    assert fields["extra"]["maxSize"] == 4096 and fields["extra"]["hidden"] is True
    assert fields["spot"]["presentable"] is True


def test_protected_image_in_the_record_form_goes_through_a_file_token(page: Page, live: tuple[LiveServer, str]) -> None:
    server, token = live
    post = api(server.base, "POST", "/api/collections/posts/records", token, data={"title": "With a cover"},
               files={"cover": ("cover.png", png(), "image/png")})
    page.goto("/_/#/collections?collection=posts&filter=cover")
    page.locator(f'tr[data-id="{post["id"]}"]').click()
    dialog = page.locator("dialog")
    link = dialog.locator(".file-list a", has_text=post["cover"])
    expect(link).to_have_attribute("href", re.compile(r"[?&]token=ey"))
    preview = dialog.locator(".file-list img.thumb")
    expect(preview).to_have_attribute("src", re.compile(r"token=ey"))
    # the 100x100 thumb every image has (as PocketBase's), loaded with the token
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 100", arg=preview.element_handle())
    opened = page.request.get(str(link.get_attribute("href")))  # the link itself opens the file
    assert opened.status == 200 and opened.body() == png()
    without = page.request.get(str(link.get_attribute("href")).split("?")[0])
    assert without.status == 404  # protected: nothing without the token


def test_editor_tabs_show_one_panel(page: Page) -> None:
    page.goto("/_/#/collections?collection=posts")
    page.locator("#edit-collection").click()
    dialog = page.locator("dialog")
    expect(dialog.locator("#new-field-name")).to_be_visible()
    expect(dialog.get_by_label("listRule")).to_be_hidden()  # the API rules panel is not under the Fields tab
    dialog.get_by_role("tab", name="API rules").click()
    expect(dialog.get_by_label("listRule")).to_be_visible()
    expect(dialog.locator("#new-field-name")).to_be_hidden()


def test_phone_menu_and_date_picker_fit(browser: Browser, live: tuple[LiveServer, str]) -> None:
    server, token = live
    phone: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    with authed_context(browser, server.base, token, **phone) as page:
        page.goto("/_/#/collections?collection=posts")
        for name in ["Collections", "Logs", "Diagram", "Realtime", "SQL", "Settings"]:  # every page in sight
            box = page.locator("header nav").get_by_role("link", name=name).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        page.locator("#new-record").click()
        group = page.locator("dialog .date-editor")
        for button in ["Now", "Clear"]:
            box = group.get_by_role("button", name=button).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390, (button, box)
        assert page.js_errors == []  # type: ignore[attr-defined]
