"""Apply and revert the ``pb_migrations/*.py`` files (spec 13 §4).

Each file defines ``up(app)`` and, optionally, ``down(app)``.  Pending files run in
file-name order, all of one command in one transaction (as PocketBase's runner):
a failing file rolls the whole run back and is named in the error.  Applied files
are rows of ``_migrations`` (``applied`` in unix microseconds), next to the
PocketBase system migrations that :mod:`satchel.store.bootstrap` records.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import apsw

from satchel.store.bootstrap import AUX_MIGRATIONS, PB_MIGRATIONS
from satchel.store.database import Database, Tx

__all__ = ["Migration", "MigrationError", "MigrationsRunner", "load_migrations"]


SYSTEM_MIGRATIONS = frozenset(PB_MIGRATIONS + AUX_MIGRATIONS)


class MigrationError(Exception):
    """A migration failed (the run was rolled back) or a file can't be loaded."""


@dataclass(frozen=True)
class Migration:
    """One migration file: its ``up`` and ``down``."""
    file: str
    up: Callable[[Any], Any]
    down: Callable[[Any], Any] | None


def migration_files(directory: Path) -> list[Path]:
    """The ``*.py`` files of ``directory``, sorted by name (``_``/``.`` prefixed skipped)."""
    if not directory.is_dir():
        return []
    return sorted(
        (p for p in directory.iterdir() if p.suffix == ".py" and p.is_file() and not p.name.startswith(("_", "."))),
        key=lambda p: p.name,
    )


def _load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"satchel_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"failed to load migration {path.name}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise MigrationError(f"failed to load migration {path.name}: {exc}") from exc
    return module


def load_migrations(directory: Path) -> list[Migration]:
    out = []
    for path in migration_files(directory):
        module = _load_module(path)
        up = getattr(module, "up", None)
        down = getattr(module, "down", None)
        if not callable(up):
            raise MigrationError(f"migration {path.name} has no up(app) function")
        out.append(Migration(path.name, up, down if callable(down) else None))
    return out


def _now_us() -> int:
    return int(time.time() * 1_000_000)


def applied_files(conn: apsw.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT file FROM `_migrations`")}


def mark_applied(tx: Tx, file: str) -> None:
    tx.execute(
        # an upsert both SQLite and PostgreSQL understand (INSERT OR REPLACE is SQLite's)
        "INSERT INTO `_migrations` (file, applied) VALUES (?, ?) "
        "ON CONFLICT (file) DO UPDATE SET applied = excluded.applied",
        (file, _now_us()),
    )


class MigrationsRunner:
    """Runs the migration files of one directory against one database.

    ``make_app`` gives the object handed to ``up``/``down`` (the hook facade,
    ``satchel.hooks.HookApp``); it is called inside the open transaction, so
    everything the migration saves joins it.
    """

    def __init__(self, db: Database, directory: Path, make_app: Callable[[], Any]) -> None:
        self.db = db
        self.directory = directory
        self.make_app = make_app

    def pending(self) -> list[Migration]:
        done = self.db.read_sync(applied_files)
        return [m for m in load_migrations(self.directory) if m.file not in done]

    def up(self) -> list[str]:
        """Apply every pending file; the names applied (none: nothing to do)."""
        migrations = self.pending()
        if not migrations:
            return []

        def run(tx: Tx) -> list[str]:
            # checked again under the write lock: another process (a second worker, a
            # `migrate up` next to a starting serve) may have applied them meanwhile
            done = applied_files(tx.conn)
            todo = [m for m in migrations if m.file not in done]
            app = self.make_app()
            for m in todo:
                try:
                    m.up(app)
                except Exception as exc:
                    raise MigrationError(f"failed to apply migration {m.file}: {exc}") from exc
                mark_applied(tx, m.file)
            return [m.file for m in todo]

        return self.db.write_sync(run)

    def last_applied(self, conn: apsw.Connection, known: list[str], limit: int) -> list[str]:
        """The latest applied files among ``known`` (newest first); ``limit`` < 0: all."""
        rows = conn.execute("SELECT file FROM `_migrations` ORDER BY applied DESC, file DESC").fetchall()
        names = [str(r[0]) for r in rows if str(r[0]) in set(known)]
        return names if limit < 0 else names[:limit]

    def to_revert(self, count: int = 1) -> list[str]:
        """What :meth:`down` would revert, newest first."""
        files = [p.name for p in migration_files(self.directory)]
        return self.db.read_sync(lambda conn: self.last_applied(conn, files, count))

    def down(self, count: int = 1) -> list[str]:
        """Revert the last ``count`` applied files (negative: all); the names reverted."""
        by_file = {m.file: m for m in load_migrations(self.directory)}
        names = self.db.read_sync(lambda conn: self.last_applied(conn, list(by_file), count))
        if not names:
            return []

        def run(tx: Tx) -> list[str]:
            app = self.make_app()
            for name in names:
                down = by_file[name].down
                try:
                    if down is not None:
                        down(app)
                except Exception as exc:
                    raise MigrationError(f"failed to revert migration {name}: {exc}") from exc
                tx.execute("DELETE FROM `_migrations` WHERE file = ?", (name,))
            return names

        return self.db.write_sync(run)

    def history_sync(self) -> int:
        """Drop the ``_migrations`` rows of app migrations whose file is gone.

        Rows of PocketBase's system migrations are kept (as PocketBase, which drops any
        other row without a file, ``.go`` or ``.js`` alike).
        """
        present = {p.name for p in migration_files(self.directory)}

        def run(tx: Tx) -> int:
            gone = [f for f in applied_files(tx.conn) if f not in present and f not in SYSTEM_MIGRATIONS]
            for name in gone:
                tx.execute("DELETE FROM `_migrations` WHERE file = ?", (name,))
            return len(gone)

        return self.db.write_sync(run)
