"""Settings: the model and its validation, the in-memory service, and ``pb_config.yaml`` (spec 14).

* :mod:`.hook_events` -- the hook events of this domain (re-exported by :mod:`satchel.hooks`);
* :mod:`.model` -- Application settings: model, defaults, PATCH merge, validation and storage;
* :mod:`.pb_config` -- ``pb_config.yaml`` (the user guide's S3 configuration; a Satchel extension, spec 14 §6);
* :mod:`.service` -- The app settings: kept in memory, stored in ``_params`` (id ``settings``).

The names below are the package's face: code outside the package (and above all
``satchel.hooks``) imports them from here.  They load on first use, so importing
one module of the package does not import the rest (no import cycle runs through
a face, and the CLI starts as fast as before).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from satchel.core._face import lazy_names

if TYPE_CHECKING:
    from satchel.core.settings.hook_events import (
        SettingsListRequestEvent,
        SettingsReloadEvent,
        SettingsUpdateRequestEvent,
    )
    from satchel.core.settings.model import (
        LogsConfig,
        RateLimitRule,
        RateLimitsConfig,
        S3Config,
        Settings,
        SettingsDecodeError,
        TrustedProxyConfig,
        clone_settings,
        default_settings,
        encode_param_value,
        merge_patch,
        settings_to_api_dict,
        settings_to_storage_json,
    )
    from satchel.core.settings.pb_config import apply_pb_config
    from satchel.core.settings.service import SettingsService

_WHERE = {
    "SettingsListRequestEvent": "hook_events",
    "SettingsReloadEvent": "hook_events",
    "SettingsUpdateRequestEvent": "hook_events",
    "LogsConfig": "model",
    "RateLimitRule": "model",
    "RateLimitsConfig": "model",
    "S3Config": "model",
    "Settings": "model",
    "SettingsDecodeError": "model",
    "SettingsService": "service",
    "TrustedProxyConfig": "model",
    "apply_pb_config": "pb_config",
    "clone_settings": "model",
    "default_settings": "model",
    "encode_param_value": "model",
    "merge_patch": "model",
    "settings_to_api_dict": "model",
    "settings_to_storage_json": "model",
}
__all__ = [
    "SettingsListRequestEvent",
    "SettingsReloadEvent",
    "SettingsUpdateRequestEvent",
    "LogsConfig",
    "RateLimitRule",
    "RateLimitsConfig",
    "S3Config",
    "Settings",
    "SettingsDecodeError",
    "SettingsService",
    "TrustedProxyConfig",
    "apply_pb_config",
    "clone_settings",
    "default_settings",
    "encode_param_value",
    "merge_patch",
    "settings_to_api_dict",
    "settings_to_storage_json",
]
__getattr__ = lazy_names(__name__, _WHERE)
