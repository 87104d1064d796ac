"""Storage: PocketBase's names, content sniffing, and ONE suite run on local disk and on a
real S3-compatible server (moto_server on loopback)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from satchel.tools.filesystem import (
    FileNotFound,
    InvalidKey,
    LocalStorage,
    S3Options,
    S3Storage,
    Storage,
    StorageError,
    detect,
    extension_for,
    extract_extension,
    normalize_name,
    original_name,
    snakecase,
)
from tests.moto_s3 import MotoS3, bucket_keys, moto_s3, new_bucket

__all__ = ["moto_s3"]

FIXTURE_STORAGE = Path(__file__).parents[1] / "fixtures" / "pb_data_040" / "storage"


# -- names (spec 06 §3) -------------------------------------------------------------------


def _fixed_random() -> object:
    counter = itertools.count()
    return lambda n: f"r{next(counter)}".ljust(n, "x")[:n]


@pytest.mark.parametrize(
    ("uploaded", "pattern"),
    [
        ("red.png", r"red_[a-z0-9]{10}\.png"),
        ("My Doc (final).txt", r"my_doc_final_[a-z0-9]{10}\.txt"),
        ("CamelCaseName.JPG", r"camel_case_name_[a-z0-9]{10}\.JPG"),
        ("ab.txt", r"ab[a-z0-9]{10}_[a-z0-9]{10}\.txt"),
        ("archive.tar.gz", r"archive_[a-z0-9]{10}\.tar\.gz"),
        ("my.photo.v2.png", r"my_photo_[a-z0-9]{10}\.v2\.png"),
        ("noext", r"noext_[a-z0-9]{10}\.txt"),
        (".hidden", r"[a-z0-9]{10}_[a-z0-9]{10}\.hidden"),
        ("Ünïcödé name.PDF", r"n_c_d_name_[a-z0-9]{10}\.PDF"),
        ("weird#$%name!!.t x t", r"weird_name_[a-z0-9]{10}\.txt"),
        ("a" * 150 + ".txt", "a" * 100 + r"_[a-z0-9]{10}\.txt"),
        ("../../etc/passwd", r"passwd_[a-z0-9]{10}\.txt"),
        ("C:\\Users\\x\\evil\x00\x07name.txt", r"evilname_[a-z0-9]{10}\.txt"),
        ("x." + "e" * 40, r"x[a-z0-9]{10}_[a-z0-9]{10}\." + "e" * 20),
    ],
)
def test_generated_names_follow_pocketbase(uploaded: str, pattern: str) -> None:
    name = normalize_name(uploaded, lambda: ".txt")
    assert re.fullmatch(pattern, name), name
    assert "/" not in name and "\\" not in name and not name.startswith(".")


def test_name_parts() -> None:
    assert extract_extension("a.tar.gz") == ".tar.gz"
    assert extract_extension("noext") == ""
    assert snakecase("ABCDef ghi-JKL") == "abcdef_ghi_jkl"
    assert snakecase("v2Png") == "v2_png"
    assert original_name("dir/sub\\file\x01.txt") == "file.txt"
    assert len(original_name("é" * 400).encode()) <= 300
    assert normalize_name("red.png", random=lambda n: "z" * n) == "red_zzzzzzzzzz.png"


@pytest.mark.parametrize(
    ("data", "mime", "ext"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "image/png", ".png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg", ".jpg"),
        (b"GIF89a" + b"\x00" * 20, "image/gif", ".gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", ".webp"),
        (b"%PDF-1.7\n", "application/pdf", ".pdf"),
        (b"hello world\n", "text/plain; charset=utf-8", ".txt"),
        ("héllo".encode(), "text/plain; charset=utf-8", ".txt"),
        ("héllo".encode("latin-1"), "text/plain; charset=iso-8859-1", ".txt"),
        (b"<!DOCTYPE html><html></html>", "text/html; charset=utf-8", ".html"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml", ".svg"),
        (b'<?xml version="1.0"?><note/>', "text/xml; charset=utf-8", ".xml"),
        (b'{"a": [1, 2]}', "application/json", ".json"),
        (b"a,b,c\n1,2,3\n", "text/csv", ".csv"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream", ""),
        (b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
        (b"", "text/plain; charset=utf-8", ".txt"),
    ],
)
def test_content_sniffing(data: bytes, mime: str, ext: str) -> None:
    assert detect(data, complete=True) == mime
    assert extension_for(mime) == ext


# -- one suite, two storages ------------------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    if request.param == "local":
        store: Storage = LocalStorage(tmp_path / "storage")
    else:
        s3: MotoS3 = request.getfixturevalue("moto_s3")
        store = S3Storage(S3Options(new_bucket(s3), s3.region, s3.endpoint, s3.access_key, s3.secret, True))
    yield store
    store.close()


def test_put_stat_read_delete(storage: Storage) -> None:
    body = b"hello from satchel\n" * 1000
    storage.put_stream("c1/r1/a_1234567890.txt", io.BytesIO(body), content_type="text/plain; charset=utf-8",
                       original_name="A.txt")
    info = storage.stat("c1/r1/a_1234567890.txt")
    assert info is not None
    assert (info.size, info.content_type, info.original_name) == (len(body), "text/plain; charset=utf-8", "A.txt")
    assert storage.read_bytes("c1/r1/a_1234567890.txt") == body
    assert storage.stat("c1/r1/missing.txt") is None
    with pytest.raises(FileNotFound):
        storage.read_bytes("c1/r1/missing.txt")
    storage.delete("c1/r1/a_1234567890.txt")
    storage.delete("c1/r1/a_1234567890.txt")  # missing is fine
    assert storage.stat("c1/r1/a_1234567890.txt") is None


def test_ranges_and_async_stat(storage: Storage) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    storage.put_bytes("c/r/blob.bin", data, content_type="application/octet-stream")

    async def run() -> tuple[bytes, bytes, object]:
        head = b"".join([c async for c in storage.aiter_range("c/r/blob.bin", 0, 10)])
        tail = b"".join([c async for c in storage.aiter_range("c/r/blob.bin", 1000, len(data))])
        return head, tail, await storage.astat("c/r/blob.bin")

    head, tail, info = asyncio.run(run())
    assert head == data[:10]
    assert tail == data[1000:]
    assert info is not None and getattr(info, "size", 0) == len(data)


def test_prefix_listing_and_deletion(storage: Storage) -> None:
    for key in ("c/r1/a.txt", "c/r1/thumbs_a.png/100x100_a.png", "c/r2/b.txt", "d/r3/c.txt"):
        storage.put_bytes(key, b"x", content_type="text/plain")
    assert storage.list_keys("c/") == ["c/r1/a.txt", "c/r1/thumbs_a.png/100x100_a.png", "c/r2/b.txt"]
    assert storage.delete_prefix("c/r1/thumbs_a.png/") == []
    assert storage.list_keys("c/r1/") == ["c/r1/a.txt"]
    assert storage.delete_prefix("c/") == []
    assert storage.list_keys("") == ["d/r3/c.txt"]
    assert storage.delete_prefix("nothing/here/") == []


@pytest.mark.parametrize("key", ["../escape", "/abs/key", "c/../../x", "c\\x", "c/\x00x", ""])
def test_keys_cannot_escape(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidKey):
        storage.put_bytes(key, b"x", content_type="text/plain")


def test_large_stream_is_not_half_written_on_failure(storage: Storage) -> None:
    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            if self.sent > 3 << 20:
                raise OSError("client went away")
            self.sent += 1 << 20
            return b"x" * (1 << 20)

    with pytest.raises((StorageError, OSError)):
        storage.put_stream("c/r/broken.bin", Broken(), content_type="application/octet-stream")  # type: ignore[arg-type]
    assert storage.stat("c/r/broken.bin") is None
    assert storage.list_keys("c/") == []


# -- local specifics ---------------------------------------------------------------------------


def test_local_attrs_sidecar_as_pocketbase(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    body = b"hello\n"
    store.put_stream("c/r/my_doc.txt", io.BytesIO(body), content_type="text/plain; charset=utf-8",
                     original_name="My Doc (final).txt")
    raw = (tmp_path / "c/r/my_doc.txt.attrs").read_bytes()
    assert list(orjson.loads(raw)) == [
        "user.cache_control", "user.content_disposition", "user.content_encoding", "user.content_language",
        "user.content_type", "user.metadata", "md5",
    ]
    attrs = orjson.loads(raw)
    assert attrs["user.metadata"] == {"original-filename": "My Doc (final).txt"}
    assert attrs["md5"] == base64.b64encode(hashlib.md5(body).digest()).decode()
    store.put_bytes("c/r/thumbs_x/100x100_x.png", b"png", content_type="image/png")
    assert orjson.loads((tmp_path / "c/r/thumbs_x/100x100_x.png.attrs").read_bytes())["user.metadata"] == {}
    assert sorted(p.name for p in (tmp_path / "c/r").iterdir()) == ["my_doc.txt", "my_doc.txt.attrs", "thumbs_x"]


def test_local_reads_pocketbase_written_files() -> None:
    store = LocalStorage(FIXTURE_STORAGE)
    info = store.stat("pbc_1125843985/post00000000001/cover_s9oplx6ebd.png")
    assert info is not None
    assert (info.content_type, info.original_name) == ("image/png", "cover.png")
    attrs = orjson.loads((FIXTURE_STORAGE / "pbc_1125843985/post00000000001/cover_s9oplx6ebd.png.attrs").read_bytes())
    data = store.read_bytes("pbc_1125843985/post00000000001/cover_s9oplx6ebd.png")
    assert attrs["md5"] == base64.b64encode(hashlib.md5(data).digest()).decode()


def test_s3_objects_carry_pocketbase_metadata(moto_s3: MotoS3) -> None:
    import obstore

    bucket = new_bucket(moto_s3)
    store = S3Storage(S3Options(bucket, moto_s3.region, moto_s3.endpoint, moto_s3.access_key, moto_s3.secret, True))
    store.put_stream("c/r/a.txt", io.BytesIO(b"abc"), content_type="text/plain; charset=utf-8", original_name="A b.txt")
    attributes = obstore.get(store.store, "c/r/a.txt").attributes  # Content-Type + x-amz-meta-original-filename
    assert attributes["Content-Type"] == "text/plain; charset=utf-8"
    assert attributes["original-filename"] == "A b.txt"
    assert bucket_keys(moto_s3, bucket) == ["c/r/a.txt"]


def test_s3_unreachable_is_a_storage_error() -> None:
    store = S3Storage(S3Options("bucket", "us-east-1", "http://127.0.0.1:9", "a", "b", True, timeout=2))
    with pytest.raises(StorageError):
        store.put_bytes("c/r/a.txt", b"x", content_type="text/plain")
