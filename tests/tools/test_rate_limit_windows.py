"""The fixed-window counters of the rate limiter, with a fake clock."""

from __future__ import annotations

from satchel.tools.rate_limit import CLEAN_EVERY, KEEP_IDLE, FixedWindow, RateLimiters


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_window_allows_max_then_refuses_until_interval_after_last_allowed() -> None:
    w = FixedWindow(max_allowed=2, interval=3)
    assert [w.consume(t) for t in (10, 10, 11)] == [True, True, False]
    assert w.consume(12) is False  # 2 s after the last allowed request
    assert w.consume(13) is True  # 3 s after it: a new window
    assert w.consume(13) is True
    assert w.consume(14) is False


def test_limiters_are_per_id_and_per_key() -> None:
    clock = Clock()
    limiters = RateLimiters(clock)
    assert limiters.allow("a", "1.1.1.1", 1, 10)
    assert not limiters.allow("a", "1.1.1.1", 1, 10)
    assert limiters.allow("a", "2.2.2.2", 1, 10)
    assert limiters.allow("b", "1.1.1.1", 1, 10)
    limiters.reset()
    assert limiters.allow("a", "1.1.1.1", 1, 10)


def test_idle_counters_are_purged_hourly() -> None:
    clock = Clock()
    limiters = RateLimiters(clock)
    limiters.allow("a", "idle", 5, 10)
    clock.now += KEEP_IDLE + 11
    limiters.allow("a", "busy", 5, 10)
    assert len(limiters) == 2  # not purged before the hour
    clock.now += CLEAN_EVERY
    limiters.allow("a", "new", 5, 10)
    assert len(limiters) == 1
