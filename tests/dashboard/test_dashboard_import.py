"""Bulk import of records in real Chromium: a CSV (quoted commas, quotes and line
breaks, a semicolon file) and a JSON file, the column mapping, the progress bar, and
the report of the rows the API refused."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.dashboard.dashboard_support import Browser, api, authed_context, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, LiveServer, satchel, superuser_token

ROWS = 5000  # the newcomer journey's file; sent 50 rows a /api/batch when the batch API is on


def set_batch(base: str, token: str, enabled: bool) -> None:
    api(base, "PATCH", "/api/settings", token, json={"batch": {"enabled": enabled, "maxRequests": 50}})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("dashboard-import") / "pb_data"
    created = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    assert created.returncode == 0, created.stderr
    with serving(data) as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", tok, json={"name": "products", "type": "base", "fields": [
        {"name": "title", "type": "text", "required": True}, {"name": "price", "type": "number", "min": 0},
        {"name": "active", "type": "bool"}, {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
        {"name": "meta", "type": "json"}, {"name": "place", "type": "geoPoint"}]})
    return tok


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with authed_context(browser, server.base, token) as p:
        yield p
        assert p.js_errors == []  # type: ignore[attr-defined]


def products(base: str, token: str, flt: str = "") -> list[dict[str, object]]:
    items: list[dict[str, object]] = api(base, "GET", "/api/collections/products/records", token,
                                         params={"perPage": 1000, "filter": flt, "sort": "@rowid"})["items"]
    return items


def test_csv_import_with_mapping_progress_and_refused_rows(page: Page, server: LiveServer, token: str) -> None:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["Name", "price", "active", "tags", "meta", "place", "ignored"])
    for i in range(ROWS):
        title = "" if i in (10, 20) else f'item {i}, "quoted"\nsecond line'  # two rows miss the required title
        price = "-5" if i == 30 else "abc" if i == 40 else str(i)  # below min, not a number
        w.writerow([title, price, "yes" if i % 2 else "no", "a,b", json.dumps({"n": i}), "2.35, 48.85", "x"])
    page.goto("/_/#/collections?collection=products")
    page.locator("#import-records").click()
    dialog = page.locator("dialog")
    dialog.get_by_label("CSV or JSON file").set_input_files({"name": "products.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()})
    expect(dialog.locator("#import-rows")).to_have_text(f"{ROWS} rows, 7 columns.")
    expect(dialog.get_by_label("Column for price")).to_have_value("price")  # matched by name
    expect(dialog.get_by_label("Column for title")).to_have_value("")  # "Name" is not "title"
    dialog.get_by_label("Column for title").select_option("Name")
    # every value the progress bar shows, to see it move
    page.evaluate("""() => { window.progressSeen = [];
      new MutationObserver(() => { const bar = document.querySelector('#import-progress');
        if (bar) window.progressSeen.push(Number(bar.getAttribute('value'))); })
        .observe(document.body, {subtree: true, childList: true, attributes: true}); }""")
    set_batch(server.base, token, True)
    try:
        started = time.monotonic()
        dialog.locator("#start-import").click()
        expect(dialog.locator("#import-report")).to_have_text(f"{ROWS - 4} created, 4 refused.", timeout=60_000)
        took = time.monotonic() - started
    finally:
        set_batch(server.base, token, False)
    assert took < 30, f"{ROWS} rows took {took:.1f}s"
    assert dialog.locator("#import-progress").get_attribute("value") == str(ROWS)
    seen: list[float] = page.evaluate("window.progressSeen")
    assert seen == sorted(seen) and len(set(seen)) > 10 and 0 < seen[len(seen) // 2] < ROWS, seen[:20]
    refused = dialog.locator("#refused-rows tbody tr")
    expect(refused).to_have_count(4)
    expect(refused.nth(0)).to_contain_text("11")  # rows are numbered from 1
    expect(refused.nth(0)).to_contain_text("title: Cannot be blank.")
    expect(refused.nth(3)).to_contain_text('price: "abc" is not a number')
    with page.expect_download() as info:
        dialog.locator("#download-refused").click()
    assert info.value.suggested_filename == "products_refused.csv"
    page.keyboard.press("Escape")
    expect(page.locator("#page-info")).to_contain_text(f"{ROWS - 4} records")

    first = products(server.base, token, "price = 1")[0]
    assert first["title"] == 'item 1, "quoted"\nsecond line' and first["active"] is True
    assert first["tags"] == ["a", "b"] and first["meta"] == {"n": 1} and first["place"] == {"lon": 2.35, "lat": 48.85}


def test_json_and_semicolon_files(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/collections?collection=products")
    page.locator("#import-records").click()
    dialog = page.locator("dialog")
    rows = [{"title": "from json", "price": 7, "tags": ["c"], "meta": {"deep": [1]}}]
    dialog.get_by_label("CSV or JSON file").set_input_files({"name": "p.json", "mimeType": "application/json", "buffer": json.dumps(rows).encode()})
    dialog.locator("#start-import").click()
    expect(dialog.locator("#import-report")).to_have_text("1 created, 0 refused.")
    record = products(server.base, token, "title = 'from json'")[0]
    assert record["price"] == 7 and record["tags"] == ["c"] and record["meta"] == {"deep": [1]}

    dialog.get_by_label("CSV or JSON file").set_input_files({"name": "p.csv", "mimeType": "text/csv", "buffer": b"title;price\r\nsemi;3\r\n;4\r\n"})
    dialog.locator("#start-import").click()  # one request per row: the batch API is off
    expect(dialog.locator("#import-report")).to_have_text("1 created, 1 refused.")
    expect(dialog.locator("#refused-rows tbody tr")).to_have_text(["2title: Cannot be blank."])
    assert products(server.base, token, "title = 'semi'")[0]["price"] == 3

    dialog.get_by_label("CSV or JSON file").set_input_files({"name": "bad.json", "mimeType": "application/json", "buffer": b"[1, 2]"})
    expect(dialog.locator(".notice.error")).to_contain_text("The JSON must be a list of objects.")
