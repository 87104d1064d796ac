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

from typing import TYPE_CHECKING, Any

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
from satchel.core.settings import SettingsListRequestEvent, SettingsReloadEvent, SettingsUpdateRequestEvent
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

# the custom routes' names come from the web layer, imported on first use: commands that never
# serve (superuser, migrate) do not pay for importing it (~200 ms)
_ROUTE_NAMES = frozenset({
    "RouteEvent", "RouteRequestInfo", "body_limit", "require_auth", "require_guest_only",
    "require_superuser_auth", "require_superuser_or_owner_auth",
})


def __getattr__(name: str) -> Any:
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
