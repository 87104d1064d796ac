"""The official JS SDK 0.28.1 uploading, updating and downloading files (thumbs decoded here
with Pillow) and using file tokens against a live ``satchel serve``."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.e2e.serve_support import LiveServer, run_node


def _png(size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "orange").save(out, "PNG")
    return out.getvalue()


def _image(part: dict[str, Any]) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(part["body"])))


@pytest.fixture(scope="module")
def sdk(live_server: LiveServer) -> dict[str, Any]:
    return run_node("files_sdk.mjs", live_server.base, env={"PNG_B64": base64.b64encode(_png()).decode()}, timeout=60)


def test_uploads_and_modifiers(sdk: dict[str, Any]) -> None:
    created = sdk["created"]
    assert created["image"].startswith("photo_") and created["image"].endswith(".png")
    assert [d.split("_")[0] for d in created["docs"]] == ["first", "second"]
    assert created["secret"].startswith("secret_")
    assert sdk["appendedDocs"][:2] == created["docs"] and sdk["appendedDocs"][2].startswith("third_")
    assert sdk["removedDocs"] == sdk["appendedDocs"][1:]
    assert sdk["wrongMime"] == {"status": 400, "code": "validation_invalid_mime_type"}


def test_downloads_and_thumbs(sdk: dict[str, Any]) -> None:
    original = sdk["original"]
    assert (original["status"], original["type"]) == (200, "image/png")
    assert base64.b64decode(original["body"]) == _png()
    assert _image(sdk["thumb"]).size == (100, 100)
    assert sdk["thumb"]["disposition"].startswith('inline; filename="100x100_photo_')
    assert _image(sdk["listedThumb"]).size == (50, 33)
    assert _image(sdk["guideCrop"]).size == (100, 100)
    assert _image(sdk["guideWidth"]).size == (100, 67)
    assert sdk["download"]["disposition"].startswith('attachment; filename="second_')
    assert base64.b64decode(sdk["download"]["body"]) == b"second doc"


def test_protected_files_and_tokens(sdk: dict[str, Any]) -> None:
    assert sdk["secretNoToken"] == 404
    assert sdk["secretWithToken"] == {"status": 200, "text": "classified"}
    assert sdk["guestToken"] == 401


def test_record_delete_removes_its_files(sdk: dict[str, Any], live_server: LiveServer) -> None:
    assert sdk["afterDelete"] == 404
    storage = Path(live_server.data_dir) / "storage"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        leftovers = [p for p in storage.rglob("*") if p.is_file()] if storage.exists() else []
        if not leftovers:
            break
        time.sleep(0.05)
    assert leftovers == []
