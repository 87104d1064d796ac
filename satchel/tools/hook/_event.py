"""The base of every hook event: ``next()`` continues the chain it is passed along."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Event"]


def _end_of_chain() -> None:
    return None


class Event:
    """Subclasses add their fields; the chain sets ``_next`` before each handler."""

    # not a dataclass field: subclasses are dataclasses and must not see it in __init__
    _next: Callable[[], Any] = staticmethod(_end_of_chain)

    def next(self) -> Any:
        """Run the rest of the chain.

        In a coroutine handler, ``await e.next()``; in a plain function, ``e.next()``
        blocks until the rest of the chain has run (errors are raised here).
        """
        return self._next()

    def hook_tags(self) -> tuple[str, ...]:
        """Names a tagged handler may be limited to (a collection's id and name)."""
        return ()
