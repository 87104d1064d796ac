"""The collection editor in depth, in real Chromium: every option of a field, field order,
indexes with their SQL preview, rules checked by the server, the view query preview,
truncate and duplicate, and the options of an auth collection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-collections") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    return superuser_token(server.base)


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with authed_context(browser, server.base, token) as p:
        p.on("dialog", lambda d: d.accept())
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def collection(base: str, token: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = api(base, "GET", f"/api/collections/{name}", token)
    return found


def add_field(dialog: Locator, name: str, kind: str) -> None:
    dialog.locator("#new-field-name").fill(name)
    dialog.locator("#new-field-type").select_option(kind)
    dialog.locator("#add-field").click()


def options(dialog: Locator, field: str) -> Locator:
    dialog.locator(f'[data-options-toggle="{field}"]').click()
    return dialog.locator(f'[data-options-for="{field}"]')


def test_field_options_order_and_indexes(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/collections")
    page.locator("#new-collection").click()
    dialog = page.locator("dialog")
    dialog.locator('input[name="name"]').fill("books")
    add_field(dialog, "title", "text")
    add_field(dialog, "price", "number")
    add_field(dialog, "cover", "file")
    add_field(dialog, "owner", "relation")
    opts = options(dialog, "title")
    opts.get_by_label("Min length").fill("2")
    opts.get_by_label("Pattern (regex)").fill("^[A-Z]")
    opts.get_by_label("Presentable").check()
    opts.get_by_label("Help text").fill("The book's title")
    opts = options(dialog, "price")
    opts.get_by_label("Integers only").check()
    opts.get_by_label("Min", exact=True).fill("0")
    opts = options(dialog, "cover")
    opts.get_by_label("MIME types").fill("image/png, image/jpeg")
    opts.get_by_label("Thumb sizes").fill("100x100")
    opts.get_by_label("Protected").check()
    opts = options(dialog, "owner")
    opts.get_by_label("Related collection").select_option(label="users")
    opts.get_by_label("Delete this record when").check()
    dialog.get_by_label("Move price up").click()  # price before title

    dialog.get_by_role("tab", name="Indexes").click()
    dialog.locator('[data-index-column="title"]').check()
    dialog.locator("#index-unique").check()
    expect(dialog.locator("#index-preview")).to_have_text("CREATE UNIQUE INDEX `idx_books_title` ON `books` (`title`)")
    dialog.locator("#add-index").click()
    expect(dialog.get_by_label("Index 1", exact=True)).to_have_value("CREATE UNIQUE INDEX `idx_books_title` ON `books` (`title`)")
    dialog.locator("#save-collection").click()
    expect(page.locator("dialog")).to_have_count(0)

    books = collection(server.base, token, "books")
    fields = {f["name"]: f for f in books["fields"]}
    names = [f["name"] for f in books["fields"]]
    assert names.index("price") < names.index("title")
    assert fields["title"]["min"] == 2 and fields["title"]["pattern"] == "^[A-Z]" and fields["title"]["presentable"] is True
    assert fields["title"]["help"] == "The book's title"
    assert fields["price"]["onlyInt"] is True
    assert fields["cover"]["mimeTypes"] == ["image/png", "image/jpeg"] and fields["cover"]["thumbs"] == ["100x100"] and fields["cover"]["protected"]
    assert fields["owner"]["collectionId"] == "_pb_users_auth_" and fields["owner"]["cascadeDelete"] is True
    assert any("UNIQUE INDEX `idx_books_title`" in i for i in books["indexes"])


def test_rules_checked_by_the_server_truncate_and_duplicate(page: Page, server: LiveServer, token: str) -> None:
    api(server.base, "POST", "/api/collections", token, json={"name": "notes", "type": "base", "fields": [{"name": "text", "type": "text"}],
                                                                "indexes": ["CREATE INDEX `idx_notes_text` ON `notes` (`text`)"]})
    for i in range(3):
        api(server.base, "POST", "/api/collections/notes/records", token, json={"text": f"n{i}"})
    page.goto("/_/#/collections?collection=notes")
    page.locator("#edit-collection").click()
    dialog = page.locator("dialog")
    dialog.get_by_role("tab", name="API rules").click()
    dialog.locator('input[name="listRule-locked"]').uncheck()
    dialog.get_by_label("listRule").fill("nosuchfield = 1")
    dialog.locator("#save-collection").click()
    expect(dialog.locator('[data-error-for="listRule"]')).not_to_be_empty()
    dialog.get_by_label("listRule").fill("text != ''")
    dialog.locator("#save-collection").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert collection(server.base, token, "notes")["listRule"] == "text != ''"

    page.locator("#edit-collection").click()
    page.locator("#truncate-collection").click()
    expect(page.locator("#page-info")).to_contain_text("0 records")
    page.locator("#edit-collection").click()
    page.locator("#duplicate-collection").click()
    dialog = page.locator("dialog")
    expect(dialog.locator('input[name="name"]')).to_have_value("notes_copy")
    dialog.locator("#save-collection").click()
    expect(page.locator(".page-head h1")).to_contain_text("notes_copy")
    copy = collection(server.base, token, "notes_copy")
    assert [f["name"] for f in copy["fields"]][-1] == "text" and copy["listRule"] == "text != ''"
    assert copy["indexes"] == ["CREATE INDEX `idx_notes_text_copy` ON `notes_copy` (`text`)"]


def test_view_query_preview(page: Page, server: LiveServer, token: str) -> None:
    api(server.base, "POST", "/api/collections", token, json={"name": "pets", "type": "base", "fields": [{"name": "kind", "type": "text"}]})
    api(server.base, "POST", "/api/collections/pets/records", token, json={"kind": "cat"})
    page.goto("/_/#/collections")
    page.locator("#new-collection").click()
    dialog = page.locator("dialog")
    dialog.locator('input[name="name"]').fill("pet_kinds")
    dialog.locator('select[name="type"]').select_option("view")
    dialog.get_by_label("View query").fill("SELECT id, kind FROM pets")
    with page.expect_request(lambda r: r.url.endswith("/api/collections/meta/dry-run-view")) as sent:
        dialog.locator("#preview-view").click()
    assert sent.value.post_data_json == {"query": "SELECT id, kind FROM pets"}
    # the server's dry run: the inferred fields (with their types) and the sample records
    expect(dialog.locator("#view-preview-fields li")).to_have_text(["id text", "kind text"])
    expect(dialog.locator("#view-preview table.sql thead th")).to_have_text(["id", "kind"])
    expect(dialog.locator("#view-preview table.sql tbody tr")).to_contain_text("cat")
    expect(dialog.locator("#view-preview-summary")).to_have_text("2 fields · 1 sample record")
    dialog.get_by_label("View query").fill("SELECT nope FROM pets")
    dialog.locator("#preview-view").click()
    error = dialog.locator("#view-preview .notice.error")
    expect(error).to_contain_text("Invalid view query")  # the server's own message
    expect(error).to_contain_text("no such column: nope")
    expect(dialog.locator("#view-preview table")).to_have_count(0)


def test_auth_collection_options(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/collections?collection=users")
    page.locator("#edit-collection").click()
    dialog = page.locator("dialog")
    dialog.get_by_role("tab", name="API rules").click()
    dialog.get_by_label("authRule").fill("verified = true")
    dialog.get_by_role("tab", name="Auth options").click()
    dialog.get_by_label("Enable sign-in with a one-time password").check()
    dialog.get_by_label("Length", exact=True).fill("6")
    dialog.get_by_label("Require a second method").check()
    dialog.get_by_label("Allow guests to sign in anonymously").check()
    dialog.get_by_label("Auth token", exact=True).fill("3600")
    dialog.get_by_label("Provider to add").select_option("google")
    dialog.locator("#add-provider").click()
    provider = dialog.locator('[data-provider="google"]')
    provider.get_by_label("Client ID").fill("google-client")
    provider.get_by_label("Client secret").fill("google-secret")
    dialog.get_by_label("OAuth2 name →").select_option("name")
    dialog.get_by_label("Enable OAuth2 sign-in").check()
    dialog.locator('[data-template="verificationTemplate"] summary').click()
    dialog.get_by_label("Verification: subject").fill("Please verify {APP_NAME}")
    dialog.locator("#save-collection").click()
    expect(page.locator("dialog")).to_have_count(0)

    users = collection(server.base, token, "users")
    assert users["authRule"] == "verified = true"
    assert users["otp"]["enabled"] is True and users["otp"]["length"] == 6 and users["mfa"]["enabled"] is True
    assert users["authToken"]["duration"] == 3600
    assert users["anonymousAuth"] == {"enabled": True}
    assert users["oauth2"]["enabled"] is True and users["oauth2"]["mappedFields"]["name"] == "name"
    assert [(p["name"], p["clientId"]) for p in users["oauth2"]["providers"]] == [("google", "google-client")]
    assert users["verificationTemplate"]["subject"] == "Please verify {APP_NAME}"

    # saved again without touching the secret: the stored one stays (the form sends it empty)
    page.locator("#edit-collection").click()
    page.locator("dialog #save-collection").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert collection(server.base, token, "users")["oauth2"]["enabled"] is True


def test_api_preview_and_diagram(page: Page, server: LiveServer, token: str) -> None:
    authors = api(server.base, "POST", "/api/collections", token, json={"name": "writers", "type": "base", "listRule": "",
                                                                          "fields": [{"name": "name", "type": "text", "required": True}]})
    api(server.base, "POST", "/api/collections", token, json={"name": "essays", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "writer", "type": "relation", "collectionId": authors["id"], "maxSelect": 1},
        {"name": "reader", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 5}]})
    page.goto("/_/#/collections?collection=writers")
    page.locator("#api-preview").click()
    dialog = page.locator("dialog")
    expect(dialog.locator('[data-endpoint="list"]')).to_contain_text("GET /api/collections/writers/records")
    expect(dialog.locator('[data-endpoint="list"]')).to_contain_text("Everyone")  # listRule ""
    dialog.get_by_role("tab", name="Create").click()
    expect(dialog.locator('[data-endpoint="create"]')).to_contain_text("Superusers only")
    expect(dialog.locator('[data-endpoint="create"] table')).to_contain_text("name *")
    expect(dialog.locator('[data-snippet="js"]')).to_contain_text('pb.collection("writers").create(')
    page.keyboard.press("Escape")

    page.goto("/_/#/collections?collection=users")
    page.locator("#api-preview").click()
    page.locator("dialog").get_by_role("tab", name="Auth with password").click()
    expect(page.locator('[data-endpoint="auth-password"] [data-snippet="curl"]')).to_contain_text("/api/collections/users/auth-with-password")
    page.keyboard.press("Escape")

    page.get_by_role("link", name="Diagram").click()
    erd = page.locator("svg#erd")
    expect(erd.locator('g[data-collection="essays"]')).to_contain_text("writer: relation")
    expect(erd.locator('path[data-from="essays.writer"]')).to_have_attribute("data-to", "writers")
    expect(erd.locator('path[data-from="essays.reader"]')).to_have_attribute("data-to", "users")
    expect(erd.locator('g[data-collection="_mfas"]')).to_have_count(0)  # nothing points to it
    page.locator("#erd-system").check()
    expect(erd.locator('g[data-collection="_mfas"]')).to_have_count(1)


def test_rule_autocomplete(page: Page, server: LiveServer, token: str) -> None:
    api(server.base, "POST", "/api/collections", token, json={"name": "memos", "type": "base", "fields": [
        {"name": "body", "type": "text"}, {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}]})
    page.goto("/_/#/collections?collection=memos")
    expect(page.locator("#edit-collection")).to_be_visible()
    # made after the page listed the collections: the editor fetches relation targets as needed
    countries = api(server.base, "POST", "/api/collections", token, json={"name": "countries", "type": "base", "fields": [
        {"name": "code", "type": "text"}]})
    orgs = api(server.base, "POST", "/api/collections", token, json={"name": "orgs", "type": "base", "fields": [
        {"name": "name", "type": "text"}, {"name": "country", "type": "relation", "collectionId": countries["id"], "maxSelect": 1}]})
    users = collection(server.base, token, "users")
    api(server.base, "PATCH", "/api/collections/users", token, json={"fields": [*users["fields"], {
        "name": "org", "type": "relation", "collectionId": orgs["id"], "maxSelect": 1}]})
    page.locator("#edit-collection").click()
    dialog = page.locator("dialog")
    dialog.get_by_role("tab", name="API rules").click()
    dialog.locator('input[name="listRule-locked"]').uncheck()
    rule = dialog.get_by_label("listRule")
    rule.press_sequentially("@request.a")
    options = dialog.locator('[data-suggest-for="listRule"] [role="option"]')
    expect(options.first).to_have_text("@request.auth.id")
    options.first.click()
    expect(rule).to_have_value("@request.auth.id")
    rule.press_sequentially(" != '' && @collection.mem")
    expect(options.first).to_have_text("@collection.memos.id")
    rule.press("Tab")  # takes the first suggestion
    rule.press_sequentially(" != '' && @request.body.bo")
    options.first.click()
    rule.press_sequentially(":is")
    expect(options).to_have_text(["@request.body.body:isset"])
    options.first.click()
    expect(rule).to_have_value("@request.auth.id != '' && @collection.memos.id != '' && @request.body.body:isset")
    rule.fill("owner.ver")  # through the relation
    rule.press_sequentially("i")
    expect(options).to_have_text(["owner.verified"])
    rule.fill("")
    rule.press_sequentially("owner.org.na")  # two relations deep, to a collection the page never listed
    expect(options).to_have_text(["owner.org.name"])
    rule.fill("owner.org.country.co")  # three deep
    rule.press_sequentially("d")
    expect(options).to_have_text(["owner.org.country.code"])
    rule.fill("@request.auth.org.")
    rule.press_sequentially("n")
    expect(options).to_have_text(["@request.auth.org.name"])
    rule.fill("@collection.memos.owner.org.country.")
    rule.press_sequentially("c")
    expect(options).to_have_text(["@collection.memos.owner.org.country.code"])
    rule.fill("@request.auth.memos_via_o")  # a back-relation: memos whose owner is the auth record
    rule.press_sequentially("w")
    expect(options).to_have_text(["@request.auth.memos_via_owner"])
    rule.fill("owner.memos_via_owner.")
    rule.press_sequentially("b")
    expect(options).to_have_text(["owner.memos_via_owner.body"])
    rule.fill("body.")  # not a relation: nothing past it
    rule.press_sequentially("x")
    expect(options).to_have_count(0)
    # what the suggestions offered is a rule the server accepts
    saved = "@request.auth.id != '' && body ~ 'x' && owner.org.country.code != 'zz' && @request.auth.memos_via_owner.body != ''"
    rule.fill(saved)
    dialog.locator("#save-collection").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert collection(server.base, token, "memos")["listRule"] == saved
