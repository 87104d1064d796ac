"""One node among many runs the crons: the holder of a session-level advisory lock.

Every node tries the lock every few seconds on a connection of its own; the node
holding it leads.  When that node dies, PostgreSQL ends its session and frees the
lock, and the next node to try takes over.  A leader whose connection fails stops
leading at once (another node may already hold the lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

__all__ = ["CRON_LOCK_KEY", "Leadership"]

log = logging.getLogger("satchel.store")

# any constant apart from the write locks ("satchel" + 2)
CRON_LOCK_KEY = 0x73617463686E


class Leadership:
    def __init__(
        self,
        url: str,
        on_lead: Callable[[], None],
        on_lose: Callable[[], Awaitable[None]],
        *,
        interval: float = 3.0,
        key: int = CRON_LOCK_KEY,
    ) -> None:
        self.url = url
        self.on_lead = on_lead
        self.on_lose = on_lose
        self.interval = interval
        self.key = key
        self.leading = False
        self._conn: psycopg.Connection[Any] | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Campaign on the running loop until :meth:`stop`."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cron-leadership")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.leading:
            self.leading = False
            await self.on_lose()
        await asyncio.to_thread(self._drop)

    async def _run(self) -> None:
        while True:
            try:
                held = await asyncio.to_thread(self._check)
            except psycopg.Error as exc:
                log.warning("cron leadership: %s", exc)
                await asyncio.to_thread(self._drop)
                held = False
            if held and not self.leading:
                self.leading = True
                log.info("this node runs the crons")
                self.on_lead()
            elif not held and self.leading:
                self.leading = False
                log.warning("this node no longer runs the crons")
                await self.on_lose()
            await asyncio.sleep(self.interval)

    def _check(self) -> bool:
        """Still holding (a live session), or just acquired."""
        if self._conn is None or self._conn.closed:
            # named so that pg_stat_activity shows which process leads (the tests read it too)
            self._conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=5, application_name=f"satchel-crons-{os.getpid()}"
            )
        if self.leading:
            self._conn.execute("SELECT 1")
            return True
        row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        return bool(row and row[0])

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None
