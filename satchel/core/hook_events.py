"""The events of Satchel's hooks and the registry of their chains (``AppHooks``).

Every PocketBase 0.40 hook exists here under its snake_case name with a
:class:`~satchel.tools.hook.Hook` of its own; the write paths and request handlers
trigger them with the built-in behaviour as the final handler, so a user hook
runs before or after it.  Events are plain dataclasses: what a handler may read
and change.  ``e.app`` is the hook facade (:mod:`satchel.hooks`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from satchel.core.collections.model import Collection
from satchel.core.records.model import Record
from satchel.tools.hook import Event, Hook

__all__ = [
    "HOOK_NAMES",
    "AppEvent",
    "AppHooks",
    "BackupEvent",
    "BatchRequestEvent",
    "BootstrapEvent",
    "ModelErrorEvent",
    "ModelEvent",
    "RequestData",
    "RequestEvent",
    "ServeEvent",
    "TerminateEvent",
]


@dataclass(eq=False, kw_only=True)
class AppEvent(Event):
    """An event that carries the app (PocketBase's ``core.App`` events)."""
    app: Any = None


# -- model events -------------------------------------------------------------------------


@dataclass(eq=False, kw_only=True)
class ModelEvent(AppEvent):
    """Any model (a record or a collection) being validated/created/updated/deleted:
    ``e.model``, ``e.type`` (``create``, ``update``, ``delete``, ``validate``)."""

    model: Record | Collection
    type: str = ""

    def hook_tags(self) -> tuple[str, ...]:
        m = self.model
        if isinstance(m, Record):
            return (m.collection.id, m.collection.name)
        return ("_collections",)  # PocketBase tags a model by its table


@dataclass(eq=False, kw_only=True)
class ModelErrorEvent(ModelEvent):
    """A model event after its write failed."""
    error: BaseException | None = None


# -- request events -----------------------------------------------------------------------


class RequestData:
    """The HTTP request as a hook sees it (the server's subclass reads it lazily)."""

    def __init__(
        self,
        *,
        method: str = "GET",
        path: str = "",
        path_params: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        remote_ip: str = "",
    ) -> None:
        self.method = method
        self.path = path
        self.path_params: Mapping[str, str] = path_params or {}
        self.query_params: Mapping[str, str] = query_params or {}
        self.headers: Mapping[str, str] = headers or {}  # lower-case names
        self.body: Mapping[str, Any] = body or {}
        self.remote_ip = remote_ip

    def __repr__(self) -> str:
        return f"<RequestData {self.method} {self.path}>"


@dataclass(eq=False, kw_only=True)
class RequestEvent(AppEvent):
    """``e.request``, ``e.auth``; a handler may answer itself with ``e.json(...)``
    (or set ``e.response``) instead of, or after, the built-in answer."""

    request: RequestData = field(default_factory=RequestData)
    auth: Record | None = None
    response: Any = None
    status: int = 200

    def json(self, status: int, data: Any) -> None:
        self.status = status
        self.response = data

    def no_content(self, status: int = 204) -> None:
        self.status = status
        self.response = None

    def has_superuser_auth(self) -> bool:
        return self.auth is not None and self.auth.collection.name == "_superusers"


@dataclass(eq=False, kw_only=True)
class BatchRequestEvent(RequestEvent):
    """``onBatchRequest``: the requests of a batch."""
    batch: list[Any] = field(default_factory=list)


# -- app, mail, backups -------------------------------------------------------------------


@dataclass(eq=False, kw_only=True)
class BootstrapEvent(AppEvent):
    """``onBootstrap``: the app is opened."""


@dataclass(eq=False, kw_only=True)
class ServeEvent(AppEvent):
    """``e.next()`` starts serving (the cron jobs start); ``e.router`` is ``app.router``."""

    server: Any = None
    router: Any = None


@dataclass(eq=False, kw_only=True)
class TerminateEvent(AppEvent):
    """``onTerminate``: the app stops (or restarts)."""
    is_restart: bool = False


@dataclass(eq=False, kw_only=True)
class BackupEvent(AppEvent):
    """``onBackupCreate`` / ``onBackupRestore``: the backup's name and what it leaves out."""
    name: str = ""
    exclude: list[str] = field(default_factory=list)


# -- the registry ---------------------------------------------------------------------------

_MODEL_ACTIONS = ("create", "update", "delete")


def _model_names(kind: str) -> tuple[str, ...]:
    names = [f"on_{kind}_validate"]
    for action in _MODEL_ACTIONS:
        names += [
            f"on_{kind}_{action}",
            f"on_{kind}_{action}_execute",
            f"on_{kind}_after_{action}_success",
            f"on_{kind}_after_{action}_error",
        ]
    return tuple(names)


HOOK_NAMES: tuple[str, ...] = (
    "on_bootstrap",
    "on_serve",
    "on_terminate",
    "on_backup_create",
    "on_backup_restore",
    "on_mailer_send",
    "on_mailer_record_auth_alert_send",
    "on_mailer_record_password_reset_send",
    "on_mailer_record_verification_send",
    "on_mailer_record_email_change_send",
    "on_mailer_record_otp_send",
    "on_realtime_connect_request",
    "on_realtime_subscribe_request",
    "on_realtime_message_send",
    "on_record_enrich",
    *_model_names("model"),
    *_model_names("record"),
    *_model_names("collection"),
    "on_records_list_request",
    "on_record_view_request",
    "on_record_create_request",
    "on_record_update_request",
    "on_record_delete_request",
    "on_record_auth_request",
    "on_record_auth_with_password_request",
    "on_record_auth_with_oauth2_request",
    "on_record_auth_with_otp_request",
    "on_record_auth_refresh_request",
    "on_record_request_password_reset_request",
    "on_record_confirm_password_reset_request",
    "on_record_request_verification_request",
    "on_record_confirm_verification_request",
    "on_record_request_email_change_request",
    "on_record_confirm_email_change_request",
    "on_record_request_otp_request",
    "on_collections_list_request",
    "on_collection_view_request",
    "on_collection_create_request",
    "on_collection_update_request",
    "on_collection_delete_request",
    "on_collections_import_request",
    "on_settings_list_request",
    "on_settings_update_request",
    "on_settings_reload",
    "on_file_download_request",
    "on_file_token_request",
    "on_batch_request",
)


async def _awaited(awaitable: Awaitable[Any]) -> None:
    await awaitable


class AppHooks:
    """One :class:`Hook` per name of :data:`HOOK_NAMES` (``hooks.on_record_create``...).

    ``app`` is the facade put on every event as ``e.app`` (set by
    :class:`satchel.hooks.HookApp`).
    """

    def __init__(self) -> None:
        self.app: Any = None
        self._hooks: dict[str, Hook[Any]] = {name: Hook(name) for name in HOOK_NAMES}
        # plain attributes: ``hooks.on_record_view_request`` is read on every request
        self.__dict__.update(self._hooks)
        self._tasks: set[asyncio.Task[None]] = set()
        self._chains: dict[tuple[str, str], tuple[Hook[Any], ...]] = {}

    def get(self, name: str) -> Hook[Any]:
        try:
            return self._hooks[name]
        except KeyError:
            raise AttributeError(f"no hook named {name!r}") from None

    def __getattr__(self, name: str) -> Hook[Any]:
        if name.startswith("on_"):
            return self.get(name)
        raise AttributeError(name)

    def model_chain(self, kind: str, action: str) -> tuple[Hook[Any], ...]:
        """The hooks one model write may fire (``kind``: record/collection; cached)."""
        key = (kind, action)
        chain = self._chains.get(key)
        if chain is None:
            names = [f"on_{k}_{step}" for k in (kind, "model")
                     for step in (action, f"{action}_execute", "validate", f"after_{action}_success",
                                  f"after_{action}_error")]  # fmt: skip
            chain = self._chains[key] = tuple(self._hooks[n] for n in names)
        return chain

    def names(self) -> tuple[str, ...]:
        return HOOK_NAMES

    def fire_sync(self, name: str, event: AppEvent) -> None:
        """Trigger a hook from plain code on any thread: on a thread running an event loop
        the chain is scheduled on it (a coroutine handler can't run to its end there)."""
        hook = self.get(name)
        if not hook.handlers:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            hook.trigger_sync(event)
            return
        task = loop.create_task(_awaited(hook.trigger(event)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
