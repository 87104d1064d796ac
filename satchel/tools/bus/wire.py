"""Frames of the inter-process bus: a 4-byte big-endian length, then one JSON object.

Pure: :func:`encode` makes a frame, :class:`FrameDecoder` turns a byte stream cut
anywhere back into messages.
"""

from __future__ import annotations

import struct
from typing import Any

import orjson

__all__ = ["MAX_FRAME", "FrameDecoder", "FrameError", "encode"]

MAX_FRAME = 64 * 1024 * 1024  # a record event with a huge JSON field still fits
_HEADER = struct.Struct(">I")


class FrameError(ValueError):
    """The peer sent something that is not a frame of this protocol."""


def encode(message: Any) -> bytes:
    body = orjson.dumps(message)
    if len(body) > MAX_FRAME:
        raise FrameError(f"bus message of {len(body)} bytes is over the {MAX_FRAME} limit")
    return _HEADER.pack(len(body)) + body


class FrameDecoder:
    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """The messages completed by ``data``, in order."""
        buffer = self._buffer
        buffer += data
        out: list[dict[str, Any]] = []
        pos = 0
        while len(buffer) - pos >= 4:
            (size,) = _HEADER.unpack_from(buffer, pos)
            if size > MAX_FRAME:
                raise FrameError(f"bus frame of {size} bytes is over the {MAX_FRAME} limit")
            if len(buffer) - pos - 4 < size:
                break
            try:
                message = orjson.loads(bytes(buffer[pos + 4 : pos + 4 + size]))
            except orjson.JSONDecodeError as exc:
                raise FrameError(f"bad bus frame: {exc}") from exc
            if not isinstance(message, dict):
                raise FrameError("a bus frame must hold a JSON object")
            out.append(message)
            pos += 4 + size
        del buffer[:pos]
        return out

    @property
    def pending(self) -> int:
        return len(self._buffer)
