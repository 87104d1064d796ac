"""Files end to end in-process (spec 06): multipart uploads with every modifier, validation,
storage layout and cleanup, downloads (headers, ranges, 304), thumbs, protected files, bad
input, and a pb_data written by PocketBase 0.40.6."""

from __future__ import annotations

import asyncio
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from PIL import Image
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from tests.conftest import FIXTURES

POSTS_FIELDS = [
    {"name": "title", "type": "text"},
    {"name": "cover", "type": "file", "maxSelect": 1, "maxSize": 1048576, "thumbs": ["100x50f", "0x50"],
     "mimeTypes": ["image/png", "image/jpeg", "text/plain"]},
    {"name": "docs", "type": "file", "maxSelect": 5},
    {"name": "secretdoc", "type": "file", "maxSelect": 1, "protected": True},
]


def png(size: tuple[int, int] = (400, 300), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (400, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "JPEG")
    return out.getvalue()


def make_posts(su: TestClient, **rules: Any) -> dict[str, Any]:
    body = {"name": "posts", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "deleteRule": "", "fields": POSTS_FIELDS, "indexes": ["CREATE UNIQUE INDEX idx_title ON posts (title)"]}
    body.update(rules)
    r = su.post("/api/collections", json=body)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def storage_files(app: App) -> list[str]:
    app.files.drain()
    root = app.config.data_dir / "storage"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def posts(su: TestClient) -> dict[str, Any]:
    return make_posts(su)


def create(client: TestClient, files: list[tuple[str, tuple[str, bytes, str]]], **data: Any) -> httpx.Response:
    return client.post("/api/collections/posts/records", data={"title": "hello", **data}, files=files)


# -- uploads (spec 06 §2) ---------------------------------------------------------------------


def test_captured_upload_sequence(app: App, su: TestClient, posts: dict[str, Any]) -> None:
    cid = posts["id"]
    r = create(su, [("cover", ("red.png", png(), "image/png")), ("docs", ("My Doc (final).txt", b"doc one", "text/plain")),
                    ("docs", ("doc2.txt", b"doc two", "text/plain")), ("secretdoc", ("doc2.txt", b"secret", "text/plain"))])
    assert r.status_code == 200, r.text
    rec = r.json()
    rid = rec["id"]
    assert rec["cover"].startswith("red_") and rec["cover"].endswith(".png")
    assert [d.split("_")[0] for d in rec["docs"]] == ["my", "doc2"] and rec["docs"][0].startswith("my_doc_final_")
    red = rec["cover"]
    attrs = orjson.loads((app.config.data_dir / f"storage/{cid}/{rid}/{red}.attrs").read_bytes())
    assert attrs["user.content_type"] == "image/png"
    assert attrs["user.metadata"] == {"original-filename": "red.png"}
    # a thumb of the old cover, to see its directory go with it
    assert su.get(f"/api/files/posts/{rid}/{red}?thumb=100x100").status_code == 200
    assert f"{cid}/{rid}/thumbs_{red}/100x100_{red}" in storage_files(app)

    url = f"/api/collections/posts/records/{rid}"
    r = su.patch(url, files=[("cover", ("blue.png", png(color="blue"), "image/png"))])
    assert r.status_code == 200, r.text
    blue = r.json()["cover"]
    assert blue.startswith("blue_")
    files = storage_files(app)
    assert not any(red in f for f in files), files

    r = su.patch(url, files=[("docs+", ("page.html", b"<html><body>x</body></html>", "text/html"))])
    docs = r.json()["docs"]
    assert len(docs) == 3 and docs[2].startswith("page_") and docs[2].endswith(".html")
    page = docs[2]
    r = su.patch(url, files=[("+docs", ("red.png", png(), "image/png"))])
    docs = r.json()["docs"]
    assert len(docs) == 4 and docs[0].startswith("red_")
    doc2 = docs[2]
    r = su.patch(url, json={"docs-": [doc2]})
    assert doc2 not in r.json()["docs"]
    r = su.patch(url, json={"cover": None})
    assert r.json()["cover"] == ""
    r = su.patch(url, data={"docs": page}, files=[("docs", ("doc2.txt", b"again", "text/plain"))])
    docs = r.json()["docs"]
    assert docs[0] == page and len(docs) == 2 and docs[1].startswith("doc2_")
    r = su.patch(url, json={"docs": [page]})
    assert r.json()["docs"] == [page]
    r = su.patch(url, data={"docs-": page})
    assert r.json()["docs"] == []
    r = su.patch(url, files=[("title", ("doc2.txt", b"ignored", "text/plain"))])
    assert r.status_code == 200 and r.json()["title"] == "hello"
    remaining = [f for f in storage_files(app) if not f.endswith(".attrs")]
    secret = rec["secretdoc"]
    assert remaining == [f"{cid}/{rid}/{secret}"]


def test_json_clears_and_single_keeps_last(su: TestClient, posts: dict[str, Any], app: App) -> None:
    r = create(su, [("cover", ("first.png", png(), "image/png")), ("cover", ("second.png", png(), "image/png")),
                    ("docs", ("a.txt", b"a", "text/plain"))])
    assert r.status_code == 200, r.text
    rec = r.json()
    assert rec["cover"].startswith("second_")
    r = su.patch(f"/api/collections/posts/records/{rec['id']}", json={"docs": [], "cover": ""})
    assert r.status_code == 200
    assert (r.json()["docs"], r.json()["cover"]) == ([], "")
    assert storage_files(app) == []


def test_validation_errors(su: TestClient, posts: dict[str, Any], app: App) -> None:
    too_many = [("docs", (f"d{i}.txt", b"x", "text/plain")) for i in range(6)]
    r = create(su, too_many)
    assert r.status_code == 400
    assert r.json()["data"]["docs"] == {"code": "validation_too_many_files", "message": "The maximum allowed files is 5.",
                                        "params": {"maxSelect": 5}}
    r = create(su, [("cover", ("bigimg.png", png() + b"\x00" * 1048576, "image/png"))])
    assert r.json()["data"]["cover"] == {
        "code": "validation_file_size_limit",
        "message": "Failed to upload bigimg.png - the maximum allowed file size is 1048576 bytes.",
        "params": {"file": "bigimg.png", "maxSize": 1048576},
    }
    # the MIME type comes from the content, not from the name or the part's Content-Type
    r = create(su, [("cover", ("evil.png", b"<html><body>x</body></html>", "image/png"))])
    err = r.json()["data"]["cover"]
    assert err["code"] == "validation_invalid_mime_type"
    assert err["message"].endswith('mime type must be one of: image/png, image/jpeg, text/plain.')
    r = create(su, [("cover", ("disguised.txt", png(), "text/plain"))])
    assert r.status_code == 200, r.text
    rid = r.json()["id"]
    r = su.patch(f"/api/collections/posts/records/{rid}", json={"docs": ["evil.txt"]})
    assert r.json()["data"]["docs"] == {"code": "validation_invalid_file", "message": "Invalid new files: [evil.txt].",
                                        "params": {"invalidFiles": ["evil.txt"]}}
    # only the accepted record's file is on disk: nothing of the rejected writes
    cover = su.get(f"/api/collections/posts/records/{rid}").json()["cover"]
    assert [f for f in storage_files(app) if not f.endswith(".attrs")] == [f"{posts['id']}/{rid}/{cover}"]


def test_required_file(su: TestClient, app: App) -> None:
    r = su.post("/api/collections", json={"name": "req", "type": "base", "createRule": "",
                                           "fields": [{"name": "f", "type": "file", "required": True}]})
    assert r.status_code == 200, r.text
    r = su.post("/api/collections/req/records", data={"x": "1"})
    assert r.json()["data"]["f"]["code"] == "validation_required"


def test_failed_db_write_leaves_no_file(su: TestClient, posts: dict[str, Any], app: App) -> None:
    assert create(su, [("cover", ("a.png", png(), "image/png"))], title="same").status_code == 200
    before = storage_files(app)
    r = create(su, [("cover", ("b.png", png(), "image/png")), ("docs", ("x.txt", b"x", "text/plain"))], title="same")
    assert r.status_code == 400
    assert r.json()["data"]["title"]["code"] == "validation_not_unique"
    assert storage_files(app) == before


def test_batch_rollback_removes_uploads(su: TestClient, posts: dict[str, Any], app: App) -> None:
    r = su.patch("/api/settings", json={"batch": {"enabled": True, "maxRequests": 10, "timeout": 5}})
    assert r.status_code == 200
    payload = {"requests": [
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "one"}},
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "one"}},
    ]}
    r = su.post("/api/batch", data={"@jsonPayload": orjson.dumps(payload).decode()},
                files=[("requests.0.cover", ("a.png", png(), "image/png")), ("requests.1.docs", ("b.txt", b"b", "text/plain"))])
    assert r.status_code == 400, r.text
    assert storage_files(app) == []
    payload["requests"][1]["body"] = {"title": "two"}
    r = su.post("/api/batch", data={"@jsonPayload": orjson.dumps(payload).decode()},
                files=[("requests.0.cover", ("alpha.png", png(), "image/png")), ("requests.1.docs", ("beta.txt", b"b", "text/plain"))])
    assert r.status_code == 200, r.text
    assert r.json()[0]["body"]["cover"].startswith("alpha_") and r.json()[1]["body"]["docs"][0].startswith("beta_")
    assert len([f for f in storage_files(app) if not f.endswith(".attrs")]) == 2


