"""Start-up imports only what serving needs (issue 17, "a faster core").

A fresh interpreter does what ``satchel serve`` does before its first answer (the CLI and
server modules, the App on a new data dir, pending migrations, the ASGI app, its lifespan
and one ``GET /api/health``) and reports which heavy libraries got imported. Each of them
costs start-up time and idle memory, and each is imported by the code that needs it, on
first use.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# top-level packages serving a health check must not import (time to import, measured)
HEAVY = (
    "PIL",  # thumbs
    "obstore",  # S3 storage
    "aiosmtplib",  # mail
    "cryptography",  # settings encryption, Apple client secret
    "jwt",  # Apple client secret
    "croniter",  # cron expressions other than the built-in jobs'
    "dateutil",  # croniter's
    "httpx",  # OAuth2 and S3 tests
    "yaml",  # pb_config.yaml
    "re2",
    "click",  # the CLI's other commands
    "psycopg",  # a PostgreSQL database (--db)
    "psycopg_pool",
    "html",  # html.parser for mail bodies, html.entities for :excerpt and escaping mail values
    "decimal",  # fractional numbers written as Go does
    "zipfile",  # backups (and importlib.resources, which the package's JSON files no longer use)
    "bcrypt",  # the first password hashed or checked (libxcrypt does most of them)
)

# Satchel modules serving a health check must not import: the other handlers (the route table
# imports them on first use), the filter parser and compiler, record reads and writes, the
# realtime hub, collection validation and view queries, the rate limiter (rate limits are off),
# the migration file generator, thumbs and mail; the services made on first use (files and
# their storage, backups; the cron scheduler's modules are imported, the scheduler is made a
# moment after serving begins) and what only saving a collection needs (its payload form,
# the model hooks)
NOT_AT_START = frozenset({
    "satchel.core.files.storage", "satchel.tools.filesystem.mime", "satchel.core.ops.backups",
    "satchel.core.collections.form", "satchel.core.records.hooks",
    "satchel.api.records", "satchel.api.collections", "satchel.api.record_auth", "satchel.api.admins",
    "satchel.api.hook_request", "satchel.api.hook_routes", "satchel.api.realtime", "satchel.api.files",
    "satchel.tools.filter", "satchel.tools.search.compiler", "satchel.core.records.query",
    "satchel.core.records.write", "satchel.core.records.resolver", "satchel.core.realtime.hub",
    "satchel.core.collections.validate", "satchel.core.collections.view_query", "satchel.core.logs.query",
    "satchel.api.rate_limit", "satchel.core.migrations.automigrate", "satchel.core.migrations.generate",
    "satchel.tools.thumbs", "satchel.core.mail.sender",
})

SCRIPT = r"""
import asyncio, json, sys
from satchel.cli import make_config
import satchel.server
from satchel.app import App
from satchel.api import build_asgi

app = App(make_config(data_dir=sys.argv[1]))
app.migrations.up()
asgi = build_asgi(app)


async def serve_once():
    events = [{"type": "lifespan.startup"}]
    sent = []

    async def receive():
        if events:
            return events.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    lifespan = asyncio.ensure_future(asgi({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    while not sent:
        await asyncio.sleep(0.01)
    answer = []

    async def http_receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def http_send(message):
        answer.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/api/health", "raw_path": b"/api/health", "query_string": b"",
             "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8090), "state": {}}
    await asgi(scope, http_receive, http_send)
    lifespan.cancel()
    return answer[0]["status"]

status = asyncio.run(serve_once())
app.close()
heavy = set(json.loads(sys.argv[2]))
from satchel.tools import dataclass_cache
import dataclasses
generated = sorted(  # dataclasses writes a class's missing docstring with inspect.signature (~0.1 ms each)
    f"{v.__module__}.{v.__qualname__}" for m in list(sys.modules.values()) if m.__name__.startswith("satchel")
    for v in list(vars(m).values())
    if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == m.__name__
    and (v.__doc__ or "").startswith(v.__name__ + "(")
)
print(json.dumps({"dataclasses": dataclass_cache.stats(), "status": status, "generated_docs": generated,
                  "modules": sorted(m for m in sys.modules if m.startswith("satchel.")),
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & heavy)}))
"""


def test_serving_a_health_check_imports_no_heavy_library(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "pb_data"), json.dumps(HEAVY)],
        capture_output=True, text=True, timeout=120, check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["loaded"] == []
    # Satchel's own modules a health check does not need (each was on the path before)
    assert set(result["modules"]) & NOT_AT_START == set()
    assert result["generated_docs"] == []


def test_a_precompiled_start_compiles_no_dataclass_method(tmp_path: Path) -> None:
    """After ``python -m satchel.precompile`` (make serve, the benchmark), serving a health
    check takes every generated dataclass method from the cache: none is compiled."""
    subprocess.run([sys.executable, "-m", "satchel.precompile"], check=True, timeout=300)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "pb_data"), json.dumps(HEAVY)],
        capture_output=True, text=True, timeout=120, check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["dataclasses"]["misses"] == 0
    assert result["dataclasses"]["rest_loaded"] == 0  # the second file: other commands' classes
    assert result["dataclasses"]["hits"] > 200  # ~240 methods of the classes serve creates (2026-12-06)


def test_the_lazy_imports_still_work() -> None:
    """The deferred imports are made where they are used (croniter for a non-built-in
    expression and at a tick, PyJWT for the Apple secret)."""
    from datetime import UTC, datetime

    from satchel.core.ops.cron import CronJob, is_valid_expression

    assert is_valid_expression("*/5 1-3 * * mon")
    assert not is_valid_expression("61 * * * *")
    assert is_valid_expression("0 */6 * * *")
    job = CronJob("x", "0 */6 * * *", lambda: None)
    assert job.due(datetime(2026, 1, 1, 12, 0, tzinfo=UTC))
    assert not job.due(datetime(2026, 1, 1, 13, 0, tzinfo=UTC))
