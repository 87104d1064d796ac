"""Run an App under uvicorn (httptools + uvloop) with PocketBase's start-up banner.

Around uvicorn: the listening socket is bound here (a busy port is PocketBase's one
line, before any start-up work), the open-file limit is raised, a read-timeout sweep
closes connections that never finish their request, and a request cut by the end of
the shutdown grace period answers in PocketBase's error shape.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from types import ModuleType
from typing import Any

import orjson

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.auth.superusers import has_real_superuser, installer_token
from satchel.tools import dataclass_cache
from satchel.tools.accept import ConnectionCounts, CountedConnections, SharedAccept
from satchel.tools.deferred_import import deferred_module
from satchel.tools.fdlimit import open_fds, raise_nofile_limit
from satchel.tools.sse import RAW_SEND

__all__ = [
    "DEFAULT_READ_TIMEOUT", "StartupError", "banner", "bind_sockets", "import_uvicorn", "read_timeout_from_env", "run_server",
]

log = logging.getLogger("satchel.server")

DEFAULT_READ_TIMEOUT = 60.0  # PocketBase 0.40.6 drops a connection whose headers are unfinished after 60 s
SHUTDOWN_GRACE = 3  # seconds
_CANCELLED_BODY = orjson.dumps(
    {"status": 503, "message": "The server is shutting down, please try again later.", "data": {}}
)


class StartupError(Exception):
    """``satchel serve`` cannot start; the message is the one line to print (exit 1)."""


def read_timeout_from_env(environ: Mapping[str, str]) -> float:
    """``SATCHEL_READ_TIMEOUT`` in seconds (default 60, 0 = no timeout)."""
    raw = environ.get("SATCHEL_READ_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_READ_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise StartupError(f"invalid SATCHEL_READ_TIMEOUT {raw!r}: expected seconds >= 0")
    return value


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for ``host:port`` as asyncio would bind them; a failure is Go's
    ``listen tcp HOST:PORT: bind: <reason>`` line (what PocketBase prints)."""
    address = f"{host}:{port}"
    try:
        # an ASCII name as bytes: a str goes through the "idna" codec, whose import (with
        # stringprep) is ~2 ms of start-up; an IDNA name is only needed for non-ASCII ones
        name: str | bytes | None = (host.encode("ascii") if host.isascii() else host) or None
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StartupError(f"listen tcp {address}: {exc.strerror}") from exc
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, sockaddr in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(sockaddr)
            sock.listen(2048)
            sock.setblocking(False)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise StartupError(f"listen tcp {address}: bind: {reason[:1].lower()}{reason[1:]}") from exc
    return sockets


