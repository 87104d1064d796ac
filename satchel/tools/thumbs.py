"""Thumbnails as PocketBase makes them (``disintegration/imaging``), with Pillow.

Sizes: ``WxH`` fill + center crop, ``WxHt``/``WxHb`` fill + top/bottom crop,
``WxHf`` fit inside (never upscaled), ``0xH``/``Wx0`` resize keeping the aspect.
The geometry (crop boxes, rounding) follows imaging's Go code exactly; the
pixels are resampled with a bilinear filter like imaging's ``Linear``.

JPEG sources are decoded with :meth:`PIL.Image.Image.draft` at the smallest DCT
scale that still covers the needed resolution (several times faster).  The
output format follows the original's content type (JPEG, GIF, TIFF, BMP kept,
everything else PNG, WebP included); EXIF orientation is applied
and only the first frame of an animation is used.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from satchel.tools.lazy_re import LazyPattern

if TYPE_CHECKING:
    from PIL import Image


__all__ = ["ThumbError", "ThumbSize", "make_thumb", "normalize_alias", "output_format", "parse_size"]

SIZE_RE = LazyPattern(r"^(\d+)x(\d+)(t|b|f)?$")
_ALIAS_CROP = LazyPattern(r"^(\d+)x(\d+)!$")
_ALIAS_WIDTH = LazyPattern(r"^(\d+)x$")
_ALIAS_HEIGHT = LazyPattern(r"^x(\d+)$")
MAX_SIDE = 10_000
MAX_SOURCE_PIXELS = 100_000_000
JPEG_QUALITY = 95  # imaging's default



class ThumbError(Exception):
    """The source can't be decoded or the size is unusable."""


@dataclass(frozen=True, slots=True)
class ThumbSize:
    """A thumb size (``WxH`` with an optional mode), parsed."""
    width: int
    height: int
    mode: str = ""  # "", "t", "b" or "f"

    @property
    def text(self) -> str:
        return f"{self.width}x{self.height}{self.mode}"


def parse_size(text: str) -> ThumbSize | None:
    """``"100x50t"`` -> ThumbSize; ``None`` for anything else or ``0x0``."""
    m = SIZE_RE.match(text)
    if m is None:
        return None
    w, h = int(m.group(1)), int(m.group(2))
    if (w == 0 and h == 0) or w > MAX_SIDE or h > MAX_SIDE:
        return None
    return ThumbSize(w, h, m.group(3) or "")


def normalize_alias(text: str) -> str | None:
    """The user guide's notations: ``100x100!`` (crop) -> ``100x100``, ``100x`` -> ``100x0``,
    ``x100`` -> ``0x100``; ``None`` when ``text`` is not one of them."""
    if m := _ALIAS_CROP.match(text):
        return f"{m.group(1)}x{m.group(2)}"
    if m := _ALIAS_WIDTH.match(text):
        return f"{m.group(1)}x0"
    if m := _ALIAS_HEIGHT.match(text):
        return f"0x{m.group(1)}"
    return None


_FORMATS = {"image/jpeg": "JPEG", "image/gif": "GIF", "image/tiff": "TIFF", "image/bmp": "BMP"}


def output_format(source_type: str) -> str:
    """The thumb's format from the original's content type, as PocketBase picks it:
    JPEG, GIF, TIFF and BMP stay themselves, everything else (WebP too) becomes PNG,
    whatever the file's name says."""
    return _FORMATS.get(source_type.split(";", 1)[0].strip().lower(), "PNG")


# -- geometry (imaging's Go code) -----------------------------------------------------


Box = tuple[float, float, float, float]


def _resize_dims(src_w: int, src_h: int, w: int, h: int) -> tuple[int, int]:
    if w == 0:
        w = int(max(1.0, math.floor(h * src_w / src_h + 0.5)))
    if h == 0:
        h = int(max(1.0, math.floor(w * src_h / src_w + 0.5)))
    return w, h


def _anchor(src_w: int, src_h: int, w: int, h: int, mode: str) -> Box:
    """imaging.CropAnchor: the (w, h) rectangle at the anchor, clipped to the source."""
    x = int((src_w - w) / 2)
    if mode == "t":
        y = 0
    elif mode == "b":
        y = src_h - h
    else:
        y = int((src_h - h) / 2)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(src_w, x + w), min(src_h, y + h)
    return (x0, y0, x1, y1)


