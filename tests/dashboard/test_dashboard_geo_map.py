"""The record form's geoPoint map (Leaflet, vendored, OpenStreetMap tiles routed to a local PNG):
a click on the map or a drag of the marker sets the saved coordinates, the inputs stay editable
and move the marker, and the page makes no failed request and logs no error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.dashboard.dashboard_support import Browser, api
from tests.dashboard.widget_support import superuser_server, watched_page
from tests.e2e.serve_support import LiveServer, superuser_token

# at zoom 12 a pixel is 360 / (256 * 2**12) degrees of longitude
DEGREES_PER_PIXEL = 360 / (256 * 2**12)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with superuser_server(tmp_path_factory, "dashboard-geo") as live:
        yield live


@pytest.fixture(scope="module")
def token(server: LiveServer) -> str:
    tok = superuser_token(server.base)
    api(server.base, "POST", "/api/collections", tok, json={"name": "places", "type": "base", "fields": [
        {"name": "name", "type": "text"}, {"name": "spot", "type": "geoPoint"}]})
    return tok


@pytest.fixture
def page(browser: Browser, server: LiveServer, token: str) -> Iterator[Page]:
    with watched_page(browser, server.base, token) as p:
        p.tiles = []  # type: ignore[attr-defined]
        p.on("requestfinished", lambda r: p.tiles.append(r.url) if "tile.openstreetmap.org" in r.url else None)  # type: ignore[attr-defined]
        yield p


def open_place(page: Page, record_id: str) -> Locator:
    page.goto(f"/_/#/collections?collection=places&filter=id%3D'{record_id}'", wait_until="domcontentloaded")
    page.locator(f'tr[data-id="{record_id}"]').click()
    dialog = page.locator("dialog").first
    expect(dialog.locator('[data-map="spot"][data-ready="true"]')).to_have_count(1, timeout=30_000)
    return dialog


def saved(server: LiveServer, token: str, record_id: str) -> dict[str, float]:
    spot: dict[str, float] = api(server.base, "GET", f"/api/collections/places/records/{record_id}", token)["spot"]
    return spot


def test_clicking_the_map_sets_the_saved_point(page: Page, server: LiveServer, token: str) -> None:
    record = api(server.base, "POST", "/api/collections/places/records", token, json={"name": "Paris", "spot": {"lon": 2.35, "lat": 48.85}})
    dialog = open_place(page, record["id"])
    the_map = dialog.locator('[data-map="spot"]')
    expect(the_map.locator("img.leaflet-tile-loaded").first).to_be_visible()  # the routed tiles, shown
    assert page.tiles and all(u.startswith("https://tile.openstreetmap.org/12/") for u in page.tiles)  # type: ignore[attr-defined]
    expect(the_map.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")

    box = the_map.bounding_box()
    assert box is not None
    the_map.click(position={"x": box["width"] / 2 + 100, "y": box["height"] / 2})  # 100 px east of the marker
    lon = float(dialog.get_by_label("Longitude").input_value())
    lat = float(dialog.get_by_label("Latitude").input_value())
    assert abs(lon - (2.35 + 100 * DEGREES_PER_PIXEL)) < 3 * DEGREES_PER_PIXEL and abs(lat - 48.85) < 0.001
    dialog.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert saved(server, token, record["id"]) == {"lon": lon, "lat": lat}


def test_dragging_the_marker_and_typing(page: Page, server: LiveServer, token: str) -> None:
    record = api(server.base, "POST", "/api/collections/places/records", token, json={"name": "Oslo", "spot": {"lon": 10.75, "lat": 59.91}})
    dialog = open_place(page, record["id"])
    marker = dialog.locator(".leaflet-marker-icon")
    start = marker.bounding_box()
    assert start is not None
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 30, y + 20, steps=5)
    page.mouse.move(x - 60, y + 40, steps=5)
    page.mouse.up()
    lon = float(dialog.get_by_label("Longitude").input_value())
    lat = float(dialog.get_by_label("Latitude").input_value())
    assert lon < 10.75 - 40 * DEGREES_PER_PIXEL and lat < 59.91  # west and south

    # the inputs stay editable, and the marker follows them
    dialog.get_by_label("Longitude").fill("10.8")
    dialog.get_by_label("Latitude").fill("59.95")
    expect(dialog.locator('[data-map-link="spot"]')).to_have_attribute("href", "https://www.openstreetmap.org/?mlat=59.95&mlon=10.8#map=12/59.95/10.8")
    moved = marker.bounding_box()
    assert moved is not None and (moved["x"], moved["y"]) != (start["x"] - 60, start["y"] + 40)
    dialog.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    assert saved(server, token, record["id"]) == {"lon": 10.8, "lat": 59.95}


def test_a_new_record_starts_on_the_world_and_takes_a_click(page: Page, server: LiveServer, token: str) -> None:
    page.goto("/_/#/collections?collection=places")
    page.get_by_role("button", name="New record").click()
    dialog = page.locator("dialog").first
    expect(dialog.locator('[data-map="spot"][data-ready="true"]')).to_have_count(1, timeout=30_000)
    dialog.locator('input[name="name"]').fill("clicked")
    the_map = dialog.locator('[data-map="spot"]')
    box = the_map.bounding_box()
    assert box is not None
    the_map.click(position={"x": box["width"] / 2 - 80, "y": box["height"] / 2 - 50})  # north-west of 0,0
    dialog.locator("#save-record").click()
    expect(page.locator("dialog")).to_have_count(0)
    made = api(server.base, "GET", "/api/collections/places/records", token, params={"filter": "name = 'clicked'"})["items"][0]
    assert made["spot"]["lon"] < 0 < made["spot"]["lat"]
