"""What ``serve --workers`` imports before it forks covers what each worker's server loads
(the workers then share those pages: idle PSS per worker 27.2-27.8 -> 26.0 MB with uvicorn's
modules imported by the parent, docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, sys
from satchel.server import import_uvicorn

import_uvicorn()
before = set(sys.modules)
from uvicorn.config import Config
from uvicorn.server import Server
from satchel.http_protocol import LeanHttpToolsProtocol

config = Config(lambda *a: None, loop="uvloop", http=LeanHttpToolsProtocol, ws="none", log_config=None,
                log_level="warning", access_log=False, lifespan="on")
config.load()  # what Server.run loads: the protocol, lifespan and loop classes
Server(config)
new = sorted(m for m in set(sys.modules) - before if m.startswith(("uvicorn", "satchel", "httptools", "uvloop")))
print(json.dumps({"new": new, "logging_config_run": "dictConfig" in vars(sys.modules["logging.config"])}))
"""


def test_the_parent_imports_what_a_worker_server_loads() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"new": [], "logging_config_run": False}
