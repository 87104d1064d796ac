"""The composition root: one App holds the services of a running Satchel.

Built from a :class:`~satchel.config.Config`; the CLI and the tests make one,
the ASGI application (``satchel.api.build_asgi``) serves it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from satchel.config import Config
from satchel.core.bootstrap import bootstrap_data_dir
from satchel.core.collections.registry import CollectionRegistry, load_collections
from satchel.core.collections.service import CollectionService
from satchel.core.hook_events import AppHooks
from satchel.core.logs import AppLogHandler, LogService
from satchel.core.migrations.runner import MigrationsRunner
from satchel.core.ops.restore_swap import apply_pending_restore, clean_temp, undo_restore
from satchel.core.records.rows import RecordStore
from satchel.core.settings.hook_events import SettingsReloadEvent
from satchel.core.settings.model import Settings
from satchel.core.settings.pb_config import apply_pb_config
from satchel.core.settings.service import SettingsService
from satchel.hooks import HookApp, set_current_app
from satchel.store.database import Database
from satchel.store.dialect import SqliteDialect
from satchel.tools.bus import Bus, InProcessBus
from satchel.tools.hook_files import HookFiles
from satchel.tools.registrations import recording

if TYPE_CHECKING:
    from satchel.api.user_routes import UserRouter
    from satchel.core.files.storage import FileService
    from satchel.core.migrations.automigrate import Automigrator
    from satchel.core.ops.backups import BackupService
    from satchel.core.ops.cron import CronScheduler

__all__ = ["App"]

T = TypeVar("T")


MAIL_GRACE = 3.0  # seconds a clean stop waits for pending mails


class _Service(Generic[T]):
    """An App service made on first use, once: later reads find the instance's own
    attribute (a non-data descriptor), so a request pays nothing for the laziness.  Made
    under the App's lock (worker threads may ask at once, and a service owns state that must
    be one, e.g. the backups lock), and as built-in even when a hook file asks first."""

    def __init__(self, make: Callable[[App], T]) -> None:
        self.make = make
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, app: App | None, owner: type | None = None) -> T:
        if app is None:
            return self  # type: ignore[return-value]
        with app._services_lock:
            service: T | None = app.__dict__.get(self.name)
            if service is None:
                with recording(None):
                    service = self.make(app)
                app.__dict__[self.name] = service
        return service


class App:
    def __init__(self, config: Config) -> None:
        self.config = config
        # the hook chains exist before any service, so the services can fire them
        self.hooks = AppHooks()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.dialect: SqliteDialect = SqliteDialect()
        if config.db:  # psycopg is imported only for a PostgreSQL database
            from satchel.store.postgres import PgDialect

            self.dialect = PgDialect()
        # the logs stay in auxiliary.db (SQLite) whatever holds the data
        self.aux_dialect = SqliteDialect()
        previous = apply_pending_restore(config.data_dir)  # a restore accepted before the restart
        try:
            self._open_databases()
        except BaseException:
            if previous is not None:
                undo_restore(config.data_dir, previous)
            raise
        clean_temp(config.data_dir, previous)  # the previous data of a restore goes once the new one opened
        self.registry = CollectionRegistry(self.db.read_sync(load_collections))
        self.collections = CollectionService(self.db, self.dialect, self.registry)
        self.collections.hooks = self.hooks
        self.settings = SettingsService(
            self.db, encryption_key=config.encryption_key, encryption_env=config.encryption_env
        )
        self.records = RecordStore(self.db, self.dialect, self.registry)
        apply_pb_config(config.data_dir, self.settings)
        # app.files, app.cron and app.backups are made on first use (see _Service)
        self._services_lock = threading.RLock()
        self.collections.on_deleted = lambda c: self.files.delete_collection_files(c.id)
        # pb_migrations/*.py: applied by `serve` at start and by `satchel migrate`
        self.migrations = MigrationsRunner(self.db, config.resolved_migrations_dir, self.migration_app)
        self.state: dict[str, Any] = {}
        # what every serving process shares; a worker of `serve --workers=N` swaps in its link
        self.bus: Bus = InProcessBus()
        self.logs = LogService(self.aux_db, lambda: self.settings.current.logs)
        self._log_handler = AppLogHandler(self.logs)
        logging.getLogger("satchel").addHandler(self._log_handler)
        # pb_hooks/*.py: run by `serve` before it serves (satchel.cli.load_hooks), watched while it serves
        self.hook_files = HookFiles(config.resolved_hooks_dir, watch=config.hooks_watch)
        self.settings.on_change.append(self._schedule_auto_backups)
        self.settings.on_change.append(
            lambda s: self.hooks.fire_sync("on_settings_reload", SettingsReloadEvent(app=self.hooks.app, settings=s))
        )
        # the public facade: `from satchel.hooks import app` points to the last App made
        self.hook_app = HookApp(self)
        set_current_app(self.hook_app)

    # -- services made on first use (see _Service): a start that serves a health check
    # imports none of their modules (storage and mime sniffing, cron, backups)

    def _make_files(self) -> FileService:
        from satchel.core.files.storage import FileService

        return FileService(self.config.data_dir / "storage", lambda: self.settings.current.s3)

    def _make_cron(self) -> CronScheduler:
        from satchel.core.ops.cron import CronScheduler
        from satchel.core.ops.jobs import register_builtin_jobs

        cron = CronScheduler()
        register_builtin_jobs(cron, self.db, self.aux_db, self.registry, lambda: self.settings.current)
        self._schedule_auto_backups(self.settings.current, cron)
        return cron

    def _make_backups(self) -> BackupService:
        from satchel.core.ops.backups import BackupService

        backups = BackupService(self.config.data_dir, self.db, self.aux_db, lambda: self.settings.current)
        backups.hooks = self.hooks
        return backups

    #: uploads, thumbs and their storage (``pb_data/storage`` or S3)
    files: _Service[FileService] = _Service(_make_files)
    #: the scheduler with PocketBase's built-in jobs (and ``__pbAutoBackup__`` while
    #: ``backups.cron`` is set); started by the server's lifespan, hooks add their jobs
    #: with ``app.cron.add(id, expr, fn)``
    cron: _Service[CronScheduler] = _Service(_make_cron)
    #: backups and restores, one at a time (the service's lock)
    backups: _Service[BackupService] = _Service(_make_backups)

    def migration_app(self) -> Any:
        """What a migration's ``up(app)`` / ``down(app)`` receives: the hook facade."""
        return self.hook_app

    @cached_property
    def automigrate(self) -> Automigrator | None:
        """Writes a migration file for each collection change made through the API
        (``--automigrate``, on by default); made on the first change, so that a start-up
        does not import the migration file generator."""
        if not self.config.automigrate:
            return None
        from satchel.core.migrations.automigrate import Automigrator

        return Automigrator(self.db, self.config.resolved_migrations_dir)

    @property
    def user_router(self) -> UserRouter:
        """The custom routes of hooks (``app.router`` of ``satchel.hooks``); made on first use
        so that commands which never serve do not import the web layer."""
        router: UserRouter | None = self.state.get("user_router")
        if router is None:
            from satchel.api.router import builtin_patterns
            from satchel.api.user_routes import UserRouter

            router = self.state["user_router"] = UserRouter(builtin_patterns)
        return router

    def _open_databases(self) -> None:
        config = self.config
        self.db: Database
        if config.db:
            # the data in PostgreSQL; logs (auxiliary.db) and files stay in the data dir
            from satchel.store.postgres import PgDatabase

            self.db = PgDatabase(config.db, dev=config.dev, query_timeout=config.query_timeout)
        else:
            self.db = Database(str(config.data_db), dev=config.dev, query_timeout=config.query_timeout)
        self.aux_db = Database(str(config.aux_db), dev=config.dev, query_timeout=config.query_timeout, readers=1)
        try:
            bootstrap_data_dir(self.db, self.aux_db, self.dialect, encryption_key=config.encryption_key)
        except BaseException:
            self.db.close()
            self.aux_db.close()
            raise

    def _schedule_auto_backups(self, settings: Settings, cron: CronScheduler | None = None) -> None:
        """``__pbAutoBackup__`` exists while ``backups.cron`` is set (rescheduled on change);
        a scheduler not made yet schedules it when it is made (the services' lock: a change
        saved while it is being made is not missed)."""
        with self._services_lock:
            cron = cron or self.__dict__.get("cron")
            if cron is None:
                return
            expression = settings.backups.cron
            job = cron.get("__pbAutoBackup__")
            if not expression:
                cron.remove("__pbAutoBackup__")
            elif job is None or job.expression != expression:
                cron.add("__pbAutoBackup__", expression, self._auto_backup)

    def _auto_backup(self) -> None:
        self.backups.create_auto()

    async def aclose(self) -> None:
        """Stop background work owned by services (cron jobs, mail sends in flight)."""
        await self.hook_files.stop()
        pending = self.state.pop("cron_start", None)  # a scheduler not started yet (start_crons)
        if pending is not None:
            pending.cancel()
        cron = self.__dict__.get("cron")
        if cron is not None:
            await cron.stop()
        mailer = self.state.get("mailer")
        if mailer is not None:
            # a clean stop lets the mails of requests already answered go out
            await mailer.drain(MAIL_GRACE)
            await mailer.aclose()

    def close(self) -> None:
        from satchel.hooks import _app as hook_app_module

        if hook_app_module._current is self.hook_app:
            set_current_app(None)
        logging.getLogger("satchel").removeHandler(self._log_handler)
        self.logs.close()  # writes every queued entry before the aux database closes
        files = self.__dict__.get("files")
        if files is not None:
            files.close()
        self.db.close()
        self.aux_db.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
