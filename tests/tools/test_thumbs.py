"""Thumbnail geometry as PocketBase's (captured from a 400x300 PNG, spec 06 §5.1), formats,
EXIF orientation, JPEG draft decoding and broken input."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from satchel.tools.thumbs import ThumbError, make_thumb, normalize_alias, output_format, parse_size


def _image(fmt: str, size: tuple[int, int] = (400, 300), **save: object) -> bytes:
    img = Image.new("RGB", size, "red")
    # a blue top band and a green bottom band show which part a crop kept
    img.paste((0, 0, 255), (0, 0, size[0], size[1] // 4))
    img.paste((0, 255, 0), (0, size[1] * 3 // 4, size[0], size[1]))
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("100x100", (100, 100)),
        ("100x50", (100, 50)),
        ("100x50t", (100, 50)),
        ("100x50b", (100, 50)),
        ("100x50f", (66, 50)),
        ("0x50", (67, 50)),
        ("50x0", (50, 38)),
        ("800x600f", (400, 300)),  # fit never upscales
        ("800x100", (800, 100)),  # fill does
    ],
)
def test_sizes_match_pocketbase(size: str, expected: tuple[int, int]) -> None:
    parsed = parse_size(size)
    assert parsed is not None
    assert _decode(make_thumb(_image("PNG"), parsed, "image/png")).size == expected


def test_crop_anchors() -> None:
    src = _image("PNG")
    top = _decode(make_thumb(src, parse_size("100x20t"), "image/png")).convert("RGB")  # type: ignore[arg-type]
    bottom = _decode(make_thumb(src, parse_size("100x20b"), "image/png")).convert("RGB")  # type: ignore[arg-type]
    center = _decode(make_thumb(src, parse_size("100x20"), "image/png")).convert("RGB")  # type: ignore[arg-type]
    assert top.getpixel((50, 2)) == (0, 0, 255)
    assert bottom.getpixel((50, 17)) == (0, 255, 0)
    assert center.getpixel((50, 10)) == (255, 0, 0)


def test_small_sources_are_scaled_to_cover_then_cropped() -> None:
    assert _decode(make_thumb(_image("PNG", (40, 30)), parse_size("100x100"), "image/png")).size == (100, 100)  # type: ignore[arg-type]
    assert _decode(make_thumb(_image("PNG", (40, 30)), parse_size("100x50"), "image/png")).size == (100, 50)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fmt", "source_type", "out"),
    [("JPEG", "image/jpeg", "JPEG"), ("GIF", "image/gif", "GIF"), ("PNG", "image/png", "PNG"),
     ("WEBP", "image/webp", "PNG"), ("BMP", "image/bmp", "BMP"), ("TIFF", "image/tiff", "TIFF"),
     ("JPEG", "image/jpg", "PNG"), ("JPEG", "image/jpeg; charset=x", "JPEG")],
)
def test_output_format_follows_the_source_type(fmt: str, source_type: str, out: str) -> None:
    # PocketBase 0.40.6: a JPEG uploaded as fake.png gets JPEG thumbs (files_api.json)
    assert output_format(source_type) == out
    assert _decode(make_thumb(_image(fmt), parse_size("100x100"), source_type)).format == out  # type: ignore[arg-type]


def test_animated_gif_uses_the_first_frame() -> None:
    frames = [Image.new("RGB", (120, 120), c) for c in ("red", "blue", "green")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    thumb = _decode(make_thumb(buf.getvalue(), parse_size("50x50"), "image/gif"))  # type: ignore[arg-type]
    assert thumb.size == (50, 50)
    assert getattr(thumb, "n_frames", 1) == 1
    assert thumb.convert("RGB").getpixel((25, 25)) == (255, 0, 0)


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (400, 200), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° CW: displayed 200x400
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    assert _decode(make_thumb(buf.getvalue(), parse_size("0x100"), "image/jpeg")).size == (50, 100)  # type: ignore[arg-type]


def test_jpeg_draft_is_fast_and_exact() -> None:
    src = _image("JPEG", (4000, 3000), quality=90)
    start = time.perf_counter()
    out = make_thumb(src, parse_size("100x100"), "image/jpeg")  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    assert _decode(out).size == (100, 100)
    assert elapsed < 0.5  # a full 12 MP decode plus resize takes several times longer


@pytest.mark.parametrize("data", [b"", b"not an image", _image("PNG")[:60], b"\x89PNG\r\n\x1a\n" + b"\x00" * 100])
def test_broken_images_raise_thumb_error(data: bytes) -> None:
    with pytest.raises(ThumbError):
        make_thumb(data, parse_size("100x100"), "image/png")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "ok"),
    [("100x100", True), ("0x50", True), ("50x0f", True), ("0x0", False), ("0x0t", False), ("abc", False),
     ("100x100x", False), ("99999x1", False), ("-1x5", False), ("", False)],
)
def test_parse_size(text: str, ok: bool) -> None:
    assert (parse_size(text) is not None) is ok


def test_guide_aliases() -> None:
    assert normalize_alias("100x100!") == "100x100"
    assert normalize_alias("100x") == "100x0"
    assert normalize_alias("x100") == "0x100"
    assert normalize_alias("100x100") is None
