"""The hook events of the settings: ``on_settings_update_request`` and ``on_settings_reload``.

Re-exported by the package's face and by :mod:`satchel.hooks` (docs/hooks.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from satchel.core.hook_events import AppEvent, RequestEvent

__all__ = ["SettingsListRequestEvent", "SettingsReloadEvent", "SettingsUpdateRequestEvent"]


@dataclass(eq=False, kw_only=True)
class SettingsListRequestEvent(RequestEvent):
    """``GET /api/settings``: ``e.settings`` (a copy) is what ``e.next()`` sends."""

    settings: Any = None

    @property
    def old_settings(self) -> Any:  # the name this event had before it had its own type
        return self.settings


@dataclass(eq=False, kw_only=True)
class SettingsUpdateRequestEvent(RequestEvent):
    """``onSettingsUpdateRequest``: the settings before and after the change."""
    old_settings: Any = None
    new_settings: Any = None


@dataclass(eq=False, kw_only=True)
class SettingsReloadEvent(AppEvent):
    """The settings in use changed (saved here, or by another worker)."""

    settings: Any = None