def answer_cancelled(asgi: Any) -> Any:
    """``asgi``, with a request cancelled at the end of the shutdown grace answered 503 in
    PocketBase's error shape (uvicorn would log a CancelledError traceback and answer a
    plain-text 500).  uvicorn itself logs the one line saying how many it cancelled."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await asgi(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        scope[RAW_SEND] = send
        try:
            await asgi(scope, receive, tracking_send)
        except asyncio.CancelledError:
            with suppress(Exception):
                if not started:
                    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(_CANCELLED_BODY))]
                    await send({"type": "http.response.start", "status": 503, "headers": headers})
                    await send({"type": "http.response.body", "body": _CANCELLED_BODY})
                else:  # a stream (SSE) cut short: end it
                    await send({"type": "http.response.body", "body": b""})
        finally:
            del scope[RAW_SEND]  # (it holds uvicorn's cycle, which holds the scope)

    return app


def _bare_uvicorn() -> ModuleType:
    """The ``uvicorn`` package without running its ``__init__``, which imports ``uvicorn.main``:
    click, the reload/worker supervisors (multiprocessing, tempfile, shutil), none of which a
    single-process server uses.  Measured: idle RSS of ``satchel serve`` -0.6 MB, -1.8 MB with
    click kept off the ``serve`` path too (see :mod:`satchel.cli`).

    The package holds only ``Config`` and ``Server`` until something asks for another name
    (``uvicorn.run``, ``__version__``...); then the real ``__init__`` completes it in place.

    ``logging.config`` (with ``logging.handlers``, ``pickle``, ``socketserver``: 15 M
    instructions, callgrind), which ``uvicorn.config`` imports for ``dictConfig``, is deferred
    the same way: :func:`_uvicorn_loggers` sets up what uvicorn's default logging config would.
    """
    if "uvicorn" in sys.modules:
        return sys.modules["uvicorn"]
    package = deferred_module("uvicorn")
    deferred_module("logging.config")  # its parent package, logging, is imported above
    from uvicorn.config import Config
    from uvicorn.server import Server

    # uvicorn.lifespan.on does `from uvicorn import Config`
    package.__dict__.update(Config=Config, Server=Server)
    return package


def import_uvicorn() -> None:
    """The uvicorn modules :func:`run_server` uses (``serve --workers`` imports them before
    it forks, so the workers share their pages as they share the handler modules)."""
    _bare_uvicorn()
    from uvicorn.lifespan import on  # noqa: F401
    from uvicorn.loops import uvloop  # noqa: F401

    from satchel import http_protocol  # noqa: F401


def _uvicorn_loggers() -> None:
    """What ``logging.config.dictConfig(uvicorn.config.LOGGING_CONFIG)`` sets up, made by hand
    (``Config(log_config=None)`` then leaves the loggers alone): uvicorn's own lines on stderr
    in its format, access lines nowhere (``access_log=False`` drops that handler anyway)."""
    from uvicorn.logging import DefaultFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s", use_colors=None))
    top = logging.getLogger("uvicorn")
    top.handlers = [handler]
    top.setLevel(logging.INFO)
    top.propagate = False
    logging.getLogger("uvicorn.error").setLevel(logging.INFO)  # Config's log_level then applies
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    access.propagate = False


def banner(app: App, *, installer: bool = True) -> str:
    host, port = app.config.host_port
    base = f"http://{host}:{port}"
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    lines = [
        f"{stamp} Server started at {base}",
        f"├─ REST API:  {base}/api/",
        f"└─ Dashboard: {base}/_/",
    ]
    if app.config.db and not app.settings.current.s3.enabled:
        # other nodes on the same database cannot serve what this one keeps on its disk
        lines += [
            "",
            "(!) The data is in PostgreSQL but files are stored in the local data dir: a file stays on the "
            "node that received it. Enable S3 storage (settings) to share files between nodes.",
        ]
    if installer and not has_real_superuser(app.db, app.records, app.registry):
        token = installer_token(app.db, app.records, app.registry)
        lines += [
            "",
            "(!) Launch the URL below in the browser if it hasn't been open already to create your first superuser account:",
            f"{base}/_/#/pbinstall/{token}",
            f"(you can also create your first superuser by running: {sys.argv[0]} superuser upsert EMAIL PASS)",
        ]
    return "\n".join(lines)


def _print_banner(app: App) -> None:
    try:
        text = banner(app)
    except Exception:  # the installer account could not be made: the server serves on
        log.warning("Failed to initialize installer", exc_info=True)
        text = banner(app, installer=False)
    print(text, flush=True)


def _console_log() -> None:
    """The server's own warnings (open files near the limit) on stderr, in PocketBase's
    line format, besides the app's log store that every ``satchel.*`` record reaches."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y/%m/%d %H:%M:%S"))
        log.addHandler(handler)


Asgi = Any
Hook = Callable[[], Awaitable[None]]


def share_accept(server: Any, sock: socket.socket) -> SharedAccept:
    """uvicorn's protocol factory (as its ``startup`` makes it) on ``sock``, accepted by :class:`SharedAccept`."""
    config = server.config

    def create_protocol() -> asyncio.Protocol:
        return config.http_protocol_class(config=config, server_state=server.server_state,  # type: ignore[no-any-return]
                                          app_state=server.lifespan.state)

    return SharedAccept(sock, create_protocol, server.server_state.connections)


