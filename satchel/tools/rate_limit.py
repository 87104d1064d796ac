"""Fixed-window request counters, the algorithm of PocketBase's rate limiter.

A :class:`RateLimiters` holds one :class:`RateLimiter` per limiter id (a rule, or
a rule on one route); each counts requests per client key (the client's IP) in
windows of whole seconds.  As in PocketBase, a window restarts once ``interval``
seconds have passed since the last *allowed* request, so a client that keeps
hammering a limited endpoint stays limited until it pauses.

Pure and single-threaded: it is only used on the event loop.  Idle counters are
purged at most once an hour, on the next check (PocketBase runs a cron for it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FixedWindow", "RateLimiter", "RateLimiters"]

CLEAN_EVERY = 3600  # seconds between purges of idle counters
KEEP_IDLE = 1800  # seconds an idle counter outlives its window


@dataclass(slots=True)
class FixedWindow:
    """One client's counter in the current interval."""
    max_allowed: int
    interval: int
    available: int = 0
    last_consume: int = 0

    def consume(self, now: int) -> bool:
        """Take one request from the window; False when it is used up."""
        if now - self.last_consume >= self.interval:
            self.available = self.max_allowed
        if self.available <= 0:
            return False
        self.available -= 1
        self.last_consume = now
        return True


@dataclass(slots=True)
class RateLimiter:
    """The counters of one rule, per client."""
    max_allowed: int
    interval: int
    clients: dict[str, FixedWindow] = field(default_factory=dict)

    def allow(self, key: str, now: int) -> bool:
        window = self.clients.get(key)
        if window is None:
            window = self.clients[key] = FixedWindow(self.max_allowed, self.interval)
        return window.consume(now)

    def clean(self, now: int) -> None:
        keep = self.interval + KEEP_IDLE
        self.clients = {k: w for k, w in self.clients.items() if now - w.last_consume <= keep}


class RateLimiters:
    """The limiters of one configuration; :meth:`reset` when the rules change."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._limiters: dict[str, RateLimiter] = {}
        self._cleaned = int(clock())

    def allow(self, limiter_id: str, key: str, max_requests: int, duration: int) -> bool:
        """Count a request of ``key`` against ``limiter_id`` (made on first use)."""
        now = int(self._clock())
        if now - self._cleaned >= CLEAN_EVERY:
            self._clean(now)
        limiter = self._limiters.get(limiter_id)
        if limiter is None:
            limiter = self._limiters[limiter_id] = RateLimiter(max_requests, duration)
        return limiter.allow(key, now)

    def reset(self) -> None:
        self._limiters.clear()

    def __len__(self) -> int:
        return sum(len(limiter.clients) for limiter in self._limiters.values())

    def _clean(self, now: int) -> None:
        self._cleaned = now
        for limiter in self._limiters.values():
            limiter.clean(now)
