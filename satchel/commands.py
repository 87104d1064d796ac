"""The ``satchel`` command's click definitions: PocketBase's CLI surface (spec 13 §1, 11 §A.4).

Parses flags, builds an App, runs; no logic of its own.  Entered through
:func:`satchel.cli.main`, which serves a plain ``serve`` without importing click.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from satchel import __version__
from satchel.cli import log_error as _log_error
from satchel.cli import make_config, open_app, run_serve

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """PocketBase's failure contract for usage errors too (unknown command or flag): one
    ``YYYY/MM/DD HH:MM:SS <msg>`` line on stderr and exit status 1, where click would exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name or "satchel", complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # a group without its command: help, exit 0
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.ClickException as exc:
            _log_error(exc.format_message())
            sys.exit(1)
        except click.Abort:
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            raise click.UsageError(f'unknown command "{name}" for "{ctx.command_path}"', ctx)
        return super().resolve_command(ctx, args)


def common_options(fn: F) -> F:
    """PocketBase's persistent flags, accepted after any command."""
    options = [
        click.option("--dir", "data_dir", default="pb_data", show_default=True, help="the PocketBase data directory"),
        click.option("--dev", is_flag=True, help="enable dev mode, aka. printing logs and sql statements to the console"),
        click.option("--encryptionEnv", "encryption_env", default="", help="the env variable whose value of 32 characters will be used as encryption key for the app settings"),
        click.option("--queryTimeout", "query_timeout", default=30, type=int, show_default=True, help="the default SELECT queries timeout in seconds"),
        click.option("--publicDir", "public_dir", default=None, help="the directory to serve static files (default <dir>/../pb_public)"),
        click.option("--indexFallback/--no-indexFallback", "index_fallback", default=True, help="fallback the request to index.html on missing static path"),
        click.option("--migrationsDir", "migrations_dir", default=None, help="the directory with the user defined migrations (default <dir>/../pb_migrations)"),
        click.option("--db", "db", default=None, help="a PostgreSQL URL (postgresql://user@host:port/dbname) to keep the data in instead of <dir>/data.db (env SATCHEL_DB)"),
        click.option("--automigrate", "automigrate", type=click.BOOL, default=True, is_flag=False, flag_value=True, show_default=True, help="enable/disable auto migrations"),
        click.option("--hooksDir", "hooks_dir", default=None, help="the directory with the Python app hooks (default <dir>/../pb_hooks)"),
        click.option("--hooksWatch", "hooks_watch", type=click.BOOL, default=True, is_flag=False, flag_value=True, show_default=True, help="auto reload the app hooks on file change"),
        click.option("--hooksPool", "hooks_pool", default=15, type=int, show_default=True, help="accepted for PocketBase compatibility (Python hooks need no VM pool)"),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-v", "--version", prog_name="satchel", message="%(prog)s version %(version)s")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Satchel CLI: a PocketBase-compatible backend in one Python program."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@main.command()
@click.argument("domains", nargs=-1)
@click.option("--http", default="127.0.0.1:8090", show_default=True, help="TCP address to listen for the HTTP server")
@click.option("--origins", default="*", show_default=True, help="CORS allowed domain origins list")
@click.option("--bus", default=None, help="the bus between nodes sharing --db: redis://host:port/db or nats://host:port (default: PostgreSQL's LISTEN/NOTIFY; env SATCHEL_BUS)")
@click.option("--workers", default=None, type=click.IntRange(min=1), help="serving processes sharing the address and the data directory (default: the number of usable cores; 1 = a single process)")
@common_options
def serve(domains: tuple[str, ...], **kwargs: Any) -> None:
    """Starts the web server (default to 127.0.0.1:8090 if no domain is specified)."""
    run_serve(make_config(**kwargs))


@main.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("args", nargs=-1)
@common_options
def migrate(args: tuple[str, ...], **kwargs: Any) -> None:
    """Executes app DB migration scripts.

    \b
    Supported arguments are:
    - up            - runs all available migrations
    - down [number] - reverts the last [number] applied migrations
    - create name   - creates new blank migration template file
    - collections   - creates new migration file with snapshot of the local collections configuration
    - history-sync  - ensures that the _migrations history table doesn't have references to deleted migration files
    """
    from satchel.commands_migrate import run_migrate

    run_migrate(make_config(**kwargs), list(args))


@main.group(cls=_Group)
def superuser() -> None:
    """Manage superusers."""


def _superuser_call(kwargs: dict[str, Any], fn: Callable[[Any], None]) -> None:
    from satchel.core.auth.superusers import SuperuserError

    app = open_app(make_config(**kwargs))
    try:
        fn(app)
    except SuperuserError as exc:
        _log_error(str(exc))
        sys.exit(1)
    finally:
        app.close()


def _email_password_command(name: str, doc: str, action: str, success: str) -> None:
    """``superuser NAME EMAIL PASSWORD``: ``satchel.core.auth.superusers.<action>``, then ``success``."""

    @superuser.command(name, help=doc)
    @click.argument("email", required=False)
    @click.argument("password", required=False)
    @common_options
    def command(email: str | None, password: str | None, **kwargs: Any) -> None:
        from satchel.core.auth import superusers

        if not email or not password:
            _log_error("missing email and password arguments")
            sys.exit(1)

        def run(app: Any) -> None:
            getattr(superusers, action)(app.db, app.records, app.registry, email, password)
            click.echo(success.format(email=email))

        _superuser_call(kwargs, run)


_email_password_command(
    "upsert", "Creates, or updates if email exists, a single superuser.", "upsert_superuser", 'Successfully saved superuser "{email}"!'
)
_email_password_command("create", "Creates a new superuser.", "create_superuser", 'Successfully created new superuser "{email}"!')
_email_password_command(
    "update", "Changes the password of a single superuser.", "update_superuser_password", 'Successfully changed superuser "{email}" password!'
)


@superuser.command("delete")
@click.argument("email", required=False)
@common_options
def superuser_delete(email: str | None, **kwargs: Any) -> None:
    """Deletes an existing superuser."""
    from satchel.core.auth.superusers import delete_superuser

    if not email:
        _log_error("invalid or missing email address")
        sys.exit(1)

    def run(app: Any) -> None:
        if delete_superuser(app.db, app.records, app.registry, email):
            click.echo(f'Successfully deleted superuser "{email}"!')
        else:
            click.echo(f'superuser "{email}" is missing or already deleted')

    _superuser_call(kwargs, run)


@superuser.command("otp")
@click.argument("email", required=False)
@common_options
def superuser_otp(email: str | None, **kwargs: Any) -> None:
    """Creates a new OTP for the specified superuser."""
    from satchel.core.auth.superusers import create_superuser_otp

    if not email:
        _log_error("invalid or missing email address")
        sys.exit(1)

    def run(app: Any) -> None:
        otp_id, password, duration = create_superuser_otp(app.db, app.registry, app.records, email)
        click.echo(f'Successfully created OTP for superuser "{email}":')
        click.echo(f"├─ Id:    {otp_id}")
        click.echo(f"├─ Pass:  {password}")
        click.echo(f"└─ Valid: {duration}s")

    _superuser_call(kwargs, run)


@superuser.command("ips")
@click.argument("ips", nargs=-1)
@common_options
def superuser_ips(ips: tuple[str, ...], **kwargs: Any) -> None:
    """Sets (or clears with no arguments) the IPs/CIDRs superusers may come from."""
    from satchel.core.settings.model import clone_settings
    from satchel.errors import ApiError

    def run(app: Any) -> None:
        updated = clone_settings(app.settings.current)
        updated.superuser_ips = list(ips)
        try:
            app.settings.save_sync(updated)
        except ApiError as exc:
            problems = exc.data.get("superuserIPs", {})
            # Go's validation error text: raw lower-case messages, "; "-joined, sorted keys, one "."
            raw = {k: str(getattr(v, "message", v)).rstrip(".") for k, v in problems.items()}
            detail = "; ".join(f"{k}: {m[:1].lower()}{m[1:]}" for k, m in sorted(raw.items()))
            _log_error(f"superuserIPs: ({detail}.).")
            sys.exit(1)
        if not ips:
            click.echo("Successfully cleared SuperuserIPs setting!")
            return
        click.echo("Successfully updated SuperuserIPs setting:")
        for i, ip in enumerate(ips):
            click.echo(f"{'└─' if i == len(ips) - 1 else '├─'} {ip}")

    _superuser_call(kwargs, run)


if __name__ == "__main__":  # pragma: no cover
    main()


@main.group(cls=_Group)
def db() -> None:
    """Move the data between SQLite (a pb_data) and PostgreSQL."""


@db.command("copy", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--from", "source", required=True, help="a pb_data directory or a postgresql:// URL to copy from")
@click.option("--to", "target", required=True, help="a pb_data directory or a postgresql:// URL to copy into (must be empty)")
def db_copy(source: str, target: str) -> None:
    """Copy collections, records, settings and migrations history, then count the rows of every collection on both sides."""
    from satchel.commands_db import run_db_copy

    sys.exit(run_db_copy(source, target))
