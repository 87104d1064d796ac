"""The dashboard in real Chromium against a live ``satchel serve``: login, the collection
editor, records CRUD with files, filters, sorting and paging, settings, and escaping."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import AUTH_KEY, Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-ui") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return superuser_token(server.base)


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    """A logged-in page; it must end the test without uncaught script errors."""
    with authed_context(browser, server.base, token) as p:
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def make_collection(base: str, token: str, name: str, fields: list[dict[str, object]]) -> dict[str, object]:
    body = {"name": name, "type": "base", "fields": fields, "listRule": None}
    collection: dict[str, object] = api(base, "POST", "/api/collections", token, json=body)
    return collection


def records(base: str, token: str, collection: str, **query: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = api(base, "GET", f"/api/collections/{collection}/records", token, params=query)["items"]
    return items


def open_collection(page: Page, name: str) -> None:
    page.goto(f"/_/#/collections?collection={name}")
    expect(page.locator(".page-head h1")).to_contain_text(name)
    expect(page.locator("#page-info")).to_be_visible()


def test_dashboard_redirect_and_login(browser: Browser, server: LiveServer) -> None:
    with authed_context(browser, server.base) as page:
        response = page.goto("/_")
        assert response is not None and response.url == server.base + "/_/"
        expect(page).to_have_url(re.compile(r"/_/#/login$"))  # no session: the login page
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill("wrong-password")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".form-error")).to_contain_text("Failed to authenticate.")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"#/collections$"))
        expect(page.locator(".sidebar h2").first).to_have_text("Collections")
        expect(page.locator('.nav-list.system a[data-collection="_superusers"]')).to_be_visible()
        expect(page.locator('.nav-list:not(.system) a[data-collection="users"]')).to_be_visible()
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"#/login$"))
        assert page.evaluate(f"localStorage.getItem('{AUTH_KEY}')") is None
        assert page.js_errors == []  # type: ignore[attr-defined]


def test_a_rejected_token_goes_back_to_login(browser: Browser, server: LiveServer) -> None:
    with authed_context(browser, server.base) as page:
        page.goto("/_/#/login")
        page.evaluate(f"localStorage.setItem('{AUTH_KEY}', JSON.stringify({{token: 'not-a-token', record: {{}}}}))")
        page.goto("/_/#/settings")
        expect(page).to_have_url(re.compile(r"#/login$"))
        assert page.evaluate(f"localStorage.getItem('{AUTH_KEY}')") is None


def test_collection_editor_and_record_crud(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/collections")
    page.locator("#new-collection").click()
    dialog = page.locator("dialog.panel")
    dialog.locator('input[name="name"]').fill("notes")
    for name, kind in (("title", "text"), ("count", "number")):
        dialog.locator("#new-field-name").fill(name)
        dialog.locator("#new-field-type").select_option(kind)
        dialog.locator("#add-field").click()
    dialog.get_by_role("tab", name="API rules").click()  # the rules have their own tab
    dialog.locator('input[name="listRule-locked"]').uncheck()  # "" = public list
    dialog.locator("#save-collection").click()
    expect(page).to_have_url(re.compile(r"collection=notes"))
    expect(page.locator(".page-head h1")).to_contain_text("notes")
    collection = api(server.base, "GET", "/api/collections/notes", token)
    assert [(f["name"], f["type"]) for f in collection["fields"]] == [
        ("id", "text"), ("created", "autodate"), ("updated", "autodate"), ("title", "text"), ("count", "number")]
    assert collection["listRule"] == "" and collection["viewRule"] is None

    for title, count in (("first note", "3"), ("second note", "8")):
        page.locator("#new-record").click()
        page.locator('dialog input[name="title"]').fill(title)
        page.locator('dialog input[name="count"]').fill(count)
        page.locator("#save-record").click()
        expect(page.locator("dialog")).to_have_count(0)
    expect(page.locator("#page-info")).to_have_text("Page 1 of 1 · 2 records")
    saved = {r["title"]: r for r in records(server.base, token, "notes")}
    assert saved["first note"]["count"] == 3 and saved["second note"]["count"] == 8

    first = saved["first note"]["id"]
    page.locator(f'tr[data-id="{first}"]').click()
    page.locator('dialog input[name="title"]').fill("first note, edited")
    page.locator("#save-record").click()
    expect(page.locator(f'tr[data-id="{first}"]')).to_contain_text("first note, edited")
    assert api(server.base, "GET", f"/api/collections/notes/records/{first}", token)["title"] == "first note, edited"

    page.get_by_label("Filter").fill("count > 5")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("second note")
    page.get_by_label("Filter").fill("nosuchfield = 1")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".records-area .notice.error")).to_contain_text("Something went wrong")
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("tbody tr")).to_have_count(2)

    page.once("dialog", lambda d: d.accept())
    page.locator(f'tr[data-id="{first}"]').click()
    page.locator("#delete-record").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    assert [r["title"] for r in records(server.base, token, "notes")] == ["second note"]


def test_record_errors_show_next_to_their_field(page: Page, server: LiveServer, token: str) -> None:
    make_collection(server.base, token, "strict", [{"name": "code", "type": "text", "required": True},
                                                   {"name": "meta", "type": "json"}])
    open_collection(page, "strict")
    page.locator("#new-record").click()
    page.locator('dialog textarea[name="meta"]').fill("{not json")
    page.locator("#save-record").click()
    expect(page.locator('dialog [data-error-for="meta"]')).to_contain_text("Invalid JSON")
    page.locator('dialog textarea[name="meta"]').fill('{"a": [1, 2]}')
    page.locator("#save-record").click()
    expect(page.locator('dialog [data-error-for="code"]')).to_have_text("Cannot be blank.")
    page.locator('dialog input[name="code"]').fill("abc")
    page.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert records(server.base, token, "strict")[0]["meta"] == {"a": [1, 2]}


def test_sorting_and_paging(page: Page, server: LiveServer, token: str) -> None:
    make_collection(server.base, token, "many", [{"name": "n", "type": "number"}])
    with httpx.Client(base_url=server.base, headers={"Authorization": token}) as client:
        for i in range(45):
            client.post("/api/collections/many/records", json={"n": i}).raise_for_status()
    open_collection(page, "many")
    expect(page.locator("#page-info")).to_have_text("Page 1 of 2 · 45 records")
    expect(page.locator("tbody tr")).to_have_count(40)
    page.locator('button[data-sort="n"]').click()
    expect(page.locator("tbody tr").first.locator("td").nth(2)).to_have_text("0")  # after the select box and the id
    page.locator('button[data-sort="n"]').click()
    expect(page.locator('button[data-sort="n"]')).to_have_attribute("aria-sort", "descending")
    expect(page.locator("tbody tr").first.locator("td").nth(2)).to_have_text("44")
    page.locator("#next-page").click()
    expect(page.locator("#page-info")).to_have_text("Page 2 of 2 · 45 records")
    expect(page.locator("tbody tr")).to_have_count(5)
    expect(page.locator("tbody tr").last.locator("td").nth(2)).to_have_text("0")


def test_file_upload_through_the_record_form(page: Page, server: LiveServer, token: str, tmp_path) -> None:
    make_collection(server.base, token, "docs", [{"name": "name", "type": "text"},
                                                 {"name": "attachments", "type": "file", "maxSelect": 5}])
    upload = tmp_path / "hello world.txt"
    upload.write_text("hello from the dashboard\n")
    open_collection(page, "docs")
    page.locator("#new-record").click()
    page.locator('dialog input[name="name"]').fill("with a file")
    page.locator('dialog input[name="attachments"]').set_input_files(str(upload))
    page.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    record = records(server.base, token, "docs")[0]
    [stored] = record["attachments"]
    assert stored.startswith("hello_world_") and stored.endswith(".txt")
    served = httpx.get(f"{server.base}/api/files/docs/{record['id']}/{stored}")
    assert served.status_code == 200 and served.text == "hello from the dashboard\n"

    second = tmp_path / "second.txt"
    second.write_text("two")
    page.locator(f'tr[data-id="{record["id"]}"]').click()
    expect(page.locator("dialog .file-list a")).to_have_text(stored)
    page.locator('dialog input[name="attachments"]').set_input_files(str(second))
    page.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    after = api(server.base, "GET", f"/api/collections/docs/records/{record['id']}", token)["attachments"]
    assert after[0] == stored and after[1].startswith("second_") and len(after) == 2

    page.locator(f'tr[data-id="{record["id"]}"]').click()
    page.locator(f'dialog [data-remove-file="{stored}"]').click()
    page.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert api(server.base, "GET", f"/api/collections/docs/records/{record['id']}", token)["attachments"] == after[1:]


def test_settings_save(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/settings")
    expect(page.locator("#settings-menu a.active")).to_have_text("Application")
    page.get_by_label("Application name").fill("Dashboard Test App")
    page.get_by_label("Application URL").fill("https://example.test")
    page.locator("#save-settings").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    meta = api(server.base, "GET", "/api/settings", token)["meta"]
    assert meta["appName"] == "Dashboard Test App" and meta["appURL"] == "https://example.test"

    page.goto("/_/#/settings/mail")
    page.locator('input[name="smtp.enabled"]').check()
    page.get_by_label("Host").fill("")
    page.locator("#save-settings").click()
    expect(page.locator('[data-error-for="smtp.host"]')).to_have_text("Cannot be blank.")
    assert api(server.base, "GET", "/api/settings", token)["smtp"]["enabled"] is False


def test_record_values_are_shown_as_text(page: Page, server: LiveServer, token: str) -> None:
    make_collection(server.base, token, "evil", [{"name": "title", "type": "text"}, {"name": "data", "type": "json"}])
    payload = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>'
    api(server.base, "POST", "/api/collections/evil/records", token, json={"title": payload, "data": {"k": payload}})
    open_collection(page, "evil")
    row = page.locator("tbody tr").first
    expect(row.locator("td").nth(2)).to_have_text(payload[:79] + "…")
    row.click()
    expect(page.locator('dialog input[name="title"]')).to_have_value(payload)
    assert page.locator("tbody b, tbody img, tbody script, dialog img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_select_bool_and_date_fields_round_trip(browser: Browser, server: LiveServer, token: str) -> None:
    make_collection(server.base, token, "events", [
        {"name": "title", "type": "text"}, {"name": "public", "type": "bool"},
        {"name": "tags", "type": "select", "values": ["red", "green", "blue"], "maxSelect": 3},
        {"name": "level", "type": "select", "values": ["low", "high"], "maxSelect": 1},
        {"name": "starts", "type": "date"}, {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_"}])
    made = api(server.base, "POST", "/api/collections/events/records", token,
               json={"title": "launch", "tags": ["red"], "level": "low", "starts": "2024-05-01 10:20:30.000Z"})
    # in Paris (UTC+2 in May) the date input shows local time and sends UTC back
    with authed_context(browser, server.base, token, timezone_id="Europe/Paris") as page:
        open_collection(page, "events")
        page.locator(f'tr[data-id="{made["id"]}"]').click()
        expect(page.locator('dialog input[name="starts"]')).to_have_value("2024-05-01T12:20:30")
        page.locator('dialog input[name="public"]').check()
        page.locator('dialog select[name="tags"]').select_option(["green", "blue"])
        page.locator('dialog select[name="level"]').select_option("high")
        page.locator('dialog input[name="starts"]').fill("2024-12-24T18:30:00")
        page.locator("#save-record").click()
        expect(page.locator("dialog")).to_have_count(0)
        assert page.js_errors == []  # type: ignore[attr-defined]
    saved = api(server.base, "GET", f"/api/collections/events/records/{made['id']}", token)
    assert saved["public"] is True and saved["tags"] == ["green", "blue"] and saved["level"] == "high"
    assert saved["starts"] == "2024-12-24 17:30:00.000Z"


def test_auth_collection_record_with_password(page: Page, server: LiveServer) -> None:
    open_collection(page, "users")
    page.locator("#new-record").click()
    page.locator('dialog input[name="email"]').fill("reader@example.com")
    page.locator('dialog input[name="password"]').fill("reader-password")
    page.locator('dialog input[name="passwordConfirm"]').fill("reader-password")
    page.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(page.locator("tbody")).to_contain_text("reader@example.com")
    r = httpx.post(f"{server.base}/api/collections/users/auth-with-password",
                   json={"identity": "reader@example.com", "password": "reader-password"})
    assert r.status_code == 200, r.text


def test_collection_editor_edit_rules_view_and_delete(page: Page, server: LiveServer, token: str) -> None:
    make_collection(server.base, token, "drafts", [{"name": "headline", "type": "text"}, {"name": "scratch", "type": "text"}])
    open_collection(page, "drafts")
    page.locator("#edit-collection").click()
    dialog = page.locator("dialog.panel")
    dialog.locator('input[name="name"]').fill("")
    dialog.locator("#save-collection").click()
    expect(dialog.locator('[data-error-for="name"]')).to_have_text("Cannot be blank.")
    dialog.locator('input[name="name"]').fill("articles")
    dialog.locator('[data-field-name="headline"]').fill("heading")
    dialog.locator('[data-remove-field="scratch"]').click()
    dialog.get_by_role("tab", name="API rules").click()
    dialog.locator('input[name="viewRule-locked"]').uncheck()
    dialog.locator('textarea[name="viewRule"]').fill("@request.auth.id != ''")
    dialog.locator("#save-collection").click()
    expect(page).to_have_url(re.compile(r"collection=articles"))
    saved = api(server.base, "GET", "/api/collections/articles", token)
    assert [f["name"] for f in saved["fields"]] == ["id", "heading"]
    assert saved["viewRule"] == "@request.auth.id != ''" and saved["listRule"] is None

    page.locator("#new-collection").click()
    dialog.locator('input[name="name"]').fill("article_ids")
    dialog.locator('select[name="type"]').select_option("view")
    dialog.locator('textarea[name="viewQuery"]').fill("SELECT id, heading FROM articles")
    dialog.locator("#save-collection").click()
    expect(page.locator(".page-head h1")).to_contain_text("article_ids")
    expect(page.locator("#new-record")).to_have_count(0)  # views are read-only
    assert api(server.base, "GET", "/api/collections/article_ids", token)["type"] == "view"

    page.once("dialog", lambda d: d.accept())
    page.locator("#edit-collection").click()
    dialog.locator("#delete-collection").click()
    expect(page).to_have_url(re.compile(r"#/collections$"))
    expect(page.locator('.sidebar a[data-collection="article_ids"]')).to_have_count(0)
    assert httpx.get(f"{server.base}/api/collections/article_ids", headers={"Authorization": token}).status_code == 404
