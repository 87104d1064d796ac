"""PocketBase's built-in cron jobs (spec 12 §7), registered through the public cron API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from satchel.core.logs import delete_old_logs  # one retention rule for the cron job and settings changes
from satchel.core.ops.cron import CronScheduler
from satchel.store.database import Database, Tx
from satchel.tools.timeutil import format_datetime

if TYPE_CHECKING:
    from satchel.core.collections.registry import CollectionRegistry
    from satchel.core.settings.model import Settings

__all__ = [
    "delete_expired_auth_rows",
    "register_builtin_jobs",
]

#: defaults PocketBase applies when a collection leaves the duration empty (seconds)
_DEFAULT_DURATION = {"mfa": 600, "otp": 180}


def _cutoff(seconds: float, now: datetime | None = None) -> str:
    return format_datetime((now or datetime.now(UTC)) - timedelta(seconds=seconds))


def delete_expired_auth_rows(
    db: Database, registry: CollectionRegistry, table: str, option: str, now: datetime | None = None
) -> int:
    """Delete the ``_mfas``/``_otps`` rows older than their auth collection's duration."""
    cutoffs = []
    for c in registry.all():
        if c.is_auth:
            duration = float((c.options.get(option) or {}).get("duration") or _DEFAULT_DURATION[option])
            cutoffs.append((c.id, _cutoff(duration, now)))
    if not cutoffs:
        return 0

    def run(tx: Tx) -> int:
        deleted = 0
        for collection_id, limit in cutoffs:
            tx.execute(
                f"DELETE FROM `{table}` WHERE `collectionRef` = :c AND `created` < :limit",
                {"c": collection_id, "limit": limit},
            )
            deleted += int(tx.conn.changes())
        return deleted

    return db.write_sync(run)


def register_builtin_jobs(
    cron: CronScheduler,
    db: Database,
    aux_db: Database,
    registry: CollectionRegistry,
    settings: Callable[[], Settings],
) -> None:
    """The jobs a fresh PocketBase 0.40.6 lists, in its order."""

    def optimize() -> None:
        db.optimize()
        aux_db.optimize()

    def mfa_cleanup() -> None:
        delete_expired_auth_rows(db, registry, "_mfas", "mfa")

    def otp_cleanup() -> None:
        delete_expired_auth_rows(db, registry, "_otps", "otp")

    def logs_cleanup() -> None:
        delete_old_logs(aux_db, settings().logs.max_days)

    cron.add("__pbDBOptimize__", "0 0 * * *", optimize)
    cron.add("__pbMFACleanup__", "0 * * * *", mfa_cleanup)
    cron.add("__pbOTPCleanup__", "0 * * * *", otp_cleanup)
    cron.add("__pbLogsCleanup__", "0 */6 * * *", logs_cleanup)
