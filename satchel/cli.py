"""The ``satchel`` command: PocketBase's CLI surface (spec 13 §1, 11 §A.4).

The commands are click's (:mod:`satchel.commands`); this entry point only serves a
plain ``satchel serve [--flag=value...]`` without importing click, which the server
never uses again: measured -1.2 MB idle RSS of ``satchel serve`` (with uvicorn's
package ``__init__`` skipped as well, see :mod:`satchel.server`).  Anything else
(help, a typo, a bad value) goes to click, so click stays the one place where the
flags, their errors and their help are defined.
"""

from __future__ import annotations

import errno
import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from satchel.config import Config, usable_cores

__all__ = ["load_hooks", "log_error", "main", "on_app_created", "make_config", "open_app", "run_serve", "startup_error_line"]

# ``serve``'s flags as satchel.commands declares them: flag -> make_config keyword
_SERVE_VALUES = {
    "--http": "http",
    "--origins": "origins",
    "--dir": "data_dir",
    "--encryptionEnv": "encryption_env",
    "--queryTimeout": "query_timeout",
    "--publicDir": "public_dir",
    "--workers": "workers",
    "--migrationsDir": "migrations_dir",
    "--db": "db",
    "--bus": "bus",
    "--hooksDir": "hooks_dir",
    "--hooksPool": "hooks_pool",
}
_SERVE_SWITCHES = {
    "--dev": ("dev", True),
    "--indexFallback": ("index_fallback", True),
    "--no-indexFallback": ("index_fallback", False),
}
_GO_BOOLS = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}


def log_error(message: str) -> None:
    """PocketBase's failure line on stderr (what ``click.echo(..., err=True)`` writes)."""
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    sys.stderr.write(f"{stamp} {message}\n")
    sys.stderr.flush()


def make_config(**kwargs: Any) -> Config:
    origins = tuple(o.strip() for o in str(kwargs.get("origins") or "*").split(",") if o.strip()) or ("*",)
    public_dir = kwargs.get("public_dir")
    return Config(
        data_dir=Path(kwargs.get("data_dir") or "pb_data"),
        http=str(kwargs.get("http") or "127.0.0.1:8090"),
        public_dir=Path(public_dir) if public_dir else None,
        origins=origins,
        dev=bool(kwargs.get("dev")),
        query_timeout=float(kwargs.get("query_timeout") or 30),
        encryption_env=str(kwargs.get("encryption_env") or ""),
        index_fallback=bool(kwargs.get("index_fallback", True)),
        workers=int(kwargs.get("workers") or usable_cores()),
        migrations_dir=Path(kwargs["migrations_dir"]) if kwargs.get("migrations_dir") else None,
        automigrate=bool(kwargs.get("automigrate", True)),
        db=str(kwargs.get("db") or os.environ.get("SATCHEL_DB", "")),
        bus=str(kwargs.get("bus") or os.environ.get("SATCHEL_BUS", "")),
        hooks_dir=Path(kwargs["hooks_dir"]) if kwargs.get("hooks_dir") else None,
        hooks_watch=bool(kwargs.get("hooks_watch", True)),
    )


def startup_error_line(exc: BaseException) -> str:
    """The error as PocketBase prints it: an SQLite error carries its result code,
    ``file is not a database (26)``."""
    code = getattr(exc, "result", None)
    if type(exc).__module__ == "apsw" and isinstance(code, int):
        return f"{exc} ({code})"
    return str(exc)


#: called with every App the commands build (``Satchel(...).start()`` binds its hooks here)
_app_created: list[Callable[[Any], None]] = []


def on_app_created(fn: Callable[[Any], None]) -> None:
    _app_created.append(fn)


def open_app(config: Config) -> Any:
    from satchel.app import App

    try:
        app = App(config)
    except Exception as exc:  # a bad data dir or key: PocketBase's one-line error, exit 1
        log_error(startup_error_line(exc))
        sys.exit(1)
    for fn in _app_created:
        fn(app)
    return app


def load_hooks(app: Any) -> None:
    """Run pb_hooks/*.py before anything is served; a failing file: its traceback, exit 1."""
    from satchel.tools.hook_files import HookLoadError

    try:
        app.hook_files.load()
    except HookLoadError as exc:
        log_error(str(exc))
        app.close()
        sys.exit(1)


def open_hooked_app(config: Config) -> Any:
    """The App of one worker of ``serve --workers``: hooks run, migrations already applied."""
    app = open_app(config)
    load_hooks(app)
    return app


