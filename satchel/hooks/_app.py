"""``HookApp``: what hook files and migrations see of the running App.

One per :class:`satchel.app.App` (created by it); ``satchel.hooks.app`` points to
the last one created.  Hook registration (``app.on_record_create(...)``), data
access that goes through the API's validation and write code, mail, settings,
logs, the cron scheduler and the custom routes (``app.router``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import apsw

from satchel.core import mail, records
from satchel.core.collections import Collection, load_collections
from satchel.core.hook_events import HOOK_NAMES, AppHooks
from satchel.core.records import Record
from satchel.core.settings import Settings
from satchel.errors import ApiError, BadRequestError, NotFoundError
from satchel.store.database import Tx
from satchel.tools.hook import Hook

if TYPE_CHECKING:
    from satchel.api.user_routes import UserRouter
    from satchel.app import App
    from satchel.core.mail import MailMessage
    from satchel.core.records import RecordEnv

__all__ = ["HookApp", "HookRegistrar", "current_app", "set_current_app"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_current: HookApp | None = None
_current_lock = threading.Lock()


def current_app() -> HookApp:
    app = _current
    if app is None:
        raise RuntimeError(
            "satchel.hooks.app is used before a Satchel app exists: hook files are imported by "
            "`satchel serve` (or Satchel(...)); in a script, create satchel.app.App(Config(...)) first"
        )
    return app


def set_current_app(app: HookApp | None) -> None:
    global _current
    with _current_lock:
        _current = app


_log = logging.getLogger("satchel.hooks")


def _as_api_error(handler: Callable[[Any], Any], exc: Exception) -> BaseException:
    """A user handler's plain exception becomes PocketBase's 400 (its ``ToApiError``): a
    bug in a hook answers ``{"status":400,"message":"Something went wrong..."}`` and is
    logged with its traceback, never a 500.  Applied by the chain (``on_error``), not by
    a wrapper around the handler: no extra coroutine on every hooked request."""
    if isinstance(exc, ApiError):
        return exc
    func = getattr(handler, "func", handler)  # a hook file's handler is wrapped (Owned)
    _log.exception("hook handler %s failed", getattr(func, "__qualname__", func))
    return BadRequestError()


class HookRegistrar:
    """``app.on_<event>``: a decorator (optionally limited to collections), or ``.bind``.

    ``@app.on_record_create`` / ``@app.on_record_create("posts", "comments", id="x", priority=5)``.
    """

    __slots__ = ("hook",)

    def __init__(self, hook: Hook[Any]) -> None:
        self.hook = hook

    def __call__(self, *tags: Any, id: str | None = None, priority: int = 0) -> Any:  # noqa: A002
        if len(tags) == 1 and callable(tags[0]) and not isinstance(tags[0], str):
            self.hook.bind(tags[0], id=id, priority=priority, on_error=_as_api_error)
            return tags[0]
        names = [t if isinstance(t, str) else getattr(t, "id", str(t)) for t in tags]

        def decorator(handler: F) -> F:
            self.hook.bind(handler, id=id, priority=priority, tags=names, on_error=_as_api_error)
            return handler

        return decorator

    def bind(
        self,
        handler: Callable[[Any], Any],
        id: str | None = None,
        priority: int = 0,
        tags: Sequence[str] = (),
    ) -> str:  # noqa: A002
        return self.hook.bind(handler, id=id, priority=priority, tags=tags, on_error=_as_api_error)

    def unbind(self, *ids: str) -> None:
        self.hook.unbind(*ids)

    def unbind_all(self) -> None:
        self.hook.unbind_all()

    def __len__(self) -> int:
        return len(self.hook)


class HookApp:
    """The facade of one running App (see the module docstring and docs/hooks.md)."""

    def __init__(self, core: App) -> None:
        self._core = core
        self.hooks: AppHooks = core.hooks
        self.hooks.app = self
        self.logger = logging.getLogger("satchel.hooks")
        # every level reaches the app's log handler, which keeps what settings.logs.minLevel allows
        # (left unset, Python's root WARNING level would drop app.logger.info before it)
        self.logger.setLevel(logging.DEBUG)

    # -- hooks ------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name in HOOK_NAMES:
            return HookRegistrar(self.hooks.get(name))
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *HOOK_NAMES})

    # -- services -----------------------------------------------------------------------

    @property
    def core(self) -> App:
        """The App behind the facade (its services: db, registry, files...)."""
        return self._core

    @property
    def cron(self) -> Any:
        """The cron scheduler: ``app.cron.add(id, expr, fn)``, ``remove(id)``."""
        return self._core.cron

    @property
    def router(self) -> UserRouter:
        """The custom routes: ``@app.router.get("/api/hello/{name}", require_auth())``."""
        return self._core.user_router

    @property
    def data_dir(self) -> str:
        return str(self._core.config.data_dir)

    def settings(self) -> Settings:
        return self._core.settings.current

    def is_dev(self) -> bool:
        return bool(self._core.config.dev)

    # -- collections ----------------------------------------------------------------------

    def _lookup_collection(self, name_or_id: str) -> Collection | None:
        """The registry, or inside a write the transaction's own view: a migration (or a
        hook) sees the collections it created or changed before they commit."""
        tx = self._core.db.current_tx()
        if tx is None:
            return self._core.registry.get(name_or_id)
        collections = load_collections(tx.conn)
        by_id = [c for c in collections if c.id == name_or_id]
        by_name = [c for c in collections if c.name.lower() == name_or_id.lower()]
        found = by_id or by_name
        return found[0] if found else None

    def find_collection_by_name_or_id(self, name_or_id: str) -> Collection:
        found = self._lookup_collection(name_or_id)
        if found is None:
            raise NotFoundError(f"Missing collection {name_or_id!r}.")
        return found

    def find_all_collections(self, *types: str) -> list[Collection]:
        return [c for c in self._core.registry.all() if not types or c.type in types]

    def _collection(self, collection: Collection | str) -> Collection:
        return self.find_collection_by_name_or_id(
            collection if isinstance(collection, str) else collection.id
        )

    # -- records ----------------------------------------------------------------------------

    def _env(self) -> RecordEnv:
        # the records face loads its reading and writing modules here, on a hook's first
        # use of them, not when the App starts (docs/performance.md)
        return records.RecordEnv.from_app(self._core)

    def _read(self, fn: Callable[[apsw.Connection], T]) -> T:
        tx = self._core.db.current_tx()  # inside a write: see its own uncommitted rows
        return fn(tx.conn) if tx is not None else self._core.db.read_sync(fn)

    def _write(self, fn: Callable[[Tx], T]) -> T:
        return self._core.db.write_sync(fn)  # joins the transaction open on this thread

    def find_record_by_id(self, collection: Collection | str, record_id: str) -> Record:
        c, env = self._collection(collection), self._env()
        return self._read(lambda conn: records.find_record(conn, env, c, record_id))

    def find_records_by_filter(
        self,
        collection: Collection | str,
        filter: str = "",  # noqa: A002
        sort: str = "",
        limit: int = 0,
        offset: int = 0,
        params: Mapping[str, Any] | None = None,
    ) -> list[Record]:
        c, env = self._collection(collection), self._env()
        return self._read(lambda conn: records.find_records(conn, env, c, filter, sort, limit, offset, params))

    def find_first_record_by_filter(
        self,
        collection: Collection | str,
        filter: str,
        params: Mapping[str, Any] | None = None,  # noqa: A002
    ) -> Record:
        found = self.find_records_by_filter(collection, filter, "", 1, 0, params)
        if not found:
            raise NotFoundError()
        return found[0]

    def count_records(
        self, collection: Collection | str, filter: str = "", params: Mapping[str, Any] | None = None
    ) -> int:  # noqa: A002
        return len(self.find_records_by_filter(collection, filter, params=params))

    def save(self, model: Record | Collection | Mapping[str, Any]) -> Any:
        """Validate and store a record (create or update, hooks and realtime as the API),
        or a collection (a :class:`Collection` or the API's JSON of one)."""
        if isinstance(model, Record):
            env = self._env()
            return self._write(lambda tx: records.save_record_model(tx, env, model))
        payload = model.to_api_dict() if isinstance(model, Collection) else dict(model)
        existing = self._lookup_collection(str(payload.get("id") or payload.get("name") or ""))
        if existing is not None and (not payload.get("id") or payload.get("id") == existing.id):
            return self._core.collections.update_sync(existing.id, payload)
        return self._core.collections.create_sync(payload)

    def delete(self, model: Record | Collection | str) -> None:
        """Delete a record (references handled as the API does) or a collection."""
        if isinstance(model, Record):
            env = self._env()
            self._write(lambda tx: records.delete_record_model(tx, env, model))
            return
        name = model if isinstance(model, str) else model.id
        self._core.collections.delete_sync(name)

    def import_collections(self, items: Sequence[Mapping[str, Any]], delete_missing: bool = False) -> None:
        """Create or update every collection of ``items`` (API JSON) as the import API does;
        with ``delete_missing`` the collections not listed are deleted."""
        self._core.collections.import_sync([dict(i) for i in items], delete_missing)

    def run_in_transaction(self, fn: Callable[[HookApp], T]) -> T:
        """Run ``fn(app)`` in one write transaction: every save/delete it makes commits
        together or not at all (an exception rolls them all back)."""
        return self._write(lambda tx: fn(self))

    # -- the same, for coroutine handlers (never blocking the event loop) ---------------------

    async def afind_record_by_id(self, collection: Collection | str, record_id: str) -> Record:
        c, env = self._collection(collection), self._env()
        return await self._core.db.read(lambda conn: records.find_record(conn, env, c, record_id))

    async def afind_records_by_filter(
        self,
        collection: Collection | str,
        filter: str = "",  # noqa: A002
        sort: str = "",
        limit: int = 0,
        offset: int = 0,
        params: Mapping[str, Any] | None = None,
    ) -> list[Record]:
        c, env = self._collection(collection), self._env()
        return await self._core.db.read(lambda conn: records.find_records(conn, env, c, filter, sort, limit, offset, params))

    async def afind_first_record_by_filter(
        self,
        collection: Collection | str,
        filter: str,  # noqa: A002
        params: Mapping[str, Any] | None = None,
    ) -> Record:
        found = await self.afind_records_by_filter(collection, filter, "", 1, 0, params)
        if not found:
            raise NotFoundError()
        return found[0]

    async def asave(self, model: Record | Collection | Mapping[str, Any]) -> Any:
        """:meth:`save` on the writer thread (its model hooks run there)."""
        return await self._core.db.on_writer(self.save, model)

    async def adelete(self, model: Record | Collection | str) -> None:
        await self._core.db.on_writer(self.delete, model)

    async def arun_in_transaction(self, fn: Callable[[HookApp], T]) -> T:
        """:meth:`run_in_transaction` on the writer thread (``fn`` is a plain function)."""
        return await self._core.db.on_writer(self.run_in_transaction, fn)

    # -- mail ---------------------------------------------------------------------------------

    def send_mail(
        self,
        message: MailMessage | None = None,
        *,
        to: str | Sequence[str] = (),
        subject: str = "",
        html: str = "",
        text: str = "",
    ) -> Any:
        """Send a mail with the app's SMTP settings.

        On the event loop (a coroutine handler) it is sent in the background and the
        task is returned; elsewhere (a plain handler, a migration) it is sent before
        returning and a failure raises.
        """
        if message is None:
            recipients = [to] if isinstance(to, str) else list(to)
            message = mail.MailMessage(to=recipients, subject=subject, html=html, text=text)
        mailer = mail.get_mailer(self._core)  # the mail modules on the first mail, not at start-up
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(mailer.send(message))
            return None
        return mailer.send_background(message)

    def __repr__(self) -> str:
        return f"<HookApp {self.data_dir}>"