def test_truncated_multipart_is_a_400(client: TestClient, posts: dict[str, Any], app: App) -> None:
    body = b'--XyZ\r\nContent-Disposition: form-data; name="docs"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhalf'
    r = client.post("/api/collections/posts/records", content=body,
                    headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert 400 <= r.status_code < 500
    assert storage_files(app) == []


def _multipart(parts: list[tuple[str, str, bytes]], boundary: str = "XyZbOuNdArY") -> tuple[bytes, dict[str, str]]:
    """A raw multipart body (the file name bytes go out exactly as given)."""
    out = b""
    for name, filename, data in parts:
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"".encode()
                + filename.encode() + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + data + b"\r\n")
    out += f"--{boundary}--\r\n".encode()
    return out, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_names_with_separators_and_control_chars(su: TestClient, posts: dict[str, Any], app: App) -> None:
    body, headers = _multipart([("docs", "../../etc/pass\x01wd.txt", b"x"), ("docs", "..\\..\\win\x7f.txt", b"y"),
                                ("docs", "/abs/\tname.txt", b"z")])
    r = su.post("/api/collections/posts/records", content=body, headers=headers)
    assert r.status_code == 200, r.text
    docs = r.json()["docs"]
    assert len(docs) == 3
    assert all("/" not in d and "\\" not in d and "\x01" not in d and not d.startswith(".") for d in docs)
    for f in storage_files(app):
        assert f.startswith(f"{posts['id']}/{r.json()['id']}/")
    root = app.config.data_dir / "storage"
    attrs = [orjson.loads((root / f).read_bytes()) for f in storage_files(app) if f.endswith(".attrs")]
    assert sorted(a["user.metadata"]["original-filename"] for a in attrs) == ["name.txt", "passwd.txt", "win.txt"]


