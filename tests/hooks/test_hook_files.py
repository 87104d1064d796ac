"""pb_hooks/*.py against a live ``satchel serve``: routes with middlewares, a cron job listed
and run through /api/crons, reload on change (helpers too), a file that fails at start
(exit 1 with its traceback) and on reload (logged, previous hooks kept)."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.serve_support import (
    EMAIL,
    PASSWORD,
    LiveServer,
    satchel,
    start_serve,
    stop_serve,
    superuser_token,
)

MAIN_V1 = '''
from satchel.hooks import app, require_auth, require_superuser_auth
from pb_hooks import _util

@app.router.get("/api/hello/{name}")
def hello(e):
    return e.json(200, {"message": _util.greeting() + " " + e.request.path_params["name"]})

@app.router.get("/api/private", require_auth())
async def private(e):
    return e.json(200, {"id": e.auth.id})

@app.router.get("/api/admin-only", require_superuser_auth())
def admin_only(e):
    return e.string(200, "yes")

@app.on_record_create_request("users")
def stamp(e):
    e.record.set("name", "stamped by v1")
    e.next()

@app.cron("touch-marker", "0 3 * * *")
def touch_marker():
    open(MARKER, "a").write("ran\\n")
'''

MAIN_V2 = '''
from satchel.hooks import app

@app.router.get("/api/hello/{name}")
def hello(e):
    return e.json(200, {"message": "v2 " + e.request.path_params["name"]})
'''

AUTH_REQUIRED = {"data": {}, "message": "The request requires valid record authorization token.", "status": 401}


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def write(path: Path, text: str) -> None:
    """Write so that the change is seen even within one mtime tick (size differs or time moves)."""
    path.write_text(textwrap.dedent(text))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hooked")
    hooks = root / "pb_hooks"
    hooks.mkdir()
    marker = root / "marker.txt"
    write(hooks / "_util.py", 'def greeting():\n    return "Hello"\n')
    write(hooks / "legacy.pb.js", 'routerAdd("GET", "/api/js", (e) => e.string(200, "js"))\n')
    write(hooks / "main.py", f"MARKER = {str(marker)!r}\n" + MAIN_V1)
    r = satchel("superuser", "upsert", EMAIL, PASSWORD, f"--dir={root / 'pb_data'}")
    assert r.returncode == 0, r.stderr
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[LiveServer]:
    # one worker: a reload is then seen by the next request (each worker reloads on its own)
    live = start_serve(project / "pb_data", "--workers=1")
    try:
        yield live
    finally:
        assert stop_serve(live) == 0, live.stderr


def test_routes_with_middlewares(server: LiveServer) -> None:
    assert httpx.get(f"{server.base}/api/hello/bob").json() == {"message": "Hello bob"}
    r = httpx.get(f"{server.base}/api/private")
    assert (r.status_code, r.json()) == (401, AUTH_REQUIRED)
    token = superuser_token(server.base)
    r = httpx.get(f"{server.base}/api/private", headers={"Authorization": token})
    assert r.status_code == 200 and len(r.json()["id"]) == 15
    r = httpx.get(f"{server.base}/api/admin-only", headers={"Authorization": token})
    assert (r.status_code, r.text) == (200, "yes")
    assert server.stderr.count("legacy.pb.js: JavaScript hooks are not run by Satchel") == 1
    assert httpx.get(f"{server.base}/api/js").status_code == 404


def test_cron_listed_and_run(server: LiveServer, project: Path) -> None:
    token = {"Authorization": superuser_token(server.base)}
    jobs = httpx.get(f"{server.base}/api/crons", headers=token).json()
    assert jobs[0] == {"id": "touch-marker", "expression": "0 3 * * *"}  # user jobs first, as PocketBase
    assert httpx.post(f"{server.base}/api/crons/touch-marker", headers=token).status_code == 204
    marker = project / "marker.txt"
    wait_for(lambda: marker.exists() and marker.read_text() == "ran\n")  # created before it is written


def test_reload_and_failures(server: LiveServer, project: Path) -> None:
    """One live server through: a helper edited, a new version, a broken file, a fixed one."""
    base, hooks = server.base, project / "pb_hooks"
    token = {"Authorization": superuser_token(base)}

    def hello() -> str:
        return str(httpx.get(f"{base}/api/hello/bob").json().get("message"))

    write(hooks / "_util.py", 'def greeting():\n    return "Howdy there"\n')  # a helper change reloads too
    wait_for(lambda: hello() == "Howdy there bob")

    def new_user_name(email: str) -> str:
        body = {"email": email, "password": "1234567890", "passwordConfirm": "1234567890"}
        r = httpx.post(f"{base}/api/collections/users/records", json=body)
        assert r.status_code == 200, r.text
        return str(r.json()["name"])

    assert new_user_name("a@example.com") == "stamped by v1"
    write(hooks / "main.py", MAIN_V2)
    wait_for(lambda: hello() == "v2 bob")
    assert new_user_name("b@example.com") == ""  # v1's record hook was unbound
    assert httpx.get(f"{base}/api/private").status_code == 404  # unregistered: the static catch-all
    assert [j["id"] for j in httpx.get(f"{base}/api/crons", headers=token).json()
            if not j["id"].startswith("__")] == []

    write(hooks / "zz_broken.py", "from satchel.hooks import app\n\n@app.router.get('/api/new')\ndef f(e):\n    return e.string(200, 'new')\n\nraise RuntimeError('broken on purpose')\n")
    wait_for(lambda: "broken on purpose" in server.stderr)
    assert "zz_broken.py" in server.stderr and "hooks not reloaded" in server.stderr
    assert hello() == "v2 bob"  # the previous version still serves
    assert httpx.get(f"{base}/api/new").status_code == 404  # the failing file's route was undone

    write(hooks / "zz_broken.py", "from satchel.hooks import app\n\n@app.router.get('/api/new')\ndef f(e):\n    return e.string(200, 'new')\n")
    wait_for(lambda: httpx.get(f"{base}/api/new").text == "new")
    assert hello() == "v2 bob"
    assert server.proc.poll() is None  # the same process all along


def test_failing_file_at_start(tmp_path: Path) -> None:
    hooks = tmp_path / "custom_hooks"
    hooks.mkdir()
    write(hooks / "a.py", "x = 1\n")
    write(hooks / "b.py", "def oops():\n    return 1 / 0\n\noops()\n")
    r = satchel("serve", "--http=127.0.0.1:18250", f"--dir={tmp_path / 'pb_data'}", f"--hooksDir={hooks}")
    assert r.returncode == 1
    assert "failed to load hook file b.py" in r.stderr
    assert "Traceback" in r.stderr and "ZeroDivisionError" in r.stderr and 'b.py", line 2' in r.stderr
    assert "Server started" not in r.stdout


def test_syntax_error_at_start_and_hooks_watch_off(tmp_path: Path) -> None:
    hooks = tmp_path / "pb_hooks"
    hooks.mkdir()
    write(hooks / "main.py", "def broken(:\n")
    r = satchel("serve", "--http=127.0.0.1:18251", f"--dir={tmp_path / 'pb_data'}")
    assert r.returncode == 1 and "SyntaxError" in r.stderr and "main.py" in r.stderr

    write(hooks / "main.py", "from satchel.hooks import app\napp.router.add('GET', '/api/v', lambda e: e.string(200, 'one'))\n")
    live = start_serve(tmp_path / "pb_data", "--hooksWatch=false")
    try:
        assert httpx.get(f"{live.base}/api/v").text == "one"
        write(hooks / "main.py", "from satchel.hooks import app\napp.router.add('GET', '/api/v', lambda e: e.string(200, 'two!'))\n")
        time.sleep(1.0)  # more than the poll interval: nothing is watching
        assert httpx.get(f"{live.base}/api/v").text == "one"
    finally:
        assert stop_serve(live) == 0, live.stderr


def test_requests_during_reloads_never_miss_the_route(tmp_path: Path) -> None:
    """A reload runs on the event loop in one step: no request falls between the undo and the
    new registration, and the process keeps serving."""
    import threading

    hooks = tmp_path / "pb_hooks"
    hooks.mkdir()

    def version(n: int) -> str:
        return f"from satchel.hooks import app\napp.router.add('GET', '/api/v', lambda e: e.string(200, 'v{n}'))\n"

    write(hooks / "main.py", version(0))
    live = start_serve(tmp_path / "pb_data")
    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client() as c:
            while not stop.is_set():
                r = c.get(f"{live.base}/api/v")
                seen.append((r.status_code, r.text))

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        # the first version answers before it is replaced (on a loaded machine the first
        # request could otherwise arrive after the first rewrite)
        wait_for(lambda: any(text == "v0" for _, text in seen))
        for n in range(1, 6):
            write(hooks / "main.py", version(n) + "#" * n)
            wait_for(lambda n=n: any(text == f"v{n}" for _, text in seen[-5:]))
    finally:
        stop.set()
        worker.join()
        assert stop_serve(live) == 0, live.stderr
    assert len(seen) > 20
    assert {status for status, _ in seen} == {200}
    assert {text for _, text in seen} == {f"v{n}" for n in range(6)}


def test_on_serve_routes_and_lifecycle_follow_a_reload(tmp_path: Path) -> None:
    """PocketBase's idiom (routes added in on_serve) survives reloads: the files' on_terminate
    runs for the old version, on_bootstrap/on_serve for the new one."""
    hooks = tmp_path / "pb_hooks"
    hooks.mkdir()
    log = tmp_path / "lifecycle.txt"

    def version(n: int) -> str:
        return textwrap.dedent(f"""
            from satchel.hooks import app

            @app.on_bootstrap
            def boot(e):
                open({str(log)!r}, "a").write("bootstrap v{n}\\n")
                e.next()

            @app.on_serve
            def serve(e):
                e.router.add("GET", "/api/from-serve", lambda req: req.string(200, "v{n}"))
                e.next()

            @app.on_terminate
            def bye(e):
                open({str(log)!r}, "a").write(f"terminate v{n} restart={{e.is_restart}}\\n")
                e.next()
        """)

    write(hooks / "main.py", version(1))
    live = start_serve(tmp_path / "pb_data", "--workers=1")  # one process: one run of each handler
    try:
        assert httpx.get(f"{live.base}/api/from-serve").text == "v1"
        write(hooks / "main.py", version(2))
        wait_for(lambda: httpx.get(f"{live.base}/api/from-serve").text == "v2")
    finally:
        assert stop_serve(live) == 0, live.stderr
    assert log.read_text().splitlines() == [

        "bootstrap v1",
        "terminate v1 restart=True",
        "bootstrap v2",
        "terminate v2 restart=False",
    ]
