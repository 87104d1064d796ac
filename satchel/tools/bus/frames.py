"""The frames of the Redis and NATS buses: a JSON envelope, a newline, the message's bytes.

A message larger than the channel's limit is cut into parts sent one after another on
the same connection (Redis and NATS keep one connection's order); each part's envelope
says which (``k``) of how many (``t``), and :class:`Reassembly` joins them again.
Pure.
"""

from __future__ import annotations

from typing import Any

import orjson

from satchel.tools.bus.protocol import Message

__all__ = ["Reassembly", "frames", "parse"]

_SEP = b"\n"  # never inside orjson's compact output


def frames(node: str, message: Message, seq: int, others: bool, limit: int) -> list[bytes]:
    """The frames carrying ``message``: one, or parts of at most ``limit`` bytes of body."""
    body = orjson.dumps(message)
    head: dict[str, Any] = {"n": node, "s": seq, "o": others}
    if len(body) <= limit:
        return [orjson.dumps(head) + _SEP + body]
    parts = [body[i : i + limit] for i in range(0, len(body), limit)]
    return [orjson.dumps({**head, "k": k, "t": len(parts)}) + _SEP + part for k, part in enumerate(parts)]


def parse(frame: bytes) -> tuple[dict[str, Any], bytes] | None:
    """(envelope head, body bytes) of a frame; ``None`` for a foreign or broken one."""
    cut = frame.find(_SEP)
    if cut < 0:
        return None
    try:
        head = orjson.loads(frame[:cut])
    except orjson.JSONDecodeError:
        return None
    return (head, frame[cut + 1 :]) if isinstance(head, dict) else None


class Reassembly:
    """Turns received frames back into envelopes ``{"n", "s", "o", "m"}``."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, int], list[bytes]] = {}

    def feed(self, frame: bytes) -> dict[str, Any] | None:
        """The envelope completed by ``frame``, or ``None`` (a part, or a bad frame)."""
        parsed = parse(frame)
        if parsed is None:
            return None
        head, body = parsed
        total = head.pop("t", None)
        if total is not None:
            key = (str(head.get("n")), int(head.get("s") or 0))
            index = int(head.pop("k", -1))
            parts = self._parts.setdefault(key, [])
            if index != len(parts):  # a part was lost (a reconnect in between): drop the message
                self._parts.pop(key, None)
                return None
            parts.append(body)
            if len(parts) < int(total):
                return None
            body = b"".join(self._parts.pop(key))
        try:
            head["m"] = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return head

    def clear(self) -> None:
        """Forget unfinished messages (their remaining parts may never come)."""
        self._parts.clear()

    @property
    def pending(self) -> int:
        return len(self._parts)
