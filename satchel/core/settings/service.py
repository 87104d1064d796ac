"""The app settings: kept in memory, stored in ``_params`` (id ``settings``).

Reads never touch the database; a PATCH is merged, validated and written by
the writer, and the in-memory copy is swapped only after COMMIT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from satchel.core.settings.model import (
    Settings,
    SettingsDecodeError,
    dump_settings_param,
    load_settings_param,
    merge_patch,
    validate_settings,
)
from satchel.errors import ApiError, BadRequestError
from satchel.store.database import Database, Tx
from satchel.tools.timeutil import now_text

__all__ = ["SettingsService"]

SAVE_FAILED = "An error occurred while saving the new settings."


class SettingsService:
    def __init__(self, db: Database, *, encryption_key: str | None, encryption_env: str = "") -> None:
        self.db = db
        self.encryption_key = encryption_key
        self.encryption_env = encryption_env
        self.current: Settings = self.db.read_sync(self._load)
        #: called with the new settings after each save (e.g. to reschedule auto backups)
        self.on_change: list[Callable[[Settings], None]] = []
        #: called after a save made by this process (not after :meth:`reload`)
        self.on_saved: list[Callable[[], None]] = []

    def _load(self, conn: Any) -> Settings:
        row = conn.execute("SELECT `value` FROM `_params` WHERE `id` = 'settings'").fetchone()
        if row is None or row[0] is None:
            from satchel.core.settings.model import default_settings

            return default_settings()
        return load_settings_param(row[0], self.encryption_key, env_name=self.encryption_env)

    def _store(self, tx: Tx, settings: Settings) -> None:
        value = dump_settings_param(settings, self.encryption_key)
        now = now_text()
        tx.execute(
            "INSERT INTO `_params` (`id`, `value`, `created`, `updated`) VALUES ('settings', :value, :now, :now) "
            "ON CONFLICT(`id`) DO UPDATE SET `value` = excluded.`value`, `updated` = excluded.`updated`",
            {"value": value, "now": now},
        )

    def save_sync(self, settings: Settings) -> Settings:
        errors = validate_settings(settings)
        if errors:
            raise ApiError(400, SAVE_FAILED, errors)

        def run(tx: Tx) -> None:
            self._store(tx, settings)

            def swap() -> None:
                self.current = settings
                for listener in self.on_change:
                    listener(settings)
                for saved in self.on_saved:
                    saved()

            tx.after_commit(swap)

        self.db.write_sync(run)
        return settings

    def reload(self) -> Settings:
        """Read the settings again (another worker saved them) and tell the listeners."""
        self.current = settings = self.db.read_sync(self._load)
        for listener in self.on_change:
            listener(settings)
        return settings

    def patch_sync(self, patch: Mapping[str, Any]) -> Settings:
        try:
            merged = merge_patch(self.current, patch)
        except SettingsDecodeError as exc:
            raise BadRequestError("An error occurred while loading the submitted data.") from exc
        return self.save_sync(merged)

    async def patch(self, patch: Mapping[str, Any]) -> Settings:
        return await self.db.on_writer(self.patch_sync, patch)
