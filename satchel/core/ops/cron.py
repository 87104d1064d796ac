"""The cron scheduler owned by the App (spec 12 §7).

Jobs are ``(id, expression, fn)``; ``fn`` is a plain function (run on a worker thread so a
slow job never blocks the event loop) or a coroutine function (run on the loop).  Every
minute boundary, UTC, the due jobs start as tasks the scheduler owns; :meth:`stop`
cancels the tick and waits for running jobs.  A job that raises is logged, never fatal.

Hidden jobs (our own housekeeping) run like the others but are not listed, as
PocketBase does not list them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from satchel.tools.registrations import note_undo

__all__ = ["CronJob", "CronScheduler", "InvalidCronExpression", "SYSTEM_PREFIX", "is_valid_expression"]

log = logging.getLogger("satchel.cron")

#: ids of PocketBase's own jobs; listed after the user jobs.
SYSTEM_PREFIX = "__pb"

JobFn = Callable[[], None] | Callable[[], Awaitable[None]]
F = TypeVar("F", bound=Callable[[], Any])

_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
# the expressions of the built-in jobs, known valid: registering them at start-up then
# needs no croniter (with dateutil ~11 ms of imports), which loads at the first tick
_BUILTIN_EXPRESSIONS = frozenset({"0 0 * * *", "0 * * * *", "0 */6 * * *"})


def _croniter() -> Any:
    from croniter import croniter

    return croniter


class InvalidCronExpression(ValueError):
    pass


def is_valid_expression(expression: str) -> bool:
    """Five fields (``*``, lists, ranges, steps) or one of PocketBase's macros; croniter
    alone would also take a sixth (seconds) field, which PocketBase refuses."""
    text = expression.strip()
    if text in _MACROS or text in _BUILTIN_EXPRESSIONS:
        return True
    if len(text.split()) != 5:
        return False
    return bool(_croniter().is_valid(text))


def _normalized(expression: str) -> str:
    text = expression.strip()
    # croniter knows @yearly/@monthly/... but spells @midnight as @daily
    return "@daily" if text == "@midnight" else text


@dataclass(frozen=True)
class CronJob:
    """A scheduled job: its id, cron expression and function."""
    id: str
    expression: str
    fn: JobFn
    hidden: bool = False

    def due(self, minute: datetime) -> bool:
        return bool(_croniter().match(_normalized(self.expression), minute))


class CronScheduler:
    def __init__(self) -> None:
        self._jobs: dict[str, CronJob] = {}
        self._lock = threading.Lock()  # add/remove may come from worker threads (settings saves)
        self._tick: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    # -- registration (the API Python hooks use) ---------------------------

    def add(self, job_id: str, expression: str, fn: JobFn, *, hidden: bool = False) -> None:
        """Register or replace the job ``job_id``."""
        if not job_id:
            raise ValueError("missing cron job id")
        if not is_valid_expression(expression):
            raise InvalidCronExpression(f"invalid cron expression {expression!r}")
        job = CronJob(job_id, expression.strip(), fn, hidden)
        with self._lock:
            previous = self._jobs.pop(job_id, None)  # a replaced job moves to the end, as a re-registration
            self._jobs[job_id] = job
        note_undo(lambda: self._undo_add(job, previous))

    def __call__(self, job_id: str, expression: str) -> Callable[[F], F]:
        """``@app.cron("id", "0 3 * * *")``: the decorated function becomes the job."""

        def register(fn: F) -> F:
            self.add(job_id, expression, fn)
            return fn

        return register

    def _undo_add(self, job: CronJob, previous: CronJob | None) -> None:
        """Unload a hook file's job: the job it replaced (if any) comes back."""
        with self._lock:
            if self._jobs.get(job.id) is not job:
                return  # replaced or removed since
            del self._jobs[job.id]
            if previous is not None:
                self._jobs[job.id] = previous

    def remove(self, job_id: str) -> None:
        with self._lock:
            removed = self._jobs.pop(job_id, None)
        if removed is not None:
            note_undo(lambda: self._undo_remove(removed))

    def _undo_remove(self, job: CronJob) -> None:
        with self._lock:
            self._jobs.setdefault(job.id, job)

    def get(self, job_id: str) -> CronJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[CronJob]:
        """The listed jobs: user jobs sorted by id, then the system jobs in registration order."""
        with self._lock:
            visible = [j for j in self._jobs.values() if not j.hidden]
        user = sorted((j for j in visible if not j.id.startswith(SYSTEM_PREFIX)), key=lambda j: j.id)
        return user + [j for j in visible if j.id.startswith(SYSTEM_PREFIX)]

    # -- running -----------------------------------------------------------

    def run_now(self, job_id: str) -> bool:
        """Start the job in the background; False when there is no such job."""
        job = self.get(job_id)
        if job is None:
            return False
        self._spawn(job)
        return True

    def run_due(self, minute: datetime) -> list[str]:
        """Start every job due at ``minute`` (UTC); returns their ids."""
        with self._lock:
            due = [j for j in self._jobs.values() if j.due(minute)]
        for job in due:
            self._spawn(job)
        return [j.id for j in due]

    def _spawn(self, job: CronJob) -> None:
        task = asyncio.get_running_loop().create_task(run_job(job), name=f"cron:{job.id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def start(self, *, since: datetime | None = None) -> None:
        """Start ticking on the running loop, unless a live loop already ticks (a second
        ASGI lifespan of the same App, e.g. two test clients, leaves the first one owner).

        ``since``: when the start was asked for, if it comes later (the server starts the
        scheduler a moment after it serves): a minute boundary passed meanwhile runs now."""
        tick = self._tick
        if tick is not None and not tick.done() and not tick.get_loop().is_closed():
            return
        self._tick = asyncio.get_running_loop().create_task(self._ticker(since), name="cron-ticker")

    async def _ticker(self, since: datetime | None = None) -> None:
        if since is not None:
            passed = datetime.now(UTC).replace(second=0, microsecond=0)
            if passed > since:
                self.run_due(passed)
        while True:
            now = datetime.now(UTC)
            next_minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
            await asyncio.sleep((next_minute - now).total_seconds())
            self.run_due(next_minute)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop ticking and give running jobs ``grace`` seconds before cancelling them.

        Only the loop that started the ticker stops it (see :meth:`start`)."""
        loop = asyncio.get_running_loop()
        tick = self._tick
        if tick is not None and tick.get_loop() is not loop:
            return
        if tick is not None:
            tick.cancel()
            await asyncio.gather(tick, return_exceptions=True)
            self._tick = None
        running = {t for t in self._running if t.get_loop() is loop}
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    @property
    def started(self) -> bool:
        return self._tick is not None and not self._tick.done()


async def run_job(job: CronJob) -> None:
    try:
        if inspect.iscoroutinefunction(job.fn):
            await job.fn()
        else:
            result = await asyncio.to_thread(job.fn)
            if inspect.isawaitable(result):
                await result
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("cron job %s failed", job.id)
