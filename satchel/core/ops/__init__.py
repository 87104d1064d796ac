"""Operations: the cron scheduler and PocketBase's built-in jobs, backups (spec 12 §4, §7).

* :mod:`.cron` -- the scheduler (``app.cron.add(id, expr, fn)``, ``remove``, run now);
* :mod:`.jobs` -- the built-in ``__pb*`` jobs and the cleanups they run;
* :mod:`.backups` -- zips of pb_data, restores applied at the next start (:mod:`.restore_zip` checks them).
"""

from satchel.core.ops.backups import (
    AUTO_PREFIX,
    BUSY_MESSAGE,
    BackupService,
    apply_pending_restore,
    backup_name_error,
    clean_temp,
    default_backup_name,
    undo_restore,
)
from satchel.core.ops.cron import CronJob, CronScheduler, InvalidCronExpression, is_valid_expression
from satchel.core.ops.jobs import delete_expired_auth_rows, register_builtin_jobs

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