def plan(src_w: int, src_h: int, size: ThumbSize) -> tuple[Box, tuple[int, int], Box | None]:
    """``(box, resize_to, crop_after)``: crop ``box`` of the source, resize it to
    ``resize_to``, then optionally crop ``crop_after`` of the result."""
    full: Box = (0, 0, src_w, src_h)
    w, h = size.width, size.height
    if w == 0 or h == 0:
        return full, _resize_dims(src_w, src_h, w, h), None
    if size.mode == "f":
        if src_w <= w and src_h <= h:
            return full, (src_w, src_h), None
        src_ar, max_ar = src_w / src_h, w / h
        if src_ar > max_ar:
            nw, nh = w, int(w / src_ar)
        else:
            nw, nh = int(h * src_ar), h
        return full, (max(nw, 1), max(nh, 1)), None
    if src_w == w and src_h == h:
        return full, (w, h), None
    src_ar, dst_ar = src_w / src_h, w / h
    if src_w >= 100 and src_h >= 100:  # cropAndResize
        if src_ar < dst_ar:
            crop_h = src_w * h / w
            box = _anchor(src_w, src_h, src_w, int(max(1.0, crop_h) + 0.5), size.mode)
        else:
            crop_w = src_h * w / h
            box = _anchor(src_w, src_h, int(max(1.0, crop_w) + 0.5), src_h, size.mode)
        return box, (w, h), None
    # resizeAndCrop: small sources are scaled to cover, then cropped
    rw, rh = _resize_dims(src_w, src_h, w, 0) if src_ar < dst_ar else _resize_dims(src_w, src_h, 0, h)
    return full, (rw, rh), _anchor(rw, rh, w, h, size.mode)


# -- decoding and encoding ----------------------------------------------------------------


_SWAPPING_ORIENTATIONS = (5, 6, 7, 8)


def _pil() -> tuple[Any, Any]:
    """Pillow, imported on the first thumbnail (~5 MB that a server without images never needs)."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
    return Image, ImageOps


def _open(data: bytes) -> Image.Image:
    pil_image, _ = _pil()
    try:
        img: Image.Image = pil_image.open(io.BytesIO(data))
        img.seek(0)
    except (OSError, ValueError, SyntaxError, pil_image.DecompressionBombError) as exc:
        raise ThumbError(f"can't decode the image: {exc}") from exc
    return img


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(0x0112, 1)
        return int(value) if isinstance(value, int) else 1
    except Exception:  # noqa: BLE001 - broken EXIF = no orientation
        return 1


def _draft(img: Image.Image, box: Box, resize_to: tuple[int, int], swapped: bool) -> float:
    """Decode a JPEG at a reduced DCT scale still >= the target; returns the scale."""
    if img.format != "JPEG":
        return 1.0
    bw, bh = box[2] - box[0], box[3] - box[1]
    fx, fy = resize_to[0] / max(bw, 1), resize_to[1] / max(bh, 1)
    if swapped:
        fx, fy = fy, fx
    raw_w, raw_h = img.size
    want = (max(1, math.ceil(raw_w * fx)), max(1, math.ceil(raw_h * fy)))
    img.draft("RGB", want)
    return img.size[0] / raw_w


def _encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=JPEG_QUALITY)
    elif fmt == "GIF":
        img.save(out, "GIF")
    elif fmt == "BMP":
        img.save(out, "BMP")
    elif fmt == "TIFF":
        img.save(out, "TIFF")
    else:
        img.save(out, "PNG")
    return out.getvalue()


def make_thumb(data: bytes, size: ThumbSize, source_type: str) -> bytes:
    """Encode the thumb of ``data`` (an image of content type ``source_type``) for ``size``;
    :class:`ThumbError` if impossible."""
    pil_image, pil_ops = _pil()
    img = _open(data)
    orientation = _orientation(img)
    swapped = orientation in _SWAPPING_ORIENTATIONS
    raw_w, raw_h = img.size
    src_w, src_h = (raw_h, raw_w) if swapped else (raw_w, raw_h)
    if src_w <= 0 or src_h <= 0:
        raise ThumbError("empty image")
    box, resize_to, crop_after = plan(src_w, src_h, size)
    try:
        scale = _draft(img, box, resize_to, swapped)
        img.load()
        if orientation != 1:
            img = pil_ops.exif_transpose(img)
        if img.mode not in ("RGB", "RGBA", "L", "LA"):
            img = img.convert("RGBA" if "transparency" in img.info or img.mode in ("P", "PA") else "RGB")
        scaled = tuple(v * scale for v in box)
        sw, sh = img.size
        scaled = (max(0.0, scaled[0]), max(0.0, scaled[1]), min(float(sw), scaled[2]), min(float(sh), scaled[3]))
        if resize_to == img.size and scaled == (0.0, 0.0, float(sw), float(sh)):
            out = img.copy()
        else:
            out = img.resize(resize_to, pil_image.Resampling.BILINEAR, box=scaled)
        if crop_after is not None:
            x0, y0, x1, y1 = crop_after
            out = out.crop((int(x0), int(y0), int(x1), int(y1)))
        return _encode(out, output_format(source_type))
    except ThumbError:
        raise
    except (OSError, ValueError, SyntaxError, pil_image.DecompressionBombError) as exc:
        raise ThumbError(f"can't make the thumb: {exc}") from exc
