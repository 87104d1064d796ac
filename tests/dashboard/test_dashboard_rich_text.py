"""The record form's rich-text editor (TinyMCE, vendored): stored HTML with images, a table,
coloured spans and links survives open-edit-save with only the typed text added, an untouched
field is not sent back, and stored scripts or ``onerror=`` never run in the editor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api
from tests.dashboard.widget_support import superuser_server, watched_page
from tests.e2e.serve_support import LiveServer, superuser_token

# in the form TinyMCE writes HTML (one block a line, `style` as "name: value;"), so an exact
# comparison is fair; images from the dashboard itself, so the page makes no failed request
RICH = "\n".join([
    '<h2>Report <span style="color: #e03e2d;">in red</span></h2>',
    '<p>Text with a <a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener">link</a>, '
    '<strong>bold</strong>, <em>italic</em> and <span style="background-color: #fbeeb8;">a highlight</span>.</p>',
    '<p><img src="/_/favicon.svg" alt="the logo" width="32" height="32"> <img class="wide" src="data:image/gif;base64,'
    'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" alt="a dot"></p>',
    '<table style="border-collapse: collapse; width: 100%;" border="1">',
    "<thead>",
    "<tr>",
    '<th style="width: 50%;">Name</th>',
    "<th>Qty</th>",
    "</tr>",
    "</thead>",
    "<tbody>",
    "<tr>",
    '<td><span style="color: #169179;">green</span> tea</td>',
    '<td style="text-align: right;">3</td>',
    "</tr>",
    "<tr>",
    "<td>caf\u00e9 &amp; cake</td>",
    "<td>1</td>",
    "</tr>",
    "</tbody>",
    "</table>",
    "<ul>",
    "<li>one</li>",
    '<li>two <a href="mailto:x@example.com">mail</a></li>',
    "</ul>",
    "<blockquote>",
    "<p>quoted</p>",
    "</blockquote>",
    "<p>The end.</p>",
])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with superuser_server(tmp_path_factory, "dashboard-rich-text") as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", tok, json={"name": "notes", "type": "base", "fields": [
        {"name": "title", "type": "text"}, {"name": "body", "type": "editor"}]})
    return tok


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with watched_page(browser, server.base, token) as p:
        yield p


def open_record(page: Page, record_id: str) -> None:
    page.goto(f"/_/#/collections?collection=notes&filter=id%3D'{record_id}'", wait_until="domcontentloaded")
    page.locator(f'tr[data-id="{record_id}"]').click()
    expect(page.locator('[data-rich="body"][data-ready="true"]')).to_have_count(1, timeout=30_000)  # 1.2 MB of script on a busy machine


def body_of(server: LiveServer, token: str, record_id: str) -> str:
    return str(api(server.base, "GET", f"/api/collections/notes/records/{record_id}", token)["body"])


def save(page: Page) -> None:
    page.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)


def test_images_table_colours_and_links_survive_an_edit(page: Page, server: LiveServer, token: str) -> None:
    record = api(server.base, "POST", "/api/collections/notes/records", token, json={"title": "rich", "body": RICH})
    open_record(page, record["id"])
    frame = page.frame_locator('[data-rich="body"] iframe')
    expect(frame.locator("table td")).to_have_count(4)
    expect(frame.locator("img")).to_have_count(2)
    # the colour is shown, not only kept
    assert frame.locator("h2 span").evaluate("(s) => getComputedStyle(s).color") == "rgb(224, 62, 45)"

    save(page)  # untouched: not sent, so not rewritten
    assert body_of(server, token, record["id"]) == RICH

    open_record(page, record["id"])
    frame.locator("p", has_text="The end.").click()
    page.keyboard.press("End")
    page.keyboard.type(" Typed here.")
    save(page)
    assert body_of(server, token, record["id"]) == RICH.replace("The end.", "The end. Typed here.")


def test_toolbar_formats_typed_text(page: Page, server: LiveServer, token: str) -> None:
    record = api(server.base, "POST", "/api/collections/notes/records", token, json={"title": "plain", "body": "<p>start</p>"})
    open_record(page, record["id"])
    page.frame_locator('[data-rich="body"] iframe').locator("p").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Bold", exact=True).click()
    page.keyboard.type("strong words")
    save(page)
    assert body_of(server, token, record["id"]) == "<p>start</p>\n<p><strong>strong words</strong></p>"


def test_stored_scripts_never_run_in_the_editor(page: Page, server: LiveServer, token: str) -> None:
    evil = ('<p>safe <b>bold</b></p><img src="/_/favicon.svg" onerror="window.parent.__pwned = 1" onload="window.parent.__pwned = 3">'
            '<script>window.parent.__pwned = 2</script><a href="javascript:window.parent.__pwned = 4">js</a>'
            '<svg><script>window.parent.__pwned = 5</script></svg>')
    record = api(server.base, "POST", "/api/collections/notes/records", token, json={"title": "evil", "body": evil})
    open_record(page, record["id"])
    frame = page.frame_locator('[data-rich="body"] iframe')
    expect(frame.locator("body")).to_contain_text("safe bold")
    frame.locator("a", has_text="js").click()
    assert page.evaluate("window.__pwned") is None
    assert frame.locator("script, [onerror], [onload]").count() == 0
    assert frame.locator("a").get_attribute("href") is None

    save(page)  # untouched: the stored HTML is left as it is
    assert body_of(server, token, record["id"]) == evil
    open_record(page, record["id"])
    frame.locator("p").first.click()
    page.keyboard.press("End")
    page.keyboard.type("!")
    save(page)
    body = body_of(server, token, record["id"])
    assert body.startswith("<p>safe <strong>bold!</strong></p>")  # typed at the end of the bold word
    assert "onerror" not in body and "onload" not in body and "<script" not in body and "javascript:" not in body
    assert page.evaluate("window.__pwned") is None
    # Chromium reports each on*= attribute it meets while parsing (even in an inert DOMParser
    # document) as refused by the CSP: those reports, and only those, are expected here
    refused = [e for e in page.console_errors if e.startswith("Executing inline event handler violates")]  # type: ignore[attr-defined]
    assert refused and len(refused) == len(page.console_errors)  # type: ignore[attr-defined]
    page.console_errors.clear()  # type: ignore[attr-defined]
