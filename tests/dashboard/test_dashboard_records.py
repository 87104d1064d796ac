"""Records in real Chromium beyond the basics: plain-word search, bulk select and delete,
the relation picker with search, image thumbnails (protected files through a file token),
the JSON editor, the date-time picker and geoPoint coordinates (the rich-text editor and the
map have their own files)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-records") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    authors = api(server.base, "POST", "/api/collections", tok, json={"name": "authors", "type": "base", "fields": [
        {"name": "name", "type": "text", "presentable": True}]})
    api(server.base, "POST", "/api/collections", tok, json={"name": "posts", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "body", "type": "editor"},
        {"name": "author", "type": "relation", "collectionId": authors["id"], "maxSelect": 1},
        {"name": "cover", "type": "file", "maxSelect": 1, "protected": True, "thumbs": ["100x100"]},
        {"name": "meta", "type": "json"}, {"name": "when", "type": "date"}, {"name": "place", "type": "geoPoint"}]})
    for name in ["Ada Lovelace", "Grace Hopper", "Alan Turing"]:
        api(server.base, "POST", "/api/collections/authors/records", tok, json={"name": name})
    posts = [("Red shoes for running", "fast and light"), ("Blue shoes", "for the office"),
             ("Red hat", "keeps the sun away"), ("Green tea", "a RED herring in the body")]
    for title, body in posts:
        api(server.base, "POST", "/api/collections/posts/records", tok, json={"title": title, "body": body})
    return tok


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with authed_context(browser, server.base, token) as p:
        p.on("dialog", lambda d: d.accept())
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def search(page: Page, text: str) -> None:
    page.get_by_label("Filter").fill(text)
    page.get_by_role("button", name="Search").click()


def test_plain_words_search_text_fields(page: Page) -> None:
    page.goto("/_/#/collections?collection=posts")
    search(page, "red")  # case-insensitive, in the title or the body
    expect(page.locator("#page-info")).to_contain_text("3 records")
    search(page, "red shoes")  # every word must match
    expect(page.locator("#page-info")).to_contain_text("1 record")
    expect(page.locator("tbody tr")).to_contain_text("Red shoes for running")
    search(page, 'title ~ "tea"')  # an expression is used as it is
    expect(page.locator("#page-info")).to_contain_text("1 record")
    search(page, 'it"s \\ odd')  # quotes and backslashes are escaped, not a 400
    expect(page.locator("#page-info")).to_contain_text("0 records")


def test_bulk_select_and_delete(page: Page, server: LiveServer, token: str) -> None:
    for i in range(3):
        api(server.base, "POST", "/api/collections/posts/records", token, json={"title": f"bulk {i}"})
    page.goto("/_/#/collections?collection=posts&filter=bulk")
    expect(page.locator("#page-info")).to_contain_text("3 records")
    expect(page.locator("#bulk-bar")).to_be_hidden()
    page.get_by_label("Select all records on this page").check()
    expect(page.locator("#selected-count")).to_have_text("3 selected")
    page.locator("tbody tr").first.locator("input[data-select]").uncheck()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    expect(page.locator("dialog")).to_have_count(0)  # a checkbox click does not open the record
    page.locator("#delete-selected").click()
    expect(page.locator("#page-info")).to_contain_text("1 record")
    expect(page.locator("#bulk-bar")).to_be_hidden()
    left = api(server.base, "GET", "/api/collections/posts/records", token, params={"filter": "title ~ 'bulk'"})["items"]
    assert len(left) == 1


def test_relation_picker_json_date_geo_and_protected_thumbnail(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/collections?collection=posts&filter=" + "Blue")
    page.locator("tbody tr").first.click()
    dialog = page.locator("dialog").first
    dialog.locator('[data-pick-for="author"]').click()
    picker = page.locator("dialog", has_text="Pick authors record")
    expect(picker.locator("#pick-list li")).to_have_count(3)
    picker.get_by_label("Search related records").fill("grace")
    picker.get_by_role("button", name="Search").click()
    expect(picker.locator("#pick-list li")).to_have_count(1)
    picker.locator("#pick-list input").check()
    picker.locator("#pick-done").click()
    expect(dialog.locator('[data-relation="author"] .chip')).to_have_text(re.compile("Grace Hopper"))

    meta = dialog.locator('textarea[name="meta"]')
    meta.fill('{"a":1,')
    expect(dialog.locator('[data-json-state="meta"]')).to_contain_text("Invalid JSON")
    meta.fill('{"a":[1,2]}')
    dialog.get_by_role("button", name="Format", exact=True).click()
    expect(meta).to_have_value('{\n  "a": [\n    1,\n    2\n  ]\n}')

    dialog.get_by_role("group", name="when").get_by_role("button", name="Now").click()
    expect(dialog.locator('[data-utc="when"]')).to_contain_text("UTC: 20")
    dialog.get_by_label("Longitude").fill("2.35")
    dialog.get_by_label("Latitude").fill("48.85")
    expect(dialog.locator('[data-map-link="place"]')).to_have_attribute("href", re.compile(r"mlat=48\.85&mlon=2\.35"))
    dialog.locator('input[type="file"][name="cover"]').set_input_files({"name": "cover.png", "mimeType": "image/png", "buffer": png()})
    dialog.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)

    record = api(server.base, "GET", "/api/collections/posts/records", token, params={"filter": "title = 'Blue shoes'"})["items"][0]
    authors = api(server.base, "GET", "/api/collections/authors/records", token, params={"filter": "name = 'Grace Hopper'"})["items"]
    assert record["author"] == authors[0]["id"]
    assert record["meta"] == {"a": [1, 2]} and record["when"].startswith("20")
    assert record["place"] == {"lon": 2.35, "lat": 48.85}
    assert record["cover"].endswith(".png")

    # the related record shows by its presentable field, the editor's HTML as its text
    row = page.locator(f'tr[data-id="{record["id"]}"]')
    expect(row.locator('td[data-label="author"]')).to_have_text("Grace Hopper")
    api(server.base, "PATCH", f"/api/collections/posts/records/{record['id']}", token, json={"body": "<p>for the <b>office</b></p>"})
    expect(row.locator('td[data-label="body"]')).to_have_text("for the office")  # live: the table reloaded

    # the protected image shows as a thumbnail, loaded with a file token
    thumb = page.locator(f'tr[data-id="{record["id"]}"] img.thumb')
    expect(thumb).to_have_attribute("src", re.compile(r"thumb=100x100.*token=|token=.*thumb=100x100"))
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 100", arg=thumb.element_handle())

