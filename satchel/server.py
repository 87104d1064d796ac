"""Run an App under uvicorn (httptools + uvloop) with PocketBase's start-up banner."""

from __future__ import annotations

import importlib.util
import signal
import sys
import time
from types import ModuleType
from typing import Any

from satchel.api import build_asgi
from satchel.app import App
from satchel.core.superusers import has_real_superuser, installer_token

__all__ = ["banner", "run_server"]


def _bare_uvicorn() -> ModuleType:
    """The ``uvicorn`` package without running its ``__init__``, which imports ``uvicorn.main``:
    click, the reload/worker supervisors (multiprocessing, tempfile, shutil), none of which a
    single-process server uses.  Measured: idle RSS of ``satchel serve`` -0.6 MB, -1.8 MB with
    click kept off the ``serve`` path too (see :mod:`satchel.cli`).

    The package holds only ``Config`` and ``Server`` until something asks for another name
    (``uvicorn.run``, ``__version__``...); then the real ``__init__`` completes it in place.
    """
    loaded = sys.modules.get("uvicorn")
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec("uvicorn")
    if spec is None or spec.loader is None:
        raise ImportError("uvicorn is not installed")
    package = importlib.util.module_from_spec(spec)
    sys.modules["uvicorn"] = package
    loader = spec.loader

    def complete(name: str) -> Any:
        del package.__getattr__  # once: the real __init__ defines the rest
        loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module 'uvicorn' has no attribute {name!r}") from None

    from uvicorn.config import Config
    from uvicorn.server import Server

    # uvicorn.lifespan.on does `from uvicorn import Config`
    package.__dict__.update(Config=Config, Server=Server, __getattr__=complete)
    return package


def banner(app: App) -> str:
    host, port = app.config.host_port
    base = f"http://{host}:{port}"
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    lines = [
        f"{stamp} Server started at {base}",
        f"├─ REST API:  {base}/api/",
        f"└─ Dashboard: {base}/_/",
    ]
    if not has_real_superuser(app.db, app.records, app.registry):
        token = installer_token(app.db, app.records, app.registry)
        lines += [
            "",
            "(!) Launch the URL below in the browser if it hasn't been open already to create your first superuser account:",
            f"{base}/_/#/pbinstall/{token}",
            f"(you can also create your first superuser by running: {sys.argv[0]} superuser upsert EMAIL PASS)",
        ]
    return "\n".join(lines)


def run_server(app: App) -> None:
    _bare_uvicorn()
    from uvicorn.config import Config
    from uvicorn.server import Server

    from satchel.http_protocol import LeanHttpToolsProtocol

    host, port = app.config.host_port
    config = Config(
        build_asgi(app),
        host=host,
        port=port,
        loop="uvloop",
        http=LeanHttpToolsProtocol,
        ws="none",  # PocketBase serves no WebSocket route; skips importing a WebSocket library
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        lifespan="on",
        server_header=False,
        proxy_headers=False,
    )
    server = Server(config)
    original_startup = server.startup

    async def startup(sockets: object = None) -> None:
        await original_startup(sockets=sockets)  # type: ignore[arg-type]
        if server.started:
            print(banner(app), flush=True)

    original_shutdown = server.shutdown

    async def shutdown(sockets: object = None) -> None:
        # end the SSE streams first, or uvicorn waits its whole grace period for them
        hub = app.state.get("realtime_hub")
        if hub is not None:
            hub.close()
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
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
