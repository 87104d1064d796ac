"""ClusterBus on a real PostgreSQL bus: requests to one process anywhere, by its address."""

from __future__ import annotations

import asyncio
from typing import Any

from satchel.tools.bus import ClusterBus, Message
from satchel.tools.bus.postgres import PgBus
from tests.pg_support import pg_url

__all__ = ["pg_url"]


def test_a_request_reaches_the_process_of_its_address_and_only_it(pg_url: str) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        a, b, c = (ClusterBus(PgBus(pg_url)) for _ in range(3))
        seen: dict[str, list[dict[str, Any]]] = {"a": [], "b": [], "c": []}
        asked: list[str] = []
        try:
            for name, bus in (("a", a), ("b", b), ("c", c)):
                bus.subscribe(lambda m, name=name: seen[name].append(dict(m)), loop)

                async def answer(message: Message, name: str = name) -> Message:
                    asked.append(name)
                    return {"by": name, "x": message["x"]}

                bus.on_request("ping", answer)
            assert len({a.address, b.address, c.address}) == 3
            assert await a.request_at(c.address, {"type": "ping", "x": 1}) == {"by": "c", "x": 1}
            assert await c.request_at(b.address, {"type": "ping", "x": 2}) == {"by": "b", "x": 2}
            assert await b.request_at(b.address, {"type": "ping", "x": 3}) == {"by": "b", "x": 3}  # its own
            assert asked == ["c", "b", "b"]
            # no process of that address: None once the timeout is out
            assert await a.request_at("zzzzzzzz", {"type": "ping", "x": 4}, timeout=0.3) is None
            # a type nobody answers: None at once
            assert await a.request_at(b.address, {"type": "other"}) is None
            # the requests and replies never reach the domain's subscribers; published messages do
            a.publish({"type": "record", "n": 1})
            for _ in range(200):
                if all(seen.values()):
                    break
                await asyncio.sleep(0.01)
            assert seen == {name: [{"type": "record", "n": 1}] for name in "abc"}
        finally:
            for bus in (a, b, c):
                bus.close()

    asyncio.run(main())
