"""Firing the record model hooks around a write, and the enrich hook before a send.

PocketBase's order for one saved record (``app.Save``): ``on_record_create`` whose
``e.next()`` runs validation (``on_record_validate``, then the field checks) and
the INSERT (``on_record_create_execute``); after COMMIT
``on_record_after_create_success``, after a rollback ``..._error``.  The same for
update and delete, and for collections; each step's ``on_model_*`` hook runs at the
end of the record's (or collection's) chain of that step.  With no user handler every chain is a direct call of its
final step (no event is even built).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from satchel.core.collections.hook_events import CollectionErrorEvent, CollectionEvent
from satchel.core.collections.model import Collection
from satchel.core.fields import PasswordField
from satchel.core.hook_events import AppEvent, AppHooks, ModelErrorEvent, ModelEvent
from satchel.core.records.hook_events import RecordEnrichEvent, RecordErrorEvent, RecordEvent
from satchel.core.records.model import Record
from satchel.store.database import Tx

__all__ = ["enrich", "has_model_handlers", "run_model_hooks"]


def _has(hooks: AppHooks, name: str) -> bool:
    return bool(hooks.get(name).handlers)


def _event(
    hooks: AppHooks, model: Record | Collection, error: BaseException | None = None, *, failed: bool = False
) -> AppEvent:
    if isinstance(model, Record):
        if failed:
            return RecordErrorEvent(app=hooks.app, record=model, error=error)
        return RecordEvent(app=hooks.app, record=model)
    if failed:
        return CollectionErrorEvent(app=hooks.app, collection=model, error=error)
    return CollectionEvent(app=hooks.app, collection=model)


def _fire(
    hooks: AppHooks,
    kind: str,
    step: str,
    model: Record | Collection,
    final: Callable[[], None] | None,
    error: BaseException | None = None,
    *,
    failed: bool = False,
) -> None:
    """``on_<kind>_<step>`` whose end runs ``on_model_<step>`` whose end runs ``final``:
    PocketBase binds the record (and collection) hooks as a handler of the model hook
    (priority -99), so a model handler runs after the record's, and only if they go on."""
    own, generic = hooks.get(f"on_{kind}_{step}"), hooks.get(f"on_model_{step}")

    def model_step(_: Any = None) -> None:
        if not generic.handlers:
            if final is not None:
                final()
            return
        action = step.removeprefix("after_").split("_")[0]  # create/update/delete/validate
        event = (ModelErrorEvent(app=hooks.app, model=model, type=action, error=error) if failed
                 else ModelEvent(app=hooks.app, model=model, type=action))  # fmt: skip
        generic.trigger_sync(event, None if final is None else (lambda _: final()))

    if not own.handlers:
        model_step()
        return
    own.trigger_sync(_event(hooks, model, error, failed=failed), model_step)


def run_model_hooks(
    hooks: AppHooks | None,
    tx: Tx,
    action: str,
    model: Record | Collection,
    validate: Callable[[], None] | None,
    execute: Callable[[], None],
) -> None:
    """``on_<kind>_<action>`` (kind: record or collection, each followed by its
    ``on_model_*`` twin) around ``validate`` (wrapped in ``on_<kind>_validate``) and
    ``execute`` (the SQL, wrapped in ``on_<kind>_<action>_execute``), inside ``tx``; the
    after-success/error hooks are scheduled on the transaction's outcome."""
    if hooks is None or not _any_handler(hooks, model, action):
        _validate_then(validate, execute)  # the common case: two calls, nothing built
        return
    kind = "record" if isinstance(model, Record) else "collection"
    success, failure = f"after_{action}_success", f"after_{action}_error"
    if _has(hooks, f"on_{kind}_{success}") or _has(hooks, f"on_model_{success}"):
        tx.after_commit(lambda: _fire(hooks, kind, success, model, None))
    errors: list[BaseException] = []
    if _has(hooks, f"on_{kind}_{failure}") or _has(hooks, f"on_model_{failure}"):

        def failed() -> None:
            _fire(hooks, kind, failure, model, None, errors[0] if errors else None, failed=True)

        tx.after_rollback(failed)
    check = None if validate is None else (lambda: _fire(hooks, kind, "validate", model, validate))

    def final() -> None:
        if check is not None:
            check()
        _fire(hooks, kind, f"{action}_execute", model, execute)

    _catching(lambda: _fire(hooks, kind, action, model, final), errors)


def _any_handler(hooks: AppHooks, model: Record | Collection, action: str) -> bool:
    return has_model_handlers(hooks, "record" if type(model) is Record else "collection", action)


def has_model_handlers(hooks: AppHooks, kind: str, action: str) -> bool:
    """Whether a write of ``kind`` (record/collection) has any model handler to run."""
    for hook in hooks.model_chain(kind, action):  # noqa: SIM110 - a loop: any() of a generator costs more per write
        if hook.handlers:
            return True
    return False


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
