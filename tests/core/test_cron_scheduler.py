"""The cron scheduler: expressions, list order, due jobs, failures, start/stop; the cleanup jobs
on real SQLite files."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from satchel.app import App
from satchel.core.logs import delete_old_logs
from satchel.core.ops import CronScheduler, InvalidCronExpression, delete_expired_auth_rows
from satchel.core.ops.cron import is_valid_expression
from satchel.tools.timeutil import format_datetime


@pytest.mark.parametrize(
    ("expression", "valid"),
    [
        ("0 0 * * *", True),
        ("*/5 1-3,7 * * 1-5", True),
        ("@hourly", True),
        ("@midnight", True),
        ("0 0 0 * * *", False),  # a seconds field: PocketBase wants exactly five
        ("every day", False),
        ("61 * * * *", False),
        ("", False),
    ],
)
def test_expression_validation(expression: str, valid: bool) -> None:
    assert is_valid_expression(expression) is valid


def test_add_rejects_bad_expression() -> None:
    with pytest.raises(InvalidCronExpression):
        CronScheduler().add("x", "0 0 0 * * *", lambda: None)


def test_list_order_user_jobs_sorted_then_system_jobs_hidden_excluded() -> None:
    cron = CronScheduler()
    cron.add("__pbB__", "0 * * * *", lambda: None)
    cron.add("zeta", "0 * * * *", lambda: None)
    cron.add("__pbA__", "0 * * * *", lambda: None)
    cron.add("alpha", "*/5 * * * *", lambda: None)
    cron.add("housekeeping", "* * * * *", lambda: None, hidden=True)
    assert [j.id for j in cron.jobs()] == ["alpha", "zeta", "__pbB__", "__pbA__"]
    cron.remove("zeta")
    cron.add("__pbB__", "0 1 * * *", lambda: None)  # re-registered: moves last, new expression
    assert [(j.id, j.expression) for j in cron.jobs()][-1] == ("__pbB__", "0 1 * * *")
    assert "zeta" not in [j.id for j in cron.jobs()]


def test_due_jobs_run_at_their_minute_and_a_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    async def async_job() -> None:
        ran.append("async")

    def boom() -> None:
        raise RuntimeError("job failed on purpose")

    async def main() -> list[str]:
        cron = CronScheduler()
        cron.add("six", "0 */6 * * *", lambda: ran.append("six"))
        cron.add("async", "@hourly", async_job)
        cron.add("boom", "* * * * *", boom)
        started = cron.run_due(datetime(2026, 12, 5, 6, 0, tzinfo=UTC))
        assert cron.run_due(datetime(2026, 12, 5, 7, 1, tzinfo=UTC)) == ["boom"]
        await cron.stop()
        return started

    with caplog.at_level(logging.ERROR, logger="satchel.cron"):
        started = asyncio.run(main())
    assert sorted(started) == ["async", "boom", "six"]
    assert sorted(ran) == ["async", "six"]
    failures = [r for r in caplog.records if "boom" in r.getMessage()]
    assert len(failures) == 2 and failures[0].exc_info is not None


def test_run_now_unknown_and_stop_waits_then_cancels() -> None:
    finished = threading.Event()

    async def slow() -> None:
        await asyncio.sleep(30)

    async def main() -> tuple[bool, bool, bool]:
        cron = CronScheduler()
        cron.add("quick", "0 0 * * *", lambda: (threading.Event().wait(0.05), finished.set()))
        cron.add("slow", "0 0 * * *", slow)
        cron.start()
        assert cron.started
        unknown = cron.run_now("nope")
        cron.run_now("quick")
        cron.run_now("slow")
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await cron.stop(grace=0.5)
        return unknown, cron.started, loop.time() - t0 < 5

    unknown, started, bounded = asyncio.run(main())
    assert unknown is False and started is False and bounded
    assert finished.is_set()  # the quick job was waited for


def test_ticker_fires_on_the_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ticker sleeps to the next minute boundary and runs what is due there."""
    seen: list[datetime] = []

    async def main() -> None:
        cron = CronScheduler()
        monkeypatch.setattr(cron, "run_due", lambda minute: seen.append(minute) or [])
        real_sleep = asyncio.sleep

        async def fast_sleep(seconds: float) -> None:
            assert 0 < seconds <= 60
            await real_sleep(0)

        monkeypatch.setattr(asyncio, "sleep", fast_sleep)
        cron.start()
        for _ in range(20):
            if len(seen) >= 2:
                break
            await real_sleep(0)
        monkeypatch.setattr(asyncio, "sleep", real_sleep)
        await cron.stop()

    asyncio.run(main())
    assert len(seen) >= 2
    assert all(m.second == 0 and m.microsecond == 0 and m.tzinfo == UTC for m in seen)


