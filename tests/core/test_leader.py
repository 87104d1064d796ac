"""The decisions kept by worker 0 (``satchel.core.leader``), over a real relay and links:
asked of worker 0 by the others, and made here when worker 0 does not answer in time
(a stalled worker 0 used to fail the request, dropping its verification mail)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from satchel.core import leader
from satchel.core.leader import on_leader, serve_on_leader
from satchel.tools.bus.relay import LinkBus, Relay


def _count(app: Any, payload: Mapping[str, Any]) -> int:
    app.state["calls"] = app.state.get("calls", 0) + 1
    return int(payload["n"]) * 10


async def _decide(path: Path, *, member_0_listens: bool) -> tuple[int, int, int]:
    """(the answer worker 1 got, calls made on worker 0, calls made on worker 1)"""
    relay = Relay(str(path))
    await relay.start()
    loop = asyncio.get_running_loop()
    zero, one = LinkBus(str(path), 0), LinkBus(str(path), 1)
    try:
        first = SimpleNamespace(bus=zero, state={"workers": True})
        other = SimpleNamespace(bus=one, state={"workers": True})
        serve_on_leader(first, {"count": _count})  # type: ignore[arg-type]
        if member_0_listens:
            zero.subscribe(lambda _m: None, loop)
        one.subscribe(lambda _m: None, loop)
        assert await relay.wait_members(2, 5)
        answer = await on_leader(other, "count", _count, {"n": 4})  # type: ignore[arg-type]
        return answer, first.state.get("calls", 0), other.state.get("calls", 0)
    finally:
        zero.close()
        one.close()
        relay.close()


def test_worker_0_decides_for_the_others(tmp_path: Path) -> None:
    assert asyncio.run(_decide(tmp_path / "bus.sock", member_0_listens=True)) == (40, 1, 0)


def test_a_worker_decides_alone_when_worker_0_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(leader, "ASK_TIMEOUT", 0.3)
    assert asyncio.run(_decide(tmp_path / "bus.sock", member_0_listens=False)) == (40, 0, 1)
    assert "worker 0 did not answer count in 0.3s" in caplog.text
