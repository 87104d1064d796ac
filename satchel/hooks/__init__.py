"""Extending Satchel in Python: the public hook API (see docs/hooks.md).

A hook file or a migration uses the running app through::

    from satchel.hooks import app, BadRequestError

    @app.on_record_create_request("posts")
    def stamp_author(e):
        e.record.set("author", e.auth.id if e.auth else "")
        e.next()

``app`` is a proxy to the :class:`HookApp` of the App that is running (the last
one created in this process); using it before any App exists raises a clear error.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from satchel.errors import ApiError, BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError
from satchel.hooks._app import HookApp, HookRegistrar, current_app, set_current_app
from satchel.tools.hook import Event, Hook

if TYPE_CHECKING:
    from satchel.api.user_routes import (
        RouteEvent,
        RouteRequestInfo,
        body_limit,
        require_auth,
        require_guest_only,
        require_superuser_auth,
        require_superuser_or_owner_auth,
    )
    from satchel.core.auth import (
        RecordAuthRequestEvent,
        RecordAuthWithOAuth2RequestEvent,
        RecordAuthWithOTPRequestEvent,
        RecordConfirmEmailChangeRequestEvent,
        RecordCreateOTPRequestEvent,
    )
    from satchel.core.collections import (
        CollectionErrorEvent,
        CollectionEvent,
        CollectionRequestEvent,
        CollectionsImportRequestEvent,
        CollectionsListRequestEvent,
    )
    from satchel.core.files import FileDownloadRequestEvent, FileTokenRequestEvent
    from satchel.core.hook_events import (
        AppEvent,
        BackupEvent,
        BatchRequestEvent,
        BootstrapEvent,
        ModelErrorEvent,
        ModelEvent,
        RequestData,
        RequestEvent,
        ServeEvent,
        TerminateEvent,
    )
    from satchel.core.mail import MailerEvent, MailerRecordEvent, MailMessage
    from satchel.core.realtime import (
        RealtimeConnectRequestEvent,
        RealtimeMessage,
        RealtimeMessageEvent,
        RealtimeSubscribeRequestEvent,
    )
    from satchel.core.records import (
        File,
        Record,
        RecordEnrichEvent,
        RecordErrorEvent,
        RecordEvent,
        RecordRequestEvent,
        RecordsListRequestEvent,
    )
    from satchel.core.settings import (
        SettingsListRequestEvent,
        SettingsReloadEvent,
        SettingsUpdateRequestEvent,
    )

# the custom routes' names come from the web layer, imported on first use: commands that never
# serve (superuser, migrate) do not pay for importing it (~200 ms)
_ROUTE_NAMES = frozenset({
    "RouteEvent", "RouteRequestInfo", "body_limit", "require_auth", "require_guest_only",
    "require_superuser_auth", "require_superuser_or_owner_auth",
})


# the event classes and records' models load with their domain on first use (start-up)
_EVENTS = {
    "RecordAuthRequestEvent": "satchel.core.auth",
    "RecordAuthWithOAuth2RequestEvent": "satchel.core.auth",
    "RecordAuthWithOTPRequestEvent": "satchel.core.auth",
    "RecordConfirmEmailChangeRequestEvent": "satchel.core.auth",
    "RecordCreateOTPRequestEvent": "satchel.core.auth",
    "CollectionErrorEvent": "satchel.core.collections",
    "CollectionEvent": "satchel.core.collections",
    "CollectionRequestEvent": "satchel.core.collections",
    "CollectionsImportRequestEvent": "satchel.core.collections",
    "CollectionsListRequestEvent": "satchel.core.collections",
    "FileDownloadRequestEvent": "satchel.core.files",
    "FileTokenRequestEvent": "satchel.core.files",
    "AppEvent": "satchel.core.hook_events",
    "BackupEvent": "satchel.core.hook_events",
    "BatchRequestEvent": "satchel.core.hook_events",
    "BootstrapEvent": "satchel.core.hook_events",
    "ModelErrorEvent": "satchel.core.hook_events",
    "ModelEvent": "satchel.core.hook_events",
    "RequestData": "satchel.core.hook_events",
    "RequestEvent": "satchel.core.hook_events",
    "ServeEvent": "satchel.core.hook_events",
    "TerminateEvent": "satchel.core.hook_events",
    "MailerEvent": "satchel.core.mail",
    "MailerRecordEvent": "satchel.core.mail",
    "MailMessage": "satchel.core.mail",
    "RealtimeConnectRequestEvent": "satchel.core.realtime",
    "RealtimeMessage": "satchel.core.realtime",
    "RealtimeMessageEvent": "satchel.core.realtime",
    "RealtimeSubscribeRequestEvent": "satchel.core.realtime",
    "File": "satchel.core.records",
    "Record": "satchel.core.records",
    "RecordEnrichEvent": "satchel.core.records",
    "RecordErrorEvent": "satchel.core.records",
    "RecordEvent": "satchel.core.records",
    "RecordRequestEvent": "satchel.core.records",
    "RecordsListRequestEvent": "satchel.core.records",
    "SettingsListRequestEvent": "satchel.core.settings",
    "SettingsReloadEvent": "satchel.core.settings",
    "SettingsUpdateRequestEvent": "satchel.core.settings",
}

def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))  # the lazy names too (completion in a REPL)


def __getattr__(name: str) -> Any:
    module = _EVENTS.get(name)
    if module is not None:
        value = getattr(import_module(module), name)
        globals()[name] = value
        return value
    if name in _ROUTE_NAMES:
        from satchel.api import user_routes

        return getattr(user_routes, name)
    raise AttributeError(f"module 'satchel.hooks' has no attribute {name!r}")


__all__ = [
    "ApiError",
    "AppEvent",
    "BackupEvent",
    "BadRequestError",
    "BatchRequestEvent",
    "BootstrapEvent",
    "CollectionErrorEvent",
    "CollectionEvent",
    "CollectionRequestEvent",
    "CollectionsImportRequestEvent",
    "CollectionsListRequestEvent",
    "Event",
    "File",
    "FileDownloadRequestEvent",
    "FileTokenRequestEvent",
    "ForbiddenError",
    "Hook",
    "HookApp",
    "HookRegistrar",
    "MailMessage",
    "MailerEvent",
    "MailerRecordEvent",
    "ModelErrorEvent",
    "ModelEvent",
    "NotFoundError",
    "RealtimeConnectRequestEvent",
    "RealtimeMessage",
    "RealtimeMessageEvent",
    "RealtimeSubscribeRequestEvent",
    "Record",
    "RecordAuthRequestEvent",
    "RecordAuthWithOAuth2RequestEvent",
    "RecordAuthWithOTPRequestEvent",
    "RecordConfirmEmailChangeRequestEvent",
    "RecordCreateOTPRequestEvent",
    "RecordEnrichEvent",
    "RecordErrorEvent",
    "RecordEvent",
    "RecordRequestEvent",
    "RecordsListRequestEvent",
    "RequestData",
    "RequestEvent",
    "RouteEvent",
    "RouteRequestInfo",
    "ServeEvent",
    "SettingsListRequestEvent",
    "SettingsReloadEvent",
    "SettingsUpdateRequestEvent",
    "TerminateEvent",
    "UnauthorizedError",
    "app",
    "body_limit",
    "current_app",
    "require_auth",
    "require_guest_only",
    "require_superuser_auth",
    "require_superuser_or_owner_auth",
    "set_current_app",
]


class _AppProxy:
    """``satchel.hooks.app``: forwards every attribute to the running :class:`HookApp`."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        return getattr(current_app(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(current_app(), name, value)

    def __repr__(self) -> str:
        try:
            return f"<satchel.hooks.app -> {current_app()!r}>"
        except RuntimeError:
            return "<satchel.hooks.app (no app running)>"


app: Any = _AppProxy()
