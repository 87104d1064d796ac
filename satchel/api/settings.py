"""``GET``/``PATCH /api/settings`` (superusers only)."""

from __future__ import annotations

import copy

from starlette.requests import Request
from starlette.responses import Response

from satchel.api.hook_request import hook_event, new_request_event, run_request_hook
from satchel.api.request import endpoint, get_app, read_body, require_superuser
from satchel.api.responses import ordered_json_response
from satchel.core.settings.hook_events import SettingsListRequestEvent
from satchel.core.settings.model import Settings, settings_to_api_dict

__all__ = ["get_settings", "patch_settings"]


@endpoint
async def get_settings(request: Request) -> Response:
    await require_superuser(request)
    app = get_app(request)
    hook = app.hooks.on_settings_list_request
    if not hook.handlers:
        return ordered_json_response(settings_to_api_dict(app.settings.current))
    event = await new_request_event(request, SettingsListRequestEvent, settings=copy.deepcopy(app.settings.current))

    def send(e: SettingsListRequestEvent) -> None:
        e.response = ordered_json_response(settings_to_api_dict(e.settings))

    return await run_request_hook(hook, event, send)


@endpoint
async def patch_settings(request: Request) -> Response:
    await require_superuser(request)
    body = await read_body(request, invalid_message="An error occurred while loading the submitted data.")
    app = get_app(request)
    old_logs = app.settings.current.logs
    event = hook_event(request)  # an on_settings_update_request handler may change e.new_settings
    new = getattr(event, "new_settings", None)
    if isinstance(new, Settings):
        updated = await app.settings.db.on_writer(app.settings.save_sync, new)
    else:
        updated = await app.settings.patch(body)
    await app.aux_db.on_writer(app.logs.settings_changed, old_logs, updated.logs)
    return ordered_json_response(settings_to_api_dict(updated))