def run_server(
    app: App,
    *,
    sockets: list[socket.socket] | None = None,
    announce: bool = True,
    wrap: Callable[[Asgi], Asgi] | None = None,
    on_started: Hook | None = None,
    shared: tuple[ConnectionCounts, int] | None = None,
) -> None:
    """Serve ``app`` until stopped.  A worker of ``serve --workers`` passes the parent's
    ``sockets``, no banner (the parent prints it once), ``wrap`` around the ASGI app and
    ``on_started`` to join the bus, and ``shared`` (the workers' connection counts and its own
    index): then this process accepts with :class:`satchel.tools.accept.SharedAccept`."""
    read_timeout = read_timeout_from_env(os.environ)
    _console_log()
    host, port = app.config.host_port
    owned = sockets is None
    if sockets is None:
        sockets = bind_sockets(host, port)
    fd_limit = raise_nofile_limit()
    _bare_uvicorn()
    from uvicorn.config import Config
    from uvicorn.server import Server

    from satchel.http_protocol import LeanHttpToolsProtocol, ReadTimeoutSweeper

    asgi = build_asgi(app)
    if wrap is not None:
        asgi = wrap(asgi)
    _uvicorn_loggers()
    config = Config(
        answer_cancelled(asgi),
        host=host,
        port=port,
        loop="uvloop",
        http=LeanHttpToolsProtocol,
        ws="none",  # PocketBase serves no WebSocket route; skips importing a WebSocket library
        log_config=None,  # set up by _uvicorn_loggers, without importing logging.config
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        lifespan="on",
        server_header=False,
        proxy_headers=False,
    )
    server = Server(config)
    if shared is not None:  # (before the sweeper takes the set)
        server.server_state.connections = CountedConnections(*shared)
    original_startup = server.startup
    sweeper = ReadTimeoutSweeper(
        server.server_state.connections, read_timeout, fd_budget=lambda: (open_fds(), fd_limit), fd_limit=fd_limit
    )

    announcing: list[asyncio.Future[None]] = []

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await original_startup(sockets=[] if shared is not None else sockets)
        if server.started and shared is not None and sockets is not None:
            server.servers = [share_accept(server, sock) for sock in sockets]  # type: ignore[misc]
        if server.started:
            # start-up paused the collector (satchel.cli.run_serve); what it built stays for
            # good, so later full collections need not walk it again (nor a forked worker's
            # collections write to the pages it shares with its parent)
            gc.freeze()
            gc.enable()
            dataclass_cache.release()  # saved if something was new, then dropped
            sweeper.start()
            if on_started is not None:
                await on_started()
            if announce:
                # on a data dir without superusers the banner creates the installer account,
                # whose bcrypt hash takes 60-120 ms: requests are served meanwhile, as
                # PocketBase creates it in the background
                announcing.append(asyncio.ensure_future(asyncio.to_thread(_print_banner, app)))

    original_shutdown = server.shutdown

    async def shutdown(sockets: object = None) -> None:
        # end the SSE streams first, or uvicorn waits its whole grace period for them
        hub = app.state.get("realtime_hub")
        if hub is not None:
            hub.close()
        sweeper.stop()
        for task in announcing:
            with suppress(Exception):
                await task
        await original_shutdown(sockets=sockets)  # type: ignore[arg-type]

    def restart() -> None:
        """After a restore: stop serving; :func:`satchel.cli.run_serve` re-executes the process."""
        app.state["restart_requested"] = True
        server.should_exit = True

    app.state["restart"] = restart
    server.startup = startup  # type: ignore[method-assign]
    server.shutdown = shutdown  # type: ignore[method-assign]
    # uvicorn re-raises SIGINT/SIGTERM once its graceful shutdown is done, which would kill the
    # process (status -15, databases left open); PocketBase exits 0, so absorb that re-raise
    # (a signal arriving before uvicorn installs its handlers still stops the server).
    def stop(*_: object) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=sockets)
    finally:
        if owned:
            for sock in sockets:
                sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