def test_builtin_jobs_registered_as_pocketbase_lists_them(app: App) -> None:
    assert [(j.id, j.expression) for j in app.cron.jobs()] == [
        ("__pbDBOptimize__", "0 0 * * *"),
        ("__pbMFACleanup__", "0 * * * *"),
        ("__pbOTPCleanup__", "0 * * * *"),
        ("__pbLogsCleanup__", "0 */6 * * *"),
    ]


def _insert_logs(app: App, created: list[str]) -> None:
    def run(tx: object) -> None:
        for i, value in enumerate(created):
            tx.execute(  # type: ignore[attr-defined]
                "INSERT INTO `_logs` (`id`, `message`, `created`) VALUES (:id, 'm', :c)", {"id": f"log{i}", "c": value}
            )

    app.aux_db.write_sync(run)  # type: ignore[arg-type]


def test_logs_cleanup_keeps_max_days(app: App) -> None:
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    _insert_logs(app, [format_datetime(now - timedelta(days=d, minutes=1)) for d in (0, 4, 5, 9)])
    assert delete_old_logs(app.aux_db, 5, now=now.timestamp()) == 2
    left = app.aux_db.read_sync(lambda c: [r[0] for r in c.execute("SELECT id FROM _logs ORDER BY id")])
    assert left == ["log0", "log1"]


def test_otp_and_mfa_cleanup_by_collection_duration(app: App) -> None:
    users = app.registry.get("users")
    assert users is not None
    now = datetime.now(UTC)
    rows = [("old", now - timedelta(seconds=200)), ("new", now - timedelta(seconds=100))]  # default otp: 180 s

    def run(tx: object) -> None:
        for rid, created in rows:
            tx.execute(  # type: ignore[attr-defined]
                "INSERT INTO `_otps` (`id`, `collectionRef`, `recordRef`, `password`, `sentTo`, `created`, `updated`)"
                " VALUES (:id, :c, 'r1', 'x', '', :t, :t)",
                {"id": rid, "c": users.id, "t": format_datetime(created)},
            )

    app.db.write_sync(run)  # type: ignore[arg-type]
    assert delete_expired_auth_rows(app.db, app.registry, "_otps", "otp") == 1
    assert app.db.read_sync(lambda c: [r[0] for r in c.execute("SELECT id FROM _otps")]) == ["new"]
    assert delete_expired_auth_rows(app.db, app.registry, "_mfas", "mfa") == 0


def test_db_optimize_job_truncates_the_wal_of_both_databases(app: App) -> None:
    _insert_logs(app, ["2026-12-05 12:00:00.000Z"] * 2000)
    app.aux_db.write_sync(lambda tx: tx.execute("UPDATE `_logs` SET `data` = hex(randomblob(256))"))
    before = os.path.getsize(app.aux_db.path + "-wal")
    job = app.cron.get("__pbDBOptimize__")
    assert job is not None
    job.fn()  # type: ignore[misc]
    assert before > 500_000
    for db in (app.db, app.aux_db):  # only what PRAGMA optimize wrote after the truncation is left
        assert os.path.getsize(db.path + "-wal") < 100_000


@pytest.mark.parametrize("asked_before_the_minute", [True, False])
def test_a_late_start_runs_the_minute_passed_since_it_was_asked(
    monkeypatch: pytest.MonkeyPatch, asked_before_the_minute: bool
) -> None:
    """The server starts the scheduler a moment after it serves (start_crons): a minute
    boundary between the request and the start is run at once, and only then."""
    seen: list[datetime] = []
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    since = minute - timedelta(seconds=1) if asked_before_the_minute else now

    async def main() -> None:
        cron = CronScheduler()
        monkeypatch.setattr(cron, "run_due", lambda m: seen.append(m) or [])
        cron.start(since=since)
        for _ in range(5):
            await asyncio.sleep(0)
        await cron.stop()

    asyncio.run(main())
    assert seen == ([minute] if asked_before_the_minute else [])
