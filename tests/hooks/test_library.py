"""``from satchel import Satchel``: a main.py registering hooks, a route and a cron job, started
as ``python main.py serve`` (and ``python main.py superuser upsert``), beside pb_hooks files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from satchel.app import App
from satchel.config import Config
from satchel.library import Satchel
from tests.e2e.serve_support import EMAIL, PASSWORD, free_port, superuser_token

MAIN = '''
from satchel import Satchel
from satchel.hooks import require_auth

app = Satchel(data_dir="data/pb")


@app.router.get("/api/lib/{name}", require_auth())
def hello(e):
    return e.json(200, {"name": e.request.path_params["name"], "users": len(app.find_records_by_filter("users"))})


@app.cron("lib-job", "*/5 * * * *")
def job():
    pass


@app.on_record_create_request("users")
def stamp(e):
    e.record.set("name", "from main.py")
    e.next()


served = []


@app.on_serve
def on_serve(e):
    served.append(True)
    e.next()


app.router.add("GET", "/api/lib-served", lambda e: e.json(200, {"served": served}))

if __name__ == "__main__":
    app.start()
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("library")
    (root / "main.py").write_text(MAIN)
    (root / "data").mkdir()
    hooks = root / "data" / "pb_hooks"  # beside data/pb, as for `satchel serve`
    hooks.mkdir()
    (hooks / "extra.py").write_text(textwrap.dedent('''
        from satchel.hooks import app

        app.router.add("GET", "/api/from-hook-file", lambda e: e.string(200, "hook file"))
    '''))
    return root


def run_main(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "main.py", *args], cwd=project, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[str]:
    r = run_main(project, "superuser", "upsert", EMAIL, PASSWORD)  # the library's data_dir is the default --dir
    assert r.returncode == 0 and "Successfully saved superuser" in r.stdout, r.stderr
    assert (project / "data" / "pb" / "data.db").exists()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (project / "serve.err").open("wb") as err:
        proc = subprocess.Popen([sys.executable, "main.py", "serve", f"--http=127.0.0.1:{port}"], cwd=project,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, (project / "serve.err").read_text()
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "python main.py serve did not answer"
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        assert proc.wait(10) == 0, (project / "serve.err").read_text()


def test_main_py_serves_its_hooks(server: str) -> None:
    r = httpx.get(f"{server}/api/lib/bob")
    assert r.status_code == 401
    token = {"Authorization": superuser_token(server)}
    r = httpx.post(f"{server}/api/collections/users/records", headers=token,
                   json={"email": "u@example.com", "password": "1234567890", "passwordConfirm": "1234567890"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "from main.py"
    assert httpx.get(f"{server}/api/lib/bob", headers=token).json() == {"name": "bob", "users": 1}
    jobs = httpx.get(f"{server}/api/crons", headers=token).json()
    assert {"id": "lib-job", "expression": "*/5 * * * *"} in jobs
    assert httpx.get(f"{server}/api/from-hook-file").text == "hook file"
    assert httpx.get(f"{server}/api/lib-served").json() == {"served": [True]}


def test_command_line_gets_the_directories() -> None:
    lib = Satchel(data_dir="x/pb_data", hooks_dir="h")
    assert lib.command_line(["serve", "--http=1:2"]) == ["serve", "--http=1:2", "--dir=x/pb_data", "--hooksDir=h"]
    assert lib.command_line(["serve", "--dir=y"]) == ["serve", "--dir=y", "--hooksDir=h"]
    assert lib.command_line(["superuser", "upsert", "a", "b"])[-2:] == ["--dir=x/pb_data", "--hooksDir=h"]
    assert lib.command_line(["--version"]) == ["--version"]


def test_replay_in_order_and_forwarding(tmp_path: Path) -> None:
    lib = Satchel()
    seen: list[Any] = []

    def job() -> None: ...

    @lib.cron("a-job", "@hourly")
    def decorated() -> None: ...

    lib.cron.add("b-job", "@daily", job)
    assert decorated.__name__ == "decorated"  # the decorator gives the function back
    assert not lib.started and "app.cron" in repr(lib.cron)

    @lib.on_bootstrap
    def on_boot(e: Any) -> None:
        seen.append(e)

    core = App(Config(data_dir=tmp_path / "pb_data"))
    try:
        lib._bind(core)
        assert lib.started
        assert [(j.id, j.expression) for j in core.cron.jobs()][:2] == [("a-job", "@hourly"), ("b-job", "@daily")]
        assert len(core.hook_app.on_bootstrap) == 1
        assert lib.find_collection_by_name_or_id("users").name == "users"  # forwarded once started
    finally:
        core.close()
