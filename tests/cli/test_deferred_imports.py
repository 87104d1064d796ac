"""Modules ``satchel serve`` defers (``satchel.cli.DEFERRED_AT_START``): untouched by a
start-up and its first answer, complete and correct on first use, once, from any thread."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from satchel.cli import DEFERRED_AT_START
from satchel.tools.deferred_import import defer_imports, deferred_module, is_deferred

# what `satchel serve` does up to its first answer, through the real uvicorn server
SERVE_ONCE = r"""
import asyncio, json, os, signal, socket, sys
import satchel.cli as cli
from satchel.tools.deferred_import import defer_imports, is_deferred
defer_imports(cli.DEFERRED_AT_START)  # as cli._run_serve
import satchel.server as server

sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
app = cli.open_migrated_app(cli.make_config(http=f"127.0.0.1:{port}", data_dir=sys.argv[1], workers=1))
answer = []

async def started():
    def health():
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(200)
    answer.append(await asyncio.get_running_loop().run_in_executor(None, health))
    os.kill(os.getpid(), signal.SIGTERM)

server.run_server(app, on_started=started, announce=False)
app.close()
print(json.dumps({"status_line": answer[0].split(b"\r\n")[0].decode(),
                  "deferred": {name: is_deferred(name) for name in cli.DEFERRED_AT_START}}))
"""


def test_a_start_and_its_first_answer_leave_every_deferred_module_unrun(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", SERVE_ONCE, str(tmp_path / "pb_data")],
                         capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status_line"] == "HTTP/1.1 200 OK"
    ran = [name for name, deferred in result["deferred"].items() if not deferred]
    assert ran == [], f"run at start-up (no longer worth deferring, or a new importer): {ran}"


USE_THEM = r"""
import asyncio, json, sys
import satchel.cli as cli
from satchel.tools.deferred_import import defer_imports, is_deferred
defer_imports(cli.DEFERRED_AT_START)
import satchel.server  # their importers, as serve imports them
import http.client, http.cookies, hashlib, calendar, anyio, anyio.to_thread
from starlette.exceptions import HTTPException

cookie = http.cookies.SimpleCookie(); cookie.load("a=b; c=d")

async def in_thread():
    return await anyio.to_thread.run_sync(lambda: 41 + 1)

print(json.dumps({
    "phrase": HTTPException(404).detail,
    "cookies": {k: v.value for k, v in cookie.items()},
    "sha256": hashlib.sha256(b"x").hexdigest()[:12],
    "timegm": calendar.timegm((2026, 1, 1, 0, 0, 0)),
    "anyio": asyncio.run(in_thread()),
    "still_deferred": [n for n in cli.DEFERRED_AT_START if is_deferred(n)],
}))
"""


def test_each_deferred_module_works_on_first_use() -> None:
    out = subprocess.run([sys.executable, "-c", USE_THEM], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["phrase"] == "Not Found"  # starlette.exceptions -> http.client.responses
    assert result["cookies"] == {"a": "b", "c": "d"}
    assert result["sha256"] == "2d711642b726"
    assert result["timegm"] == 1767225600
    assert result["anyio"] == 42
    # used above, or by what was used (email's codecs by http.client's parser)
    assert "http.client" not in result["still_deferred"] and "anyio" not in result["still_deferred"]


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n.startswith("deferred_probe")]:
        del sys.modules[name]


def test_a_deferred_module_runs_once_on_its_first_missing_name(module_dir: Path) -> None:
    (module_dir / "deferred_probe_a.py").write_text("RUNS = []\nRUNS.append(1)\nVALUE = 7\n")
    module = deferred_module("deferred_probe_a")
    assert is_deferred("deferred_probe_a")
    assert "VALUE" not in vars(module)
    import deferred_probe_a  # noqa: F401 (an import alone does not run it)

    assert is_deferred("deferred_probe_a")
    assert module.VALUE == 7
    assert not is_deferred("deferred_probe_a")
    assert module.RUNS == [1]
    assert "__getattr__" not in vars(module)
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        module.missing  # noqa: B018


def test_a_module_s_own_getattr_survives(module_dir: Path) -> None:
    (module_dir / "deferred_probe_b.py").write_text("def __getattr__(name):\n    return 'dynamic ' + name\n")
    module = deferred_module("deferred_probe_b")
    assert module.anything == "dynamic anything"
    assert module.other == "dynamic other"


def test_threads_using_it_first_at_once_all_wait_for_one_run(module_dir: Path) -> None:
    # the module's code sleeps: the other threads arrive while it runs
    (module_dir / "deferred_probe_c.py").write_text(
        "import time\nRUNS = globals().setdefault('RUNS', [])\nRUNS.append(1)\ntime.sleep(0.2)\nVALUE = 'done'\n"
    )
    module = deferred_module("deferred_probe_c")
    seen: list[str] = []
    errors: list[BaseException] = []

    def use() -> None:
        try:
            seen.append(module.VALUE)
        except BaseException as exc:  # noqa: BLE001 (recorded for the assertion)
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []
    assert seen == ["done"] * 8
    assert module.RUNS == [1]


def test_defer_imports_leaves_an_imported_module_as_it_is() -> None:
    import json as already

    defer_imports(["json"])
    assert sys.modules["json"] is already
    assert not is_deferred("json")
    assert set(DEFERRED_AT_START) >= {"http.client", "anyio"}