def open_migrated_app(config: Config) -> Any:
    """The App with ``pb_migrations/*.py`` not applied yet applied, as PocketBase's serve."""
    app = open_app(config)
    load_hooks(app)
    try:
        app.migrations.up()
    except Exception as exc:  # a failing migration was rolled back: its error, exit 1
        log_error(str(exc))
        app.close()
        sys.exit(1)
    return app


def run_serve(config: Config) -> None:
    # no collection while start-up builds objects that all stay alive (-3 % of the
    # instructions to the first answer, callgrind); serving turns it back on
    gc.disable()
    try:
        _run_serve(config)
    finally:
        gc.enable()


# Modules the serving stack imports whose code a start-up never runs: each loads on its
# first use instead (-30 M instructions to the first answer, -6.6 %, callgrind, Debian's
# python; docs/performance.md).  Starlette's http.client (most of the email package),
# http.cookies and hashlib; anyio's package face (Starlette uses it when a request does);
# email.utils' calendar and charset codecs.  (Not tempfile's shutil: Debian's tempfile calls
# it at import.)  tests/cli/test_deferred_imports.py checks each is still untouched after a start.
DEFERRED_AT_START = (
    "http.client", "http.cookies", "hashlib", "calendar",
    "email.base64mime", "email.quoprimime", "email.errors",
    "anyio", "anyio.abc", "anyio._core", "anyio.to_thread",
)


def _run_serve(config: Config) -> None:
    from satchel.tools.deferred_import import defer_imports

    defer_imports(DEFERRED_AT_START)
    from satchel.server import StartupError, run_server

    if config.bus and not config.db:  # nodes share a bus and a PostgreSQL database, never a data.db
        log_error("--bus needs --db=postgresql://...: the nodes of a bus share one PostgreSQL database")
        sys.exit(1)
    if config.workers > 1:
        from satchel.workers import run_workers

        try:
            restart = run_workers(config, config.workers, open_migrated_app, open_hooked_app)
        except StartupError as exc:
            log_error(str(exc))
            sys.exit(1)
    else:
        app = open_migrated_app(config)
        try:
            if config.db:  # other nodes may share the database: join them through it
                from satchel.nodes import run_node

                run_node(app, config.db)
            else:
                run_server(app)
        except StartupError as exc:  # a busy port, a bad SATCHEL_READ_TIMEOUT: one line, exit 1
            log_error(str(exc))
            sys.exit(1)
        finally:
            app.close()
        restart = bool(app.state.get("restart_requested"))
    if restart:
        # a backup was restored: start again in place (same PID, as PocketBase); the new
        # process swaps the restored data in before opening it; the same command line, so a
        # library's `python main.py serve` comes back as itself
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])


def plain_serve_kwargs(args: Sequence[str]) -> dict[str, Any] | None:
    """``serve``'s keywords when ``args`` is ``serve`` with flags click would take as they are.

    ``None`` for anything else: another command, help, an unknown flag, a value that
    looks like a flag or fails its type; click then parses (and reports) it.
    """
    if not args or args[0] != "serve":
        return None
    kwargs: dict[str, Any] = {}
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        if not arg.startswith("-"):
            continue  # a domain: accepted and unused, as by the click command
        name, eq, value = arg.partition("=")
        if name in ("--automigrate", "--hooksWatch"):  # Go bool flags: bare, or =true/=false
            if eq and value.lower() not in _GO_BOOLS:
                return None
            kwargs["automigrate" if name == "--automigrate" else "hooks_watch"] = not eq or _GO_BOOLS[value.lower()]
        elif name in _SERVE_SWITCHES and not eq:
            key, on = _SERVE_SWITCHES[name]
            kwargs[key] = on
        elif name in _SERVE_VALUES:
            if not eq:
                if not rest or rest[0].startswith("-"):
                    return None
                value = rest.pop(0)
            kwargs[_SERVE_VALUES[name]] = value
        else:
            return None
    for key in ("query_timeout", "workers", "hooks_pool"):
        if key in kwargs:
            try:
                kwargs[key] = int(kwargs[key])
            except ValueError:
                return None
    if kwargs.get("workers", 1) < 1:
        return None  # click reports it
    return kwargs


def main(args: Sequence[str] | None = None) -> None:
    serve_kwargs = plain_serve_kwargs(sys.argv[1:] if args is None else args)
    if serve_kwargs is None:
        from satchel.commands import main as click_main

        click_main(args)
        return
    try:
        run_serve(make_config(**serve_kwargs))
    except (EOFError, KeyboardInterrupt):  # click's Abort: a blank line, exit 1
        sys.stderr.write("\n")
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
