"""Server-Sent Events framing, byte-exact with PocketBase.

Every message is::

    id:<eventId>\\n
    event:<name>\\n
    data:<data>\\n
    \\n

No space after the colons, no ``retry:`` field, no comment lines.  ``data`` is a
single line (JSON never contains a raw newline).  A name or data carrying a line
break would let one message forge another, so line breaks are replaced by a space
(PocketBase writes them raw; its SDKs never send such names).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["RAW_SEND", "frame", "frames", "sanitize_line"]

# The server's own ASGI ``send``, kept in the scope by the outermost wrapper
# (:func:`satchel.server.answer_cancelled`): the wrappers around ``send`` act on the response
# start only, so a stream's body messages (one per client and event in a fan-out) skip them.
RAW_SEND = "satchel.raw_send"

_ID = b"id:"
_EVENT = b"\nevent:"
_DATA = b"\ndata:"
_END = b"\n\n"


def sanitize_line(value: bytes) -> bytes:
    """``value`` with CR/LF replaced, so it stays on one SSE line."""
    if b"\n" in value or b"\r" in value:
        return value.replace(b"\r\n", b" ").replace(b"\n", b" ").replace(b"\r", b" ")
    return value


def frame(event_id: bytes, name: bytes, data: bytes) -> bytes:
    """One SSE message (``event_id``/``name``/``data`` already single-line)."""
    return b"".join((_ID, event_id, _EVENT, name, _DATA, data, _END))


def frames(event_id: bytes, messages: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Several messages of one stream as one chunk: ``messages`` are ``(name, data)``."""
    parts: list[bytes] = []
    for name, data in messages:
        parts += (_ID, event_id, _EVENT, name, _DATA, data, _END)
    return b"".join(parts)
