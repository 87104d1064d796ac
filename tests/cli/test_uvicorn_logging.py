"""What satchel serve changes in how uvicorn starts, checked against uvicorn itself: its
loggers as its default logging config sets them (without ``logging.config``), and its
status lines (built with a cheaper status lookup).

``satchel serve`` defers ``logging.config`` (imported by ``uvicorn.config``, 15 M instructions
of start-up with what it imports) and sets up uvicorn's loggers by hand: what uvicorn itself
prints (warnings, errors) must come out on the same stream in the same format.
"""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, logging, sys
from satchel.server import _bare_uvicorn, _uvicorn_loggers

_bare_uvicorn()
deferred = "dictConfig" not in vars(sys.modules["logging.config"])
from uvicorn.config import Config

NAMES = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def snapshot():
    out = {}
    for name in NAMES:
        lg = logging.getLogger(name)
        out[name] = [lg.level, lg.propagate, lg.disabled, [
            [type(h).__name__, h.stream.name, type(h.formatter).__name__, h.formatter._fmt, h.formatter.use_colors, h.level]
            for h in lg.handlers]]
    return out


_uvicorn_loggers()
Config(lambda *a: None, log_config=None, log_level="warning", access_log=False)  # what run_server passes
ours = snapshot()
still_deferred = "dictConfig" not in vars(sys.modules["logging.config"])
for name in NAMES:
    lg = logging.getLogger(name)
    lg.handlers, lg.propagate = [], True
    lg.setLevel(logging.NOTSET)
Config(lambda *a: None, log_level="warning", access_log=False)  # uvicorn's own dictConfig
print(json.dumps({"deferred": deferred and still_deferred, "ours": ours, "uvicorns": snapshot(),
                  "loaded": "dictConfig" in vars(sys.modules["logging.config"])}))
"""


def test_uvicorn_loggers_match_its_default_config_without_logging_config() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["deferred"]  # not run by serve's set-up
    assert result["ours"] == result["uvicorns"]
    assert result["ours"]["uvicorn"][3]  # one handler, on stderr
    assert result["loaded"]  # and complete on first use (uvicorn's dictConfig ran)


def test_uvicorn_status_lines_are_the_ones_it_computes_itself() -> None:
    """satchel.http_protocol imports uvicorn's httptools module with a cheaper
    ``http.HTTPStatus`` lookup: the status lines it builds are the same, and the real enum
    is back afterwards."""
    script = (
        "import http, json\n"
        "import satchel.http_protocol\n"
        "from uvicorn.protocols.http import httptools_impl as m\n"
        "fresh = {c: m._get_status_line(c) for c in range(100, 600)}\n"
        "print(json.dumps({'same': fresh == m.STATUS_LINE, 'enum': http.HTTPStatus(404).phrase,\n"
        "                  'ok': m.STATUS_LINE[200].decode(), 'unknown': m.STATUS_LINE[599].decode()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"same": True, "enum": "Not Found", "ok": "HTTP/1.1 200 OK\r\n", "unknown": "HTTP/1.1 599 \r\n"}