# -- deletion ----------------------------------------------------------------------------------------


def test_record_and_collection_deletion_remove_files(su: TestClient, posts: dict[str, Any], app: App) -> None:
    a = create(su, [("docs", ("a.txt", b"a", "text/plain"))], title="aaa").json()
    b = create(su, [("docs", ("b.txt", b"b", "text/plain"))], title="bbb").json()
    assert su.delete(f"/api/collections/posts/records/{a['id']}").status_code == 204
    assert all(f.startswith(f"{posts['id']}/{b['id']}/") for f in storage_files(app))
    app.files.delete_collection_files(posts["id"])
    assert storage_files(app) == []


# -- downloads (spec 06 §5) ------------------------------------------------------------------------


@pytest.fixture
def record(su: TestClient, posts: dict[str, Any]) -> dict[str, Any]:
    r = create(su, [("cover", ("red.png", png(), "image/png")), ("docs", ("doc.txt", b"0123456789" * 10, "text/plain")),
                    ("docs", ("pic.jpg", jpeg(), "image/jpeg")), ("secretdoc", ("s.txt", b"top secret\n", "text/plain"))])
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_download_headers(client: TestClient, record: dict[str, Any]) -> None:
    r = client.get(f"/api/files/posts/{record['id']}/{record['cover']}")
    assert r.status_code == 200
    assert r.content == png()
    h = r.headers
    assert h["content-type"] == "image/png"
    assert h["content-disposition"] == f'inline; filename="{record["cover"]}"'
    assert h["cache-control"] == "max-age=2592000, stale-while-revalidate=86400"
    assert h["content-security-policy"] == "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
    assert h["accept-ranges"] == "bytes"
    assert h["content-length"] == str(len(png()))
    assert h["last-modified"].endswith(" GMT")
    assert "x-frame-options" not in h
    assert h["x-content-type-options"] == "nosniff"
    doc = record["docs"][0]
    r = client.get(f"/api/files/{record['collectionId']}/{record['id']}/{doc}")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="{doc}"'
    r = client.get(f"/api/files/posts/{record['id']}/{record['cover']}?download=1")
    assert r.headers["content-disposition"].startswith("attachment;")
    r = client.head(f"/api/files/posts/{record['id']}/{record['cover']}")
    assert r.status_code == 200 and r.content == b"" and r.headers["content-length"] == str(len(png()))


