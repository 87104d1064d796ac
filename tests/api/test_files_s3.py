"""Files on a real S3-compatible server (moto_server on loopback): uploads, downloads with
ranges, thumbs, cleanup; ``/api/settings/test/s3``; ``pb_config.yaml`` applied at start."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from satchel.config import Config
from satchel.core.settings.model import PbConfigError
from tests.api.test_files import create, make_posts, png
from tests.moto_s3 import MotoS3, bucket_keys, moto_s3, new_bucket

__all__ = ["moto_s3"]


def s3_settings(s3: MotoS3, bucket: str, **extra: Any) -> dict[str, Any]:
    return {"enabled": True, "bucket": bucket, "region": s3.region, "endpoint": s3.endpoint,
            "accessKey": s3.access_key, "secret": s3.secret, "forcePathStyle": True, **extra}


def test_record_files_on_s3(app: App, su: TestClient, moto_s3: MotoS3) -> None:
    bucket = new_bucket(moto_s3)
    r = su.patch("/api/settings", json={"s3": s3_settings(moto_s3, bucket)})
    assert r.status_code == 200, r.text
    assert "secret" not in r.json()["s3"]
    posts = make_posts(su)
    r = create(su, [("cover", ("red.png", png(), "image/png")), ("docs", ("doc.txt", b"0123456789" * 10, "text/plain"))])
    assert r.status_code == 200, r.text
    rec = r.json()
    prefix = f"{posts['id']}/{rec['id']}/"
    assert bucket_keys(moto_s3, bucket) == sorted([prefix + rec["cover"], prefix + rec["docs"][0]])
    assert not (app.config.data_dir / "storage").exists()

    doc_url = f"/api/files/posts/{rec['id']}/{rec['docs'][0]}"
    r = su.get(doc_url)
    assert (r.status_code, r.content) == (200, b"0123456789" * 10)
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="{rec["docs"][0]}"'
    assert r.headers["content-length"] == "100"
    r = su.get(doc_url, headers={"Range": "bytes=10-19"})
    assert (r.status_code, r.content, r.headers["content-range"]) == (206, b"0123456789", "bytes 10-19/100")
    assert su.get(doc_url, headers={"Range": "bytes=100-"}).status_code == 416
    r = su.head(doc_url)
    assert (r.status_code, r.content, r.headers["content-length"]) == (200, b"", "100")
    r = su.get(doc_url, headers={"If-Modified-Since": su.get(doc_url).headers["last-modified"]})
    assert r.status_code == 304

    r = su.get(f"/api/files/posts/{rec['id']}/{rec['cover']}?thumb=100x50f")
    assert r.status_code == 200
    assert Image.open(io.BytesIO(r.content)).size == (66, 50)
    assert prefix + f"thumbs_{rec['cover']}/100x50f_{rec['cover']}" in bucket_keys(moto_s3, bucket)

    r = su.patch(f"/api/collections/posts/records/{rec['id']}", files=[("cover", ("blue.png", png(color="blue"), "image/png"))])
    assert r.status_code == 200
    app.files.drain()
    keys = bucket_keys(moto_s3, bucket)
    assert not any(rec["cover"] in k for k in keys), keys  # the old cover and its thumbs
    assert su.delete(f"/api/collections/posts/records/{rec['id']}").status_code == 204
    app.files.drain()
    assert bucket_keys(moto_s3, bucket) == []


def test_failed_write_leaves_nothing_in_the_bucket(app: App, su: TestClient, moto_s3: MotoS3) -> None:
    bucket = new_bucket(moto_s3)
    assert su.patch("/api/settings", json={"s3": s3_settings(moto_s3, bucket)}).status_code == 200
    make_posts(su)
    assert create(su, [("docs", ("one.txt", b"1", "text/plain"))], title="same").status_code == 200
    before = bucket_keys(moto_s3, bucket)
    r = create(su, [("docs", ("two.txt", b"2", "text/plain"))], title="same")
    assert r.status_code == 400
    assert bucket_keys(moto_s3, bucket) == before


def test_unreachable_s3_fails_the_write_cleanly(app: App, su: TestClient) -> None:
    r = su.patch("/api/settings", json={"s3": {"enabled": True, "bucket": "b", "region": "us-east-1",
                                               "endpoint": "http://127.0.0.1:9", "accessKey": "a", "secret": "s"}})
    assert r.status_code == 200, r.text
    make_posts(su)
    r = create(su, [("docs", ("one.txt", b"1", "text/plain"))])
    assert r.status_code == 400
    assert r.json()["message"] == "Failed to create record."
    assert su.get("/api/collections/posts/records").json()["totalItems"] == 0


def test_settings_test_s3(app: App, su: TestClient, client: TestClient, moto_s3: MotoS3) -> None:
    r = su.post("/api/settings/test/s3", json={})
    assert r.json() == {"data": {"filesystem": {"code": "validation_required", "message": "Cannot be blank."}},
                        "message": "Failed to test the S3 filesystem.", "status": 400}
    r = su.post("/api/settings/test/s3", json={"filesystem": "storage"})
    assert r.json() == {"data": {}, "message": "Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled.",
                        "status": 400}
    bucket = new_bucket(moto_s3)
    assert su.patch("/api/settings", json={"s3": s3_settings(moto_s3, bucket),
                                           "backups": {"s3": s3_settings(moto_s3, bucket)}}).status_code == 200
    for target in ("storage", "backups"):
        r = su.post("/api/settings/test/s3", json={"filesystem": target})
        assert r.status_code == 204, r.text
    assert bucket_keys(moto_s3, bucket) == []
    assert su.patch("/api/settings", json={"s3": {"endpoint": "http://127.0.0.1:9"}}).status_code == 200
    r = su.post("/api/settings/test/s3", json={"filesystem": "storage"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Failed to test the S3 filesystem. Raw error: \nfailed to upload a test file: ")
    del client.headers["Authorization"]
    assert client.post("/api/settings/test/s3", json={"filesystem": "storage"}).status_code == 401


# -- pb_config.yaml (spec 14 §6) ---------------------------------------------------------------


def test_pb_config_yaml_is_applied_at_start(tmp_path: Path, moto_s3: MotoS3) -> None:
    bucket = new_bucket(moto_s3)
    (tmp_path / "pb_config.yaml").write_text(
        "filesystem:\n"
        f"  endpoint: {moto_s3.endpoint}\n"
        f"  bucket: {bucket}\n"
        "  region: us-east-1\n"
        f"  accessKey: {moto_s3.access_key}\n"
        f"  secretKey: {moto_s3.secret}\n"
        "  forcePathStyle: true\n"
    )
    app = App(Config(data_dir=tmp_path / "pb_data"))
    try:
        s3 = app.settings.current.s3
        assert (s3.enabled, s3.bucket, s3.endpoint, s3.secret, s3.force_path_style) == (
            True, bucket, moto_s3.endpoint, moto_s3.secret, True)
        assert app.files.storage.kind == "s3"
        from satchel.core.auth.superusers import upsert_superuser

        upsert_superuser(app.db, app.records, app.registry, "a@b.co", "1234567890")
        with TestClient(build_asgi(app)) as c:
            token = c.post("/api/collections/_superusers/auth-with-password",
                           json={"identity": "a@b.co", "password": "1234567890"}).json()["token"]
            r = c.get("/api/settings", headers={"Authorization": token})
            assert r.json()["s3"]["bucket"] == bucket and "secret" not in r.json()["s3"]
            r = c.post("/api/settings/test/s3", json={"filesystem": "storage"}, headers={"Authorization": token})
            assert r.status_code == 204, r.text
    finally:
        app.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("filesystem:\n  endpoint: not a url\n  bucket: b\n  region: r\n  accessKey: a\n  secretKey: s\n", "endpoint"),
        ("filesystem:\n  bucket: [1, 2]\n", "filesystem.bucket"),
        ("filesystem:\n  colour: blue\n", "unknown key"),
        ("filesystem: [\n", "can't read"),
    ],
)
def test_bad_pb_config_yaml_stops_the_start(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "pb_data").mkdir()
    (tmp_path / "pb_data" / "pb_config.yaml").write_text(text)
    with pytest.raises(PbConfigError) as info:
        App(Config(data_dir=tmp_path / "pb_data"))
    assert message in str(info.value)
