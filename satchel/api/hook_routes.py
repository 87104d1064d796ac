"""Which built-in endpoints run as the final link of which request hook.

The records CRUD and password auth endpoints fire their hooks themselves (their
events carry the record being written); every other endpoint with a PocketBase
request hook is wrapped here, by :func:`satchel.api.router.route`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from satchel.api import files
from satchel.api.collections import PREVIEW_KEY
from satchel.api.hook_request import fill_collection, hooked
from satchel.api.request import endpoint, require_superuser
from satchel.core.auth.hook_events import RecordAuthRequestEvent
from satchel.core.collections.form import preview
from satchel.core.collections.hook_events import CollectionRequestEvent
from satchel.core.files.hook_events import FileDownloadRequestEvent
from satchel.core.files.storage import file_key
from satchel.core.hook_events import BatchRequestEvent, RequestEvent
from satchel.core.realtime import get_hub
from satchel.core.realtime.hook_events import RealtimeSubscribeRequestEvent
from satchel.core.records.hook_events import RecordRequestEvent
from satchel.core.records.model import Record
from satchel.core.settings.hook_events import SettingsUpdateRequestEvent
from satchel.core.settings.model import SettingsDecodeError, merge_patch
from satchel.errors import NotFoundError

__all__ = ["HOOKED_TARGETS", "with_hook"]

Handler = Callable[[Request], Awaitable[Response]]


async def _fill_settings(app: Any, request: Request, event: Any) -> None:
    event.old_settings = app.settings.current
    if request.method == "PATCH":
        try:  # what the body makes of them; the endpoint answers a bad body in its own words
            event.new_settings = merge_patch(app.settings.current, event.request.body)
        except SettingsDecodeError:
            event.new_settings = None


async def _fill_file(app: Any, request: Request, event: Any) -> None:
    """The record and field of the file; a request the endpoint refuses (unknown record or
    file, protected file without access) is refused before the hook, as PocketBase does."""
    await fill_collection(app, request, event)
    c = event.collection
    filename = str(request.path_params.get("filename", ""))
    event.served_name = filename
    if c is None:
        return  # the endpoint answers 404
    record_id = str(request.path_params.get("recordId", ""))
    stored = await app.db.read_small(lambda conn: app.records.find_by_field_sync(conn, c, "id", record_id))
    f = None if stored is None else files.file_field_of(c, stored, filename)
    if stored is None or f is None or (f.protected and not await files.can_access(request, c, record_id)):
        raise NotFoundError()
    event.record = Record.from_stored(c, stored)
    event.file_field = f.name
    event.served_path = file_key(*await files.file_folder(request, c, f, record_id, filename), filename)


async def _fill_new_collection(app: Any, request: Request, event: Any) -> None:
    """``e.collection``: what the body describes (not validated yet, no id); what a handler
    changes on it is applied to the body (see ``collections.create_collection``)."""
    event.collection = preview(event.request.body, app.registry.get)
    if event.collection is not None:
        request.scope[PREVIEW_KEY] = event.collection.to_api_dict()


async def _fill_by_email(app: Any, request: Request, event: Any) -> None:
    """``e.record``: the auth record of the body's email (``None`` when there is none: the
    endpoint then answers as PocketBase does, without telling)."""
    await fill_collection(app, request, event)
    c, email = event.collection, event.request.body.get("email")
    if c is None or not c.is_auth or not isinstance(email, str) or not email:
        return
    stored = await app.db.read_small(lambda conn: app.records.find_by_field_sync(conn, c, "email", email))
    event.record = None if stored is None else Record.from_stored(c, stored)


async def _fill_with_auth(app: Any, request: Request, event: Any) -> None:
    """``e.record``: the authenticated record the request acts on (refresh, email change)."""
    await fill_collection(app, request, event)
    auth = event.auth
    if auth is not None and event.collection is not None and auth.collection.id == event.collection.id:
        event.record = auth


async def _fill_subscriptions(app: Any, request: Request, event: Any) -> None:
    body = event.request.body
    event.client_id = str(body.get("clientId") or "")
    subs = body.get("subscriptions")
    event.subscriptions = [str(s) for s in subs] if isinstance(subs, list) else []
    event.client = get_hub(app).get(event.client_id)  # None when it is another node's


_SU = require_superuser

# route target (see satchel.api.router) -> (hook name, event type, fill, guard); the router
# names these targets in HOOKED so that a route without a hook never imports this module
_TABLE: dict[str, tuple[str, type[RequestEvent], Any, Any]] = {
    "collections.get_collection": ("on_collection_view_request", CollectionRequestEvent, fill_collection, _SU),
    "collections.create_collection": ("on_collection_create_request", CollectionRequestEvent,
                                      _fill_new_collection, _SU),
    "collections.update_collection": ("on_collection_update_request", CollectionRequestEvent, fill_collection,
                                      _SU),
    "collections.delete_collection": ("on_collection_delete_request", CollectionRequestEvent, fill_collection,
                                      _SU),
    "settings.patch_settings": ("on_settings_update_request", SettingsUpdateRequestEvent, _fill_settings, _SU),
    "batch.batch": ("on_batch_request", BatchRequestEvent, None, None),
    "realtime.set_subscriptions": ("on_realtime_subscribe_request", RealtimeSubscribeRequestEvent,
                                   _fill_subscriptions, None),
    "files.serve_file": ("on_file_download_request", FileDownloadRequestEvent, _fill_file, None),
    "record_auth.auth_refresh": ("on_record_auth_refresh_request", RecordAuthRequestEvent, _fill_with_auth, None),
    "record_auth_email.request_verification": ("on_record_request_verification_request", RecordRequestEvent,
                                               _fill_by_email, None),
    "record_auth_email.request_password_reset": ("on_record_request_password_reset_request", RecordRequestEvent,
                                                 _fill_by_email, None),
    "record_auth_email.request_email_change": ("on_record_request_email_change_request", RecordRequestEvent,
                                               _fill_with_auth, None),
}

HOOKED_TARGETS = frozenset(_TABLE)


def with_hook(target: str, handler: Handler) -> Handler:
    """``handler`` (the route target ``target``) as the final link of its request hook
    (itself when it has none)."""
    entry = _TABLE.get(target)
    if entry is None:
        return handler
    name, event_type, fill, guard = entry
    # the outer endpoint() turns a hook's ApiError into PocketBase's error body
    return endpoint(hooked(name, event_type, fill=fill, guard=guard)(handler))