def test_ranges_and_conditional_requests(client: TestClient, record: dict[str, Any]) -> None:
    url = f"/api/files/posts/{record['id']}/{record['docs'][0]}"
    r = client.get(url, headers={"Range": "bytes=5-14"})
    assert r.status_code == 206
    assert r.content == b"5678901234"
    assert r.headers["content-range"] == "bytes 5-14/100"
    r = client.get(url, headers={"Range": "bytes=-3"})
    assert (r.status_code, r.content) == (206, b"789")
    r = client.get(url, headers={"Range": "bytes=500-"})
    assert r.status_code == 416
    last_modified = client.get(url).headers["last-modified"]
    r = client.get(url, headers={"If-Modified-Since": last_modified})
    assert r.status_code == 304 and r.content == b""
    r = client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert r.status_code == 200


def test_not_found_cases(client: TestClient, su: TestClient, record: dict[str, Any]) -> None:
    other = create(su, [("docs", ("o.txt", b"o", "text/plain"))], title="other").json()
    not_found = {"data": {}, "message": "The requested resource wasn't found.", "status": 404}
    r = client.get(f"/api/files/nope/{record['id']}/{record['cover']}")
    assert r.json() == {"data": {}, "message": "Missing or invalid collection context.", "status": 404}
    for url in (f"/api/files/posts/missing00000000/{record['cover']}",
                f"/api/files/posts/{record['id']}/missing.png",
                f"/api/files/posts/{record['id']}/{other['docs'][0]}",
                f"/api/files/posts/{record['id']}/..%2F..%2Fdata.db"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["data"] == {}
        if "%2F" not in url:
            assert r.json() == not_found


# -- thumbs (spec 06 §5.1) --------------------------------------------------------------------------


def _size(r: httpx.Response) -> tuple[int, int]:
    return Image.open(io.BytesIO(r.content)).size


@pytest.mark.parametrize(
    ("thumb", "size", "served_as"),
    [
        ("100x100", (100, 100), "100x100"),
        ("100x50f", (66, 50), "100x50f"),
        ("0x50", (67, 50), "0x50"),
        ("100x100!", (100, 100), "100x100"),
        ("100x", (100, 75), "100x0"),
        ("x100", (133, 100), "0x100"),
        ("50x50", (400, 300), None),  # not listed: the original
        ("0x0", (400, 300), None),
        ("garbage", (400, 300), None),
    ],
)
def test_thumb_sizes(client: TestClient, app: App, record: dict[str, Any], thumb: str, size: tuple[int, int],
                     served_as: str | None) -> None:
    cover = record["cover"]
    r = client.get(f"/api/files/posts/{record['id']}/{cover}?thumb={thumb}")
    assert r.status_code == 200
    assert _size(r) == size
    name = f"{served_as}_{cover}" if served_as else cover
    assert r.headers["content-disposition"] == f'inline; filename="{name}"'
    if served_as:
        assert f"{record['collectionId']}/{record['id']}/thumbs_{cover}/{served_as}_{cover}" in storage_files(app)


def test_thumb_of_jpeg_and_of_non_images(client: TestClient, app: App, record: dict[str, Any]) -> None:
    pic = record["docs"][1]
    r = client.get(f"/api/files/posts/{record['id']}/{pic}?thumb=100x100")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg" and _size(r) == (100, 100)
    doc = record["docs"][0]
    r = client.get(f"/api/files/posts/{record['id']}/{doc}?thumb=100x100")
    assert r.status_code == 200 and r.content == b"0123456789" * 10


def test_corrupt_image_serves_the_original(su: TestClient, client: TestClient, posts: dict[str, Any]) -> None:
    broken = png()[:80]
    rec = create(su, [("cover", ("broken.png", broken, "image/png"))]).json()
    r = client.get(f"/api/files/posts/{rec['id']}/{rec['cover']}?thumb=100x100")
    assert r.status_code == 200
    assert r.content == broken


def test_concurrent_requests_make_one_thumb(app: App, record: dict[str, Any]) -> None:
    url = f"/api/files/posts/{record['id']}/{record['docs'][1]}?thumb=100x100"

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=build_asgi(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return list(await asyncio.gather(*(c.get(url) for _ in range(12))))

    before = app.files.thumbs_made
    responses = asyncio.run(run())
    assert all(r.status_code == 200 and _size(r) == (100, 100) for r in responses)
    assert len({r.content for r in responses}) == 1
    assert app.files.thumbs_made - before == 1


# -- protected files (spec 06 §6) -------------------------------------------------------------------


def _file_token(client: TestClient, auth: str) -> str:
    r = client.post("/api/files/token", headers={"Authorization": auth})
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


def test_protected_files(app: App, su: TestClient, posts: dict[str, Any], user_token: str) -> None:
    r = su.patch("/api/collections/posts", json={"viewRule": '@request.auth.id != ""'})
    assert r.status_code == 200
    rec = create(su, [("secretdoc", ("s.txt", b"top secret\n", "text/plain")), ("docs", ("open.txt", b"open", "text/plain"))]).json()
    url = f"/api/files/posts/{rec['id']}/{rec['secretdoc']}"
    guest = TestClient(build_asgi(app))
    assert guest.get(url).status_code == 404
    assert guest.get(f"{url}?token={user_token}").status_code == 404  # an auth token is not a file token
    assert guest.get(url, headers={"Authorization": user_token}).status_code == 404
    file_token = _file_token(guest, user_token)
    r = guest.get(f"{url}?token={file_token}")
    assert (r.status_code, r.content) == (200, b"top secret\n")
    assert guest.get(f"/api/files/posts/{rec['id']}/{rec['docs'][0]}").status_code == 200  # not protected
    # viewRule null: superusers only
    assert su.patch("/api/collections/posts", json={"viewRule": None}).status_code == 200
    assert guest.get(f"{url}?token={file_token}").status_code == 404
    su_file_token = _file_token(guest, str(su.headers["Authorization"]))
    assert guest.get(f"{url}?token={su_file_token}").status_code == 200
    # viewRule "": anyone
    assert su.patch("/api/collections/posts", json={"viewRule": ""}).status_code == 200
    assert guest.get(url).status_code == 200
    # a rule on the record itself, with @request.context
    rule = 'title = "hello" && @request.context = "protectedFile"'
    assert su.patch("/api/collections/posts", json={"viewRule": rule}).status_code == 200
    assert guest.get(url).status_code == 200
    assert su.patch("/api/collections/posts", json={"viewRule": 'title = "other"'}).status_code == 200
    assert guest.get(url).status_code == 404


# -- a pb_data written by PocketBase -----------------------------------------------------------------


@pytest.fixture
def pb_client(tmp_path: Path) -> Iterator[TestClient]:
    data_dir = tmp_path / "pb_data"
    shutil.copytree(FIXTURES / "pb_data_040", data_dir)
    application = App(Config(data_dir=data_dir))
    with TestClient(build_asgi(application)) as c:
        yield c
    application.close()


def test_pocketbase_files_are_served(pb_client: TestClient) -> None:
    from tests.oracle import load

    base = "/api/files/posts/post00000000001"
    r = pb_client.get(f"{base}/cover_s9oplx6ebd.png")
    assert (r.status_code, r.headers["content-type"]) == (200, "image/png")
    assert r.content.startswith(b"\x89PNG")
    r = pb_client.get(f"{base}/notes_jvuvtf3xmv.txt")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="notes_jvuvtf3xmv.txt"'
    r = pb_client.get(f"{base}/cover_s9oplx6ebd.png?thumb=100x100")
    assert (r.status_code, _size(r)) == (200, (100, 100))
    for entry in load("pb_data_records.json"):
        if not entry["path"].startswith("/api/files/"):
            continue
        r = pb_client.get(entry["path"], headers=entry["headers"])
        assert r.status_code == entry["status"], entry["name"]
        assert r.text == entry["response_text"]
        for key, value in entry["response_headers"].items():
            assert r.headers[key] == value, (entry["name"], key)
