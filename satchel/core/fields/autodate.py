"""``autodate`` — set by the server on create and/or update; client values are ignored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from satchel.core.fields._dates import format_date, normalize_date
from satchel.core.fields.base import Field, FieldContext
from satchel.errors import ValidationError

__all__ = ["AutodateField"]


def _either() -> ValidationError:
    return ValidationError("validation_required", "Either onCreate or onUpdate must be enabled.")


def _mismatch() -> ValidationError:
    return ValidationError("validation_values_mismatch", "Values don't match.")


@dataclass(kw_only=True)
class AutodateField(Field):
    """A date set on create and/or update (PocketBase's ``autodate``)."""
    type: ClassVar[str] = "autodate"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (("onCreate", "bool"), ("onUpdate", "bool"))

    onCreate: bool = False
    onUpdate: bool = False

    def legacy_options(self) -> dict[str, Any]:
        return {"onCreate": self.onCreate, "onUpdate": self.onUpdate}

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        old_create, old_update = self.onCreate, self.onUpdate
        old = ctx.old_fields.get(self.id)
        if isinstance(old, AutodateField):
            old_create, old_update = old.onCreate, old.onUpdate
        if self.system and self.onCreate != old_create:
            errors["onCreate"] = _mismatch()
        elif not self.onCreate and not self.onUpdate:
            errors["onCreate"] = _either()
        if self.system and self.onUpdate != old_update:
            errors["onUpdate"] = _mismatch()
        elif not self.onCreate and not self.onUpdate:
            errors["onUpdate"] = _either()

    @property
    def client_settable(self) -> bool:
        return False

    @staticmethod
    def now() -> str:
        return format_date(datetime.now(UTC))

    def value_on_save(self, current: str, *, is_new: bool, now: str | None = None) -> str:
        """The value to write: now for a create with ``onCreate`` / an update with ``onUpdate``."""
        if (is_new and self.onCreate) or (not is_new and self.onUpdate):
            return now or self.now()
        return current

    def prepare_value(self, raw: Any) -> str:
        return normalize_date(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        return None

    def to_db(self, value: Any) -> str:
        return normalize_date(value)

    def from_db(self, raw: Any) -> str:
        return normalize_date(raw)
