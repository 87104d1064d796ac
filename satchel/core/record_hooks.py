"""Firing the record model hooks around a write, and the enrich hook before a send.

PocketBase's order for one saved record (``app.Save``): ``on_record_create`` whose
``e.next()`` runs validation (``on_record_validate``, then the field checks) and
the INSERT (``on_record_create_execute``); after COMMIT
``on_record_after_create_success``, after a rollback ``..._error``.  The same for
update and delete.  With no user handler every chain is a direct call of its
final step (no event is even built).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from satchel.core.collections import Collection
from satchel.core.fields import PasswordField
from satchel.core.hook_events import AppHooks, RecordEnrichEvent, RecordErrorEvent, RecordEvent
from satchel.core.record_model import Record
from satchel.store.database import Tx

__all__ = ["enrich", "run_model_hooks", "run_validate_hooks"]


def _has(hooks: AppHooks, name: str) -> bool:
    return bool(hooks.get(name).handlers)


def run_model_hooks(
    hooks: AppHooks | None,
    tx: Tx,
    action: str,
    record: Record,
    validate: Callable[[], None] | None,
    execute: Callable[[], None],
) -> None:
    """``on_record_<action>`` around ``execute`` (validation + the SQL), inside ``tx``;
    the after-success/error hooks are scheduled on the transaction's outcome."""
    if hooks is None:
        if validate is not None:
            validate()
        execute()
        return
    outer, inner = f"on_record_{action}", f"on_record_{action}_execute"
    success, failure = f"on_record_after_{action}_success", f"on_record_after_{action}_error"
    if _has(hooks, success):
        tx.after_commit(lambda: hooks.get(success).trigger_sync(RecordEvent(app=hooks.app, record=record)))
    errors: list[BaseException] = []
    if _has(hooks, failure):

        def failed() -> None:
            event = RecordErrorEvent(app=hooks.app, record=record, error=errors[0] if errors else None)
            hooks.get(failure).trigger_sync(event)

        tx.after_rollback(failed)
    if not (_has(hooks, outer) or _has(hooks, inner)):
        _catching(lambda: _validate_then(validate, execute), errors)
        return

    def final(e: RecordEvent) -> None:
        if validate is not None:
            validate()
        hooks.get(inner).trigger_sync(RecordEvent(app=hooks.app, record=e.record), lambda _: execute())

    _catching(lambda: hooks.get(outer).trigger_sync(RecordEvent(app=hooks.app, record=record), final), errors)


def _validate_then(validate: Callable[[], None] | None, execute: Callable[[], None]) -> None:
    if validate is not None:
        validate()
    execute()


def _catching(fn: Callable[[], None], errors: list[BaseException]) -> None:
    try:
        fn()
    except BaseException as exc:
        errors.append(exc)
        raise


def run_validate_hooks(hooks: AppHooks | None, record: Record, validate: Callable[[], None]) -> None:
    """``on_record_validate`` around the field checks (``validate`` raises the 400)."""
    if hooks is None or not _has(hooks, "on_record_validate"):
        validate()
        return
    hooks.on_record_validate.trigger_sync(RecordEvent(app=hooks.app, record=record), lambda _: validate())


def enrich(
    hooks: AppHooks, c: Collection, internal: Mapping[str, Any], out: dict[str, Any], info: Any
) -> dict[str, Any]:
    """``on_record_enrich`` for one record about to be sent: hide/unhide fields, change
    values, add custom keys.  ``internal`` has every field; ``out`` is what was to be sent."""
    record = Record.from_stored(c, internal)
    before = dict(record.values)
    hooks.on_record_enrich.trigger_sync(RecordEnrichEvent(app=hooks.app, record=record, request_info=info))
    result = dict(out)
    for f in c.fields:
        if isinstance(f, PasswordField):
            continue
        value = record.values.get(f.name)
        if f.name in record.shown or (f.name in result and value != before.get(f.name)):
            result[f.name] = f.to_json(value)
    for name in record.hidden:
        result.pop(name, None)
    result.update(record.custom)
    return result
