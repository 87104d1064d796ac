"""Registrations noted while hook files load are undone on reload; others stay."""

from __future__ import annotations

from satchel.core.ops import CronScheduler
from satchel.tools.registrations import Owned, Registrations, note_undo, recording


def _job() -> None:
    pass


def test_cron_decorator_registers_and_returns_the_function() -> None:
    cron = CronScheduler()

    @cron("nightly-report", "0 3 * * *")
    def report() -> None:
        pass

    job = cron.get("nightly-report")
    assert job is not None and job.fn is report and job.expression == "0 3 * * *"
    assert [j.id for j in cron.jobs()] == ["nightly-report"]


def test_undo_restores_cron_state() -> None:
    cron = CronScheduler()
    cron.add("builtin", "@hourly", _job)
    cron.add("__pbKept__", "@daily", _job)
    loaded = Registrations()
    with recording(loaded):
        cron("mine", "* * * * *")(_job)
        cron.add("builtin", "@daily", _job)  # replaces a job registered outside the hooks
        cron.remove("__pbKept__")
    assert {j.id: j.expression for j in cron.jobs()} == {"builtin": "@daily", "mine": "* * * * *"}
    assert len(loaded) == 3
    cron.add("outside", "@weekly", _job)  # not recorded: survives the unload
    loaded.undo_all()
    assert {j.id: j.expression for j in cron.jobs()} == {
        "builtin": "@hourly",
        "outside": "@weekly",
        "__pbKept__": "@daily",
    }
    assert len(loaded) == 0


def test_undo_failures_do_not_stop_the_others() -> None:
    done: list[str] = []
    loaded = Registrations()

    def boom() -> None:
        raise RuntimeError("x")

    with recording(loaded):
        note_undo(lambda: done.append("first"))
        note_undo(boom)
        note_undo(lambda: done.append("last"))
    note_undo(lambda: done.append("not recorded"))
    loaded.undo_all()
    assert done == ["last", "first"]


def test_undo_hook_bindings() -> None:
    from satchel.tools.hook import Hook

    hook: Hook = Hook("on_x")  # type: ignore[type-arg]

    def a(e: object) -> None: ...
    def b(e: object) -> None: ...
    def c(e: object) -> None: ...

    hook.bind(a, id="kept")
    loaded = Registrations()
    with recording(loaded):
        hook.bind(b, id="kept", priority=1)  # replaces a
        hook.bind(c)
    assert [h.func.func for h in hook.handlers] == [c, b]  # type: ignore[attr-defined]
    assert isinstance(hook.handlers[0].func, Owned)  # bound by a "hook file"
    loaded.undo_all()
    assert [(h.id, h.func) for h in hook.handlers] == [("kept", a)]


def test_what_an_owned_handler_registers_later_is_the_files() -> None:
    import asyncio

    from satchel.tools.hook import Event, Hook

    cron = CronScheduler()
    hook: Hook[Event] = Hook("on_serve")
    loaded = Registrations()

    def on_serve(e: Event) -> None:
        cron.add("from-serve", "@daily", _job)
        e.next()

    async def on_serve_async(e: Event) -> None:
        cron.add("from-serve-async", "@daily", _job)
        await e.next()

    with recording(loaded):
        hook.bind(on_serve)
        hook.bind(on_serve_async)
    hook.bind(lambda e: cron.add("outside", "@daily", _job))  # not a file's: stays
    assert len(loaded) == 2
    asyncio.run(hook.trigger(Event()))  # later, outside any loading
    assert {j.id for j in cron.jobs()} == {"from-serve", "from-serve-async", "outside"}
    assert len(loaded) == 4
    loaded.undo_all()
    assert [j.id for j in cron.jobs()] == ["outside"]
