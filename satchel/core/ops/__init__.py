"""Operations: the cron scheduler and PocketBase's built-in jobs, backups (spec 12 §4, §7).

* :mod:`.cron` -- the scheduler (``app.cron.add(id, expr, fn)``, ``remove``, run now);
* :mod:`.jobs` -- the built-in ``__pb*`` jobs and the cleanups they run;
* :mod:`.backups` -- zips of pb_data, restores applied at the next start (:mod:`.restore_zip` checks them);
* :mod:`.restore_swap` -- what every start runs before the databases open (a pending restore, temp folders).

A lazy face: a name is imported from its module on first use, so a start that serves
before any cron tick or backup imports none of them (``app.cron`` and ``app.backups`` are
made on first use, see :class:`satchel.app.App`).
"""

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.ops.backups import (
        AUTO_PREFIX,
        BUSY_MESSAGE,
        BackupService,
        backup_name_error,
        default_backup_name,
    )
    from satchel.core.ops.cron import CronJob, CronScheduler, InvalidCronExpression, is_valid_expression
    from satchel.core.ops.jobs import delete_expired_auth_rows, register_builtin_jobs
    from satchel.core.ops.restore_swap import apply_pending_restore, clean_temp, undo_restore

__getattr__ = lazy_names(__name__, {
    "AUTO_PREFIX": "backups",
    "BUSY_MESSAGE": "backups",
    "BackupService": "backups",
    "backup_name_error": "backups",
    "default_backup_name": "backups",
    "CronJob": "cron",
    "CronScheduler": "cron",
    "InvalidCronExpression": "cron",
    "is_valid_expression": "cron",
    "delete_expired_auth_rows": "jobs",
    "register_builtin_jobs": "jobs",
    "apply_pending_restore": "restore_swap",
    "clean_temp": "restore_swap",
    "undo_restore": "restore_swap",
})

__all__ = [
    "AUTO_PREFIX",
    "BUSY_MESSAGE",
    "BackupService",
    "apply_pending_restore",
    "backup_name_error",
    "clean_temp",
    "default_backup_name",
    "undo_restore",
    "CronJob",
    "CronScheduler",
    "InvalidCronExpression",
    "delete_expired_auth_rows",
    "is_valid_expression",
    "register_builtin_jobs",
]
