"""Automigrate: a collection change made through the API writes the migration replaying it.

As PocketBase, the file is recorded in ``_migrations`` as already applied (this
database has the change) and written in the same transaction as that row.
File names get strictly increasing timestamps, so that changes made within one
second (a collection, then another one relating to it) replay in their order.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from satchel.core.migrations.generate import diff_template, migration_action, migration_file_name
from satchel.core.migrations.runner import mark_applied, migration_files
from satchel.store.database import Database, Tx

__all__ = ["Automigrator"]

_TIMESTAMP = re.compile(r"^(\d+)_")


def next_timestamp(directory: Path, now: float) -> int:
    """``now`` in seconds, or one past the newest file's when that is not older."""
    latest = max((int(m.group(1)) for p in migration_files(directory) if (m := _TIMESTAMP.match(p.name))), default=0)
    return max(int(now), latest + 1)


class Automigrator:
    def __init__(self, db: Database, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.directory = directory
        self.clock = clock

    def record(self, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str | None:
        """Write the migration of ``before`` -> ``after`` (API JSON); its file name, or
        ``None`` when nothing a migration replays changed."""
        source = diff_template(before, after)
        if source is None:
            return None

        def run(tx: Tx) -> str:
            name = migration_file_name(next_timestamp(self.directory, self.clock()), migration_action(before, after))
            mark_applied(tx, name)
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / name
            tx.after_rollback(lambda: path.unlink(missing_ok=True))
            tmp = path.with_name("." + name + ".tmp")
            tmp.write_text(source, encoding="utf-8")
            tmp.replace(path)  # never a half-written migration file
            return name

        return self.db.write_sync(run)
