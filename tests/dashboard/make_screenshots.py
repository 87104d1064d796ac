"""Writes the screenshots of docs/dashboard.md (docs/dashboard/*.jpg) from a throwaway
``satchel serve`` with a small blog in it, at desktop and phone sizes.

    .venv/bin/python -m tests.dashboard.make_screenshots
    .venv/bin/python -m tests.dashboard.make_screenshots --review /tmp/shots   # every page in both themes, to look at
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.dashboard.dashboard_support import api, authed_context, chromium_browser, serving
from tests.e2e.serve_support import EMAIL, PASSWORD, satchel, superuser_token

OUT = Path(__file__).resolve().parents[2] / "docs" / "dashboard"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


BODY = ('<h2>Post {i}</h2>\n<p>Some <strong>bold</strong>, a <span style="color: #e03e2d;">red word</span> and a '
        '<a href="https://pocketbase.io/">link</a>.</p>\n<table style="border-collapse: collapse; width: 100%;" border="1">\n'
        '<tbody>\n<tr>\n<td>tea</td>\n<td>3</td>\n</tr>\n<tr>\n<td>cake</td>\n<td>1</td>\n</tr>\n</tbody>\n</table>')


def seed(base: str, token: str) -> None:
    users = api(base, "GET", "/api/collections/users", token)
    posts = api(base, "POST", "/api/collections", token, json={"name": "posts", "type": "base", "listRule": "", "viewRule": "", "fields": [
        {"name": "title", "type": "text", "required": True, "presentable": True}, {"name": "body", "type": "editor"},
        {"name": "author", "type": "relation", "collectionId": users["id"], "maxSelect": 1},
        {"name": "published", "type": "bool"}, {"name": "tags", "type": "select", "values": ["news", "howto", "release"], "maxSelect": 3},
        {"name": "when", "type": "date"}, {"name": "place", "type": "geoPoint"}]})
    api(base, "POST", "/api/collections", token, json={"name": "comments", "type": "base", "fields": [
        {"name": "post", "type": "relation", "collectionId": posts["id"], "maxSelect": 1, "cascadeDelete": True},
        {"name": "text", "type": "text"}]})
    for i, title in enumerate(["Hello Satchel", "Designing a blog", "Release notes 1.0", "Backups in five minutes", "Search that works"]):
        api(base, "POST", "/api/collections/posts/records", token, json={
            "title": title, "body": BODY.format(i=i), "published": i % 2 == 0, "tags": ["news"] if i % 2 else ["howto", "release"],
            "when": f"2026-0{i + 1}-1{i} 10:00:00.000Z", "place": {"lon": 2.35, "lat": 48.85}})
    api(base, "POST", "/api/backups", token, json={"name": "before_launch.zip"})


def main() -> None:
    # --review DIR: the same pages in the light and the dark theme, into DIR (not the docs' small set)
    review = Path(sys.argv[2]) if sys.argv[1:2] == ["--review"] else None
    out = review or OUT
    out.mkdir(exist_ok=True, parents=True)
    schemes = ["light", "dark"] if review else ["light"]
    data = Path(tempfile.mkdtemp()) / "pb_data"
    satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={data}")
    with serving(data) as live, chromium_browser() as browser:
        token = superuser_token(live.base)
        seed(live.base, token)
        shots = [("records", "collections?collection=posts"), ("logs", "logs"), ("settings-backups", "settings/backups"),
                 ("sql", "sql"), ("diagram", "erd"), ("settings-application", "settings/application")]
        for scheme, (size, viewport) in [(c, v) for c in schemes for v in [("desktop", DESKTOP), ("phone", PHONE)]]:
            if scheme == "dark":
                size += "-dark"
            with authed_context(browser, live.base, token, viewport=viewport, color_scheme=scheme) as page:
                for name, path in shots:
                    page.goto(f"/_/#/{path}")
                    page.wait_for_timeout(800)
                    page.screenshot(path=str(out / f"{name}-{size}.jpg"), type="jpeg", quality=70)
                page.goto("/_/#/collections?collection=posts")
                page.wait_for_timeout(500)
                page.locator("tbody tr").first.click()
                page.locator('[data-rich="body"][data-ready="true"]').wait_for(state="attached", timeout=30_000)
                page.locator('[data-map="place"][data-ready="true"]').wait_for(state="attached", timeout=30_000)
                page.locator('[data-rich="body"]').scroll_into_view_if_needed()
                page.wait_for_timeout(800)
                page.screenshot(path=str(out / f"record-form-{size}.jpg"), type="jpeg", quality=70)
                page.locator('[data-map="place"]').scroll_into_view_if_needed()
                page.wait_for_timeout(800)
                page.screenshot(path=str(out / f"record-form-map-{size}.jpg"), type="jpeg", quality=70)
                page.keyboard.press("Escape")
                page.locator("#edit-collection").click()
                page.wait_for_timeout(500)
                page.screenshot(path=str(out / f"collection-editor-{size}.jpg"), type="jpeg", quality=70)
                page.keyboard.press("Escape")
                page.goto("/_/#/realtime?collection=posts")
                page.locator("#realtime-state", has_text="live").wait_for()
                made = api(live.base, "POST", "/api/collections/posts/records", token, json={"title": f"Live from the {size}"})
                api(live.base, "PATCH", f"/api/collections/posts/records/{made['id']}", token, json={"published": True})
                page.locator("#realtime-feed li").nth(1).wait_for()
                page.locator("#realtime-clients", has_text="connected").wait_for()
                page.screenshot(path=str(out / f"realtime-{size}.jpg"), type="jpeg", quality=70)
                page.goto("/_/#/collections?collection=posts")
                page.locator("#import-records").click()
                rows = "".join(f"Imported post {i},{'yes' if i % 2 else 'no'}\r\n" for i in range(500))
                page.locator("dialog").get_by_label("CSV or JSON file").set_input_files(
                    {"name": "posts.csv", "mimeType": "text/csv", "buffer": ("title,published\r\n" + rows + ",no\r\n").encode()})
                page.locator("#start-import").click()
                page.locator("#import-report").wait_for()
                page.screenshot(path=str(out / f"import-{size}.jpg"), type="jpeg", quality=70)
                page.keyboard.press("Escape")
        with authed_context(browser, live.base, token, viewport=DESKTOP, color_scheme="dark") as page:
            page.goto("/_/#/collections?collection=posts")
            page.wait_for_timeout(800)
            page.screenshot(path=str(out / "records-dark.jpg"), type="jpeg", quality=70)


if __name__ == "__main__":
    main()
