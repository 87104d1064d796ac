"""``satchel serve --workers=N``: N serving processes on one address and one pb_data.

The parent opens the data directory once (bootstrap, migrations, start-up errors
reported once), binds the listening sockets, prints the banner, then forks the
workers after the server's modules are imported (they share those pages).  It
stays as the bus relay (:mod:`satchel.tools.bus.relay`) on a Unix socket in a
private temp directory, restarts a worker that dies, and on SIGINT/SIGTERM stops
every worker (each drains its requests) before it exits.

Each worker opens its own App, takes the cross-process write gates (one per
database file) and joins the bus as member 0..N-1; member 0 runs the crons and
counts the rate limits.  See docs/workers.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from satchel.api.rate_limit import serve_shared_rate_limits
from satchel.api.realtime_stats import serve_realtime_stats
from satchel.api.record_auth import OTP_ATTEMPT, otp_attempt_here
from satchel.api.record_auth_anonymous import SIGNUP, signup_allowed_here
from satchel.api.record_auth_email import RECENTLY_SENT, recently_sent_here
from satchel.api.router import import_all
from satchel.app import App
from satchel.config import Config
from satchel.core.leader import serve_on_leader
from satchel.core.realtime import get_hub
from satchel.core.shared import SharedChanges
from satchel.server import (
    SHUTDOWN_GRACE,
    StartupError,
    bind_sockets,
    import_uvicorn,
    read_timeout_from_env,
    run_server,
)
from satchel.store.write_gate import WriteGate
from satchel.tools import dataclass_cache
from satchel.tools.accept import ConnectionCounts
from satchel.tools.bus.listeners import Listeners
from satchel.tools.bus.relay import LinkBus, Relay
from satchel.tools.fdlimit import raise_nofile_limit
from satchel.tools.hook_files import js_warning_shown
from satchel.tools.security import passwords

__all__ = ["RESTART_EXIT", "run_workers"]

log = logging.getLogger("satchel.workers")

RESTART_EXIT = 75  # a worker's status asking the parent to start everything again (a restore)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
RESPAWN_DELAY = 0.5  # seconds before restarting a worker that died, doubled while it keeps dying
STOP_TIMEOUT = SHUTDOWN_GRACE + 7.0
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Runtime:
    """Paths the parent and its workers share."""

    def __init__(self, root: Path, count: int = 1) -> None:
        self.root = root
        # which workers have realtime clients (shared memory, made before any fork)
        self.listeners = Listeners(count)
        # each worker's open connections, so that a busier one lets a new connection go to another
        self.connections = ConnectionCounts(count)
        self.bus = str(root / "bus.sock")
        self.data_gate = str(root / "data.gate")
        self.aux_gate = str(root / "aux.gate")


def run_workers(config: Config, count: int, open_first_app: Any, open_worker_app: Any) -> bool:
    """Serve with ``count`` workers until stopped; True when a restart was asked (restore).

    Worker 0 opens its App with ``open_first_app`` (hooks run, migrations applied, a bad
    data dir is its one error line and this process exits 1) and prints the banner; the
    others start once it serves, with ``open_worker_app`` (hooks run)."""
    read_timeout_from_env(os.environ)  # a bad value is one line before anything starts
    raise_nofile_limit()  # as a single process does; the workers inherit it
    # the handler modules a single process imports on first use: imported here once, their
    # pages shared by every worker instead of each worker importing its own copy
    import_all()
    import_uvicorn()
    passwords.backend()  # ctypes and libcrypt (~0.7 MB) shared too: any worker's first login loads them
    dataclass_cache.release()  # every class is made: the workers need not inherit the cache
    # what is imported stays for good: no collection in any process walks it again, which
    # would write to every page the workers share with this one (copy-on-write)
    gc.freeze()
    host, port = config.host_port
    sockets = bind_sockets(host, port)
    runtime = Runtime(Path(tempfile.mkdtemp(prefix="satchel-workers-")), count)
    try:
        supervisor = Supervisor(config, count, sockets, runtime, open_first_app, open_worker_app)
        outcome = asyncio.run(supervisor.run())
    finally:
        for sock in sockets:
            sock.close()
        shutil.rmtree(runtime.root, ignore_errors=True)
    if outcome is None:  # worker 0 could not start: it printed why
        sys.exit(1)
    return outcome


class Supervisor:
    def __init__(self, config: Config, count: int, sockets: list[socket.socket], runtime: Runtime,
                 open_first_app: Any, open_app: Any) -> None:  # fmt: skip
        self.config = config
        self.open_first_app = open_first_app
        self.open_app = open_app
        self.count = count
        self.sockets = sockets
        self.runtime = runtime
        self.relay = Relay(runtime.bus, runtime.listeners)
        self.children: dict[int, int] = {}  # pid -> member
        self.deaths: dict[int, int] = {}  # member -> deaths in a row
        self.stopping = False
        self.restart = False

    async def run(self) -> bool | None:
        """Serve until stopped: the restart wish, or None when worker 0 failed to start."""
        loop = asyncio.get_running_loop()
        await self.relay.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        # worker 0 alone first: it bootstraps the data dir and applies the migrations once;
        # the others fork once it serves, so they do not compete with its start-up for the
        # cores (its first answer comes as early as with --workers=1)
        ready_r, ready_w = os.pipe()
        try:
            first = self.spawn(0, first=True, ready_fd=ready_w)
            os.close(ready_w)
            served = await self._serving(first, ready_r)
        finally:
            os.close(ready_r)
        if not served:
            self.relay.close()
            return None
        for member in range(1, self.count):
            if not self.stopping:
                self.spawn(member)
        gc.enable()  # paused for start-up by satchel.cli.run_serve; the workers are forked
        while not self.stopping or self.children:
            await asyncio.sleep(0.05)
            self.reap()
        self.relay.close()
        return self.restart

    async def _serving(self, pid: int, ready: int) -> bool:
        """Wait until worker ``pid`` serves (a byte on the ``ready`` pipe); False when it
        exited first (the pipe's end-of-file: the worker held its only write end)."""
        loop = asyncio.get_running_loop()
        said: asyncio.Future[bytes] = loop.create_future()

        def readable() -> None:
            if not said.done():
                said.set_result(os.read(ready, 1))

        loop.add_reader(ready, readable)
        try:
            while not said.done() and not self.stopping:
                await asyncio.wait([said], timeout=0.05)
        finally:
            loop.remove_reader(ready)
        if said.done() and said.result():
            return True
        if self.stopping:  # stopped while worker 0 started: the main loop reaps it
            return True
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        self.children.pop(pid, None)
        return False

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        asyncio.get_running_loop().call_later(STOP_TIMEOUT, self._kill_left)

    def _kill_left(self) -> None:
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            member = self.children.pop(pid, None)
            if member is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            self.runtime.connections.leave(member)  # its siblings no longer leave connections to it
            if self.stopping:
                continue
            if code == RESTART_EXIT:  # a backup was restored: everything starts again
                self.restart = True
                self.stop()
                continue
            deaths = self.deaths[member] = self.deaths.get(member, 0) + 1
            delay = min(RESPAWN_DELAY * 2 ** (deaths - 1), 10.0)
            log_line(f"worker {member} (pid {pid}) exited with status {code}; restarting it in {delay:g}s")
            asyncio.get_running_loop().call_later(delay, self._respawn, member)

    def _respawn(self, member: int) -> None:
        if not self.stopping:
            self.spawn(member)
            # a worker that stays up for a while is healthy again
            asyncio.get_running_loop().call_later(30, self.deaths.pop, member, None)

    def spawn(self, member: int, *, first: bool = False, ready_fd: int | None = None) -> int:
        parent = os.getpid()
        # A stop signal reaching the child before reset_signals ran the parent's asyncio
        # handler there and was lost: that worker served on until the parent's SIGKILL
        # (STOP_TIMEOUT later).  The child starts with them blocked and takes them once they
        # are back to their defaults.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = -1  # (fork failed)
        try:
            pid = os.fork()
        finally:
            if pid != 0:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if pid == 0:  # pragma: no cover - the child; measured by tests/workers
            code = 1
            reset_signals()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            die_with_parent(parent)
            try:
                if not first:  # worker 0 printed the start-up warnings of the hook files
                    js_warning_shown(self.config.resolved_hooks_dir)
                app = (self.open_first_app if first else self.open_app)(self.config)
                app.state["worker_count"] = self.count  # the realtime stats ask every member
                code = worker_main(app, member, self.sockets, self.runtime, announce=first, ready_fd=ready_fd)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                logging.getLogger("satchel").exception("worker %d failed", member)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children[pid] = member
        return pid


def log_line(message: str) -> None:
    stamp = time.strftime("%Y/%m/%d %H:%M:%S")
    sys.stderr.write(f"{stamp} {message}\n")
    sys.stderr.flush()


def die_with_parent(parent: int) -> None:
    """Have the kernel send this worker SIGTERM when the parent dies.  The link to the parent
    notices its death only once the worker serves; a parent killed while a worker was still
    starting left that worker serving alone.  Linux only (prctl); elsewhere the link suffices."""
    import ctypes  # here, not at start-up: only a worker needs it

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # died between fork and prctl
        os._exit(1)


def reset_signals() -> None:
    """In a new worker: the parent's loop left its wakeup fd and signal handlers behind."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)


def worker_main(app: App, member: int, sockets: list[socket.socket], runtime: Runtime, *, announce: bool,
                ready_fd: int | None = None) -> int:  # fmt: skip
    """One serving process (after fork): its own App, joined to the others.  ``ready_fd``
    (worker 0 at start-up) gets one byte once it serves: the parent then forks the others."""
    cluster = None
    try:
        app.aux_db.gate = WriteGate(runtime.aux_gate)
        link = LinkBus(runtime.bus, member)
        # the parent is gone (killed): stop cleanly rather than serve on alone
        link.on_lost = lambda: os.kill(os.getpid(), signal.SIGTERM)
        app.state["workers"] = True
        app.state["worker"] = member
        db_url = app.config.db
        if db_url:  # PostgreSQL: every worker joins the other nodes' bus itself (docs/workers.md)
            from satchel.nodes import join_cluster

            cluster = join_cluster(app, db_url, link=link, campaign=member == 0)
            changes = cluster.changes
        else:
            app.db.gate = WriteGate(runtime.data_gate)
            app.bus = link
            app.state["cron_leader"] = member == 0
            changes = SharedChanges(app, link)
            changes.install()
            app.state["shared_changes"] = changes
        serve_realtime_stats(app)
        if member == 0:
            serve_shared_rate_limits(app)
            serve_on_leader(app, {OTP_ATTEMPT: otp_attempt_here, RECENTLY_SENT: recently_sent_here,
                                  SIGNUP: signup_allowed_here})  # fmt: skip
        hub = get_hub(app)
        if cluster is None:  # among nodes every event goes out (another node may listen)
            runtime.listeners.join(member)
            hub.listeners = runtime.listeners

        async def started() -> None:
            if cluster is not None:
                await cluster.started()
            else:
                changes.attach(asyncio.get_running_loop())
                hub.attach()
            if ready_fd is not None:
                os.write(ready_fd, b"1")
                os.close(ready_fd)

        header = member if os.environ.get("SATCHEL_WORKER_HEADER") == "1" else None
        run_server(app, sockets=sockets, announce=announce, wrap=lambda asgi: hold_until_shared(asgi, changes, header),
                   on_started=started, shared=(runtime.connections, member))  # fmt: skip
    except StartupError as exc:
        log_line(str(exc))
        return 1
    finally:
        app.close()
        if cluster is not None:
            cluster.close()
        else:
            with contextlib.suppress(Exception):
                app.bus.close()
    return RESTART_EXIT if app.state.get("restart_requested") else 0


def hold_until_shared(asgi: Any, changes: SharedChanges, member: int | None = None) -> Any:
    """``asgi``, with a response held until the collection or settings changes it made
    are applied by every other worker.  With ``member`` (``SATCHEL_WORKER_HEADER=1``, for
    tests and debugging) every response says which worker made it: ``x-satchel-worker``."""
    extra = [] if member is None else [(b"x-satchel-worker", str(member).encode())]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await asgi(scope, receive, send)
            return

        async def checked_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                if changes.pending:
                    await changes.flush()
                if extra:
                    message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await asgi(scope, receive, checked_send)

    return app
