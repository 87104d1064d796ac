"""The ``satchel`` command through its real entry point (``python -m satchel`` in a
subprocess): help and version, the ``superuser`` commands (spec 11 §A.4), and ``serve`` with
its flags (spec 13 §1-§3)."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import apsw
import httpx
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.testclient import TestClient

from satchel import __version__
from satchel.api import build_asgi
from satchel.app import App
from satchel.cli import make_config
from satchel.config import Config
from satchel.store.connection import QueryTimeout
from satchel.store.database import Database
from tests.cli.conftest import ALLOWED_ORIGINS
from tests.e2e.serve_support import LiveServer, free_port, satchel, start_serve, stop_serve, superuser_token

STAMP = r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}"
SUPERUSERS_ID = "pbc_3142635823"
KEY = "0123456789abcdef0123456789ABCDEF"  # 32 characters


def assert_log_line(stderr: str, message: str) -> None:
    """PocketBase's failure output: exactly one ``YYYY/MM/DD HH:MM:SS <message>`` line."""
    assert re.fullmatch(rf"{STAMP} {re.escape(message)}\n", stderr), stderr


def query(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = apsw.Connection(str(db_path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def jwt_payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


# -- help, version, unknown commands ----------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version(flag: str) -> None:
    r = satchel(flag)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"satchel version {__version__}\n", "")


def test_help_and_no_command() -> None:
    long, short, bare = satchel("--help"), satchel("-h"), satchel()
    assert (long.returncode, short.returncode, bare.returncode) == (0, 0, 0)
    assert long.stdout.startswith("Usage: satchel [OPTIONS] [COMMAND] [ARGS]...")
    for command in ("serve", "superuser", "--version"):
        assert command in long.stdout
    # no command prints the same help, as PocketBase does
    assert short.stdout == long.stdout
    assert bare.stdout.strip() == long.stdout.strip()
    assert long.stderr == short.stderr == bare.stderr == ""


def test_superuser_without_subcommand_prints_its_help() -> None:
    r = satchel("superuser")
    assert r.returncode == 0
    for sub in ("upsert", "create", "update", "delete", "otp", "ips"):
        assert re.search(rf"^\s+{sub}\s", r.stdout, re.M), r.stdout


def test_unknown_command_and_flag_exit_1() -> None:
    r = satchel("nonexist")
    assert (r.returncode, r.stdout) == (1, "")
    assert_log_line(r.stderr, 'unknown command "nonexist" for "satchel"')
    r = satchel("superuser", "nonexist")
    assert r.returncode == 1
    assert_log_line(r.stderr, 'unknown command "nonexist" for "satchel superuser"')
    r = satchel("serve", "--bogus")
    assert r.returncode == 1
    assert re.fullmatch(rf"{STAMP} No such option '--bogus'.*\n", r.stderr), r.stderr


# -- superuser commands (spec 11 §A.4) --------------------------------------------------------


def test_superuser_upsert_create_update_delete(tmp_path: Path) -> None:
    d = f"--dir={tmp_path / 'pb_data'}"
    # (arguments, exit status, stdout, stderr message)
    steps: list[tuple[tuple[str, ...], int, str, str]] = [
        (("upsert",), 1, "", "missing email and password arguments"),
        (("upsert", "a@example.com"), 1, "", "missing email and password arguments"),
        (("upsert", "not-an-email", "1234567890"), 1, "", "missing or invalid email address"),
        (("upsert", "a@example.com", "1234567890"), 0, 'Successfully saved superuser "a@example.com"!', ""),
        (("upsert", "a@example.com", "0987654321"), 0, 'Successfully saved superuser "a@example.com"!', ""),
        (("create",), 1, "", "missing email and password arguments"),
        (("create", "b@example.com", "1234567890"), 0, 'Successfully created new superuser "b@example.com"!', ""),
        (("create", "b@example.com", "1234567890"), 1, "",
         "failed to create new superuser account: email: Value must be unique."),
        (("create", "c@example.com", "short"), 1, "",
         "failed to create new superuser account: password: Must be at least 8 character(s)."),
        (("update", "b@example.com", "abcdefghijk"), 0, 'Successfully changed superuser "b@example.com" password!', ""),
        (("update", "c@example.com", "abcdefghijk"), 1, "", 'superuser with email "c@example.com" doesn\'t exist'),
        (("delete",), 1, "", "invalid or missing email address"),
        (("delete", "b@example.com"), 0, 'Successfully deleted superuser "b@example.com"!', ""),
        (("delete", "b@example.com"), 0, 'superuser "b@example.com" is missing or already deleted', ""),
        (("delete", "a@example.com"), 1, "",
         "failed to delete superuser \"a@example.com\": You can't delete the only existing superuser."),
    ]  # fmt: skip
    for args, status, stdout, message in steps:
        r = satchel("superuser", *args, d)
        assert r.returncode == status, (args, r.stdout, r.stderr)
        assert r.stdout == (stdout + "\n" if stdout else ""), args
        if message:
            assert_log_line(r.stderr, message)
        else:
            assert r.stderr == "", (args, r.stderr)
    emails = query(tmp_path / "pb_data" / "data.db", "SELECT email, verified FROM _superusers ORDER BY email")
    assert emails == [("a@example.com", 1)]


def test_superuser_otp(tmp_path: Path) -> None:
    data = tmp_path / "pb_data"
    assert satchel("superuser", "upsert", "w3@example.com", "1234567890", f"--dir={data}").returncode == 0
    r = satchel("superuser", "otp", "w3@example.com", f"--dir={data}")
    assert (r.returncode, r.stdout) == (1, "")
    assert_log_line(r.stderr, "OTP auth is not enabled for the _superusers collection")
    r = satchel("superuser", "otp", f"--dir={data}")
    assert r.returncode == 1
    assert_log_line(r.stderr, "invalid or missing email address")

    with App(Config(data_dir=data)) as app, TestClient(build_asgi(app)) as client:
        auth = client.post(
            "/api/collections/_superusers/auth-with-password",
            json={"identity": "w3@example.com", "password": "1234567890"},
        )
        client.headers["Authorization"] = auth.json()["token"]
        enabled = client.patch("/api/collections/_superusers", json={"otp": {"enabled": True}})
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["mfa"]["enabled"] is True  # OTP forces MFA on _superusers

    r = satchel("superuser", "otp", "w3@example.com", f"--dir={data}")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    m = re.fullmatch(
        r'Successfully created OTP for superuser "w3@example\.com":\n'
        r"├─ Id:    ([a-z0-9]{15})\n├─ Pass:  (\d{8})\n└─ Valid: 180s\n",
        r.stdout,
    )
    assert m, r.stdout
    rows = query(data / "data.db", "SELECT collectionRef, password FROM _otps WHERE id = ?", (m.group(1),))
    assert len(rows) == 1 and rows[0][0] == SUPERUSERS_ID
    assert rows[0][1] != m.group(2)  # stored hashed, never in clear


def test_superuser_ips(tmp_path: Path) -> None:
    data = tmp_path / "pb_data"
    d = f"--dir={data}"

    def stored_ips() -> list[str]:
        (value,) = query(data / "data.db", "SELECT value FROM _params WHERE id = 'settings'")[0]
        ips: list[str] = json.loads(value)["superuserIPs"]
        return ips

    r = satchel("superuser", "ips", "127.0.0.1", "10.0.0.0/24", d)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "Successfully updated SuperuserIPs setting:\n├─ 127.0.0.1\n└─ 10.0.0.0/24\n"
    assert stored_ips() == ["127.0.0.1", "10.0.0.0/24"]

    r = satchel("superuser", "ips", "bad", d)
    assert (r.returncode, r.stdout) == (1, "")
    assert_log_line(r.stderr, "superuserIPs: (0: invalid IP or CIDR subnet.).")
    assert stored_ips() == ["127.0.0.1", "10.0.0.0/24"]  # unchanged

    r = satchel("superuser", "ips", d)
    assert (r.returncode, r.stdout, r.stderr) == (0, "Successfully cleared SuperuserIPs setting!\n", "")
    assert stored_ips() == []


# -- serve: banner, installer, data dir ---------------------------------------------------------


def test_serve_banner_and_installer_link(fresh_server: LiveServer) -> None:
    base = fresh_server.base
    lines = fresh_server.stdout.splitlines()
    assert re.fullmatch(rf"{STAMP} Server started at {re.escape(base)}", lines[0]), lines
    assert lines[1] == f"├─ REST API:  {base}/api/"
    assert lines[2] == f"└─ Dashboard: {base}/_/"
    assert lines[3] == ""
    assert lines[4] == (
        "(!) Launch the URL below in the browser if it hasn't been open already "
        "to create your first superuser account:"
    )
    assert lines[5].startswith(f"{base}/_/#/pbinstall/")
    assert re.fullmatch(r"\(you can also create your first superuser by running: .+ superuser upsert EMAIL PASS\)",
                        lines[6])  # fmt: skip
    payload = jwt_payload(lines[5].rsplit("/", 1)[1])
    assert {k: payload[k] for k in ("collectionId", "refreshable", "type")} == {
        "collectionId": SUPERUSERS_ID,
        "refreshable": False,
        "type": "auth",
    }
    started = time.mktime(time.strptime(lines[0][:19], "%Y/%m/%d %H:%M:%S"))
    assert 1798 <= payload["exp"] - started <= 1801  # 30 minutes from start-up
    assert "[sql]" not in fresh_server.stderr  # no --dev, no SQL trace


def test_installer_token_until_a_superuser_exists(fresh_server: LiveServer) -> None:
    link = next(line for line in fresh_server.stdout.splitlines() if "/_/#/pbinstall/" in line)
    token = link.rsplit("/", 1)[1]
    r = httpx.get(f"{fresh_server.base}/api/collections", headers={"Authorization": token})
    assert r.status_code == 200, r.text
    assert {"_superusers", "users"} <= {c["name"] for c in r.json()["items"]}

    # a superuser created by the CLI while the server runs: usable at once, installer gone
    created = satchel("superuser", "upsert", "first@example.com", "1234567890", f"--dir={fresh_server.data_dir}")
    assert created.returncode == 0, created.stderr
    assert httpx.get(f"{fresh_server.base}/api/collections", headers={"Authorization": token}).status_code == 401
    real = superuser_token(fresh_server.base, "first@example.com", "1234567890")
    assert httpx.get(f"{fresh_server.base}/api/collections", headers={"Authorization": real}).status_code == 200
    emails = query(fresh_server.data_dir / "data.db", "SELECT email FROM _superusers")
    assert emails == [("first@example.com",)]


def test_data_dir_files_in_wal_mode(fresh_server: LiveServer) -> None:
    data = fresh_server.data_dir
    for name in ("data.db", "auxiliary.db"):
        assert (data / name).is_file(), name
        assert query(data / name, "PRAGMA journal_mode") == [("wal",)], name
        assert (data / f"{name}-wal").exists(), name
    tables = {row[0] for row in query(data / "data.db", "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"_collections", "_params", "_superusers", "users", "_otps", "_mfas"} <= tables
    assert ("_logs",) in query(data / "auxiliary.db", "SELECT name FROM sqlite_master WHERE type = 'table'")


def test_dev_prints_sql(tmp_path: Path) -> None:
    server = start_serve(tmp_path / "pb_data", "--dev")
    try:
        assert httpx.get(f"{server.base}/api/health").status_code == 200
    finally:
        assert stop_serve(server) == 0
    sql = [line for line in server.stderr.splitlines() if line.startswith("[sql] ")]
    assert any(line.startswith("[sql] SELECT ") for line in sql), server.stderr[:2000]
    assert any("_collections" in line for line in sql)


# -- --encryptionEnv ----------------------------------------------------------------------------


def test_encryption_env(tmp_path: Path) -> None:
    data = tmp_path / "pb_data"
    env = {"SATCHEL_TEST_KEY": KEY}
    flag = "--encryptionEnv=SATCHEL_TEST_KEY"
    assert satchel("superuser", "upsert", "a@example.com", "1234567890", f"--dir={data}", flag, env=env).returncode == 0
    server = start_serve(data, flag, env=env)
    try:
        token = superuser_token(server.base, "a@example.com", "1234567890")
        r = httpx.patch(
            f"{server.base}/api/settings",
            json={"meta": {"appName": "Encrypted app"}, "smtp": {"password": "smtp-secret"}},
            headers={"Authorization": token},
        )
        assert r.status_code == 200, r.text
    finally:
        assert stop_serve(server) == 0

    (value,) = query(data / "data.db", "SELECT value FROM _params WHERE id = 'settings'")[0]
    raw = value if isinstance(value, bytes) else value.encode()
    assert b"Encrypted app" not in raw and b"smtp-secret" not in raw
    with pytest.raises(ValueError):
        json.loads(raw)
    # PocketBase's layout: base64(nonce12 || AES-256-GCM(json))
    sealed = base64.b64decode(raw)
    settings = json.loads(AESGCM(KEY.encode()).decrypt(sealed[:12], sealed[12:], None))
    assert settings["meta"]["appName"] == "Encrypted app"
    assert settings["smtp"]["password"] == "smtp-secret"

    # without the key the data dir can't be opened: PocketBase's message, exit 1
    restart = satchel("serve", f"--dir={data}", f"--http=127.0.0.1:{free_port()}", timeout=20)
    assert (restart.returncode, restart.stdout) == (1, "")
    assert_log_line(restart.stderr, 'invalid settings db data or missing encryption key ""')


# -- --queryTimeout -----------------------------------------------------------------------------

FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def test_query_timeout_flag_reaches_the_database(tmp_path: Path) -> None:
    config = make_config(data_dir=str(tmp_path / "pb_data"), query_timeout=7)
    with App(config) as app:
        assert app.db.query_timeout == 7.0
        assert app.aux_db.query_timeout == 7.0


def test_query_timeout_interrupts_a_runaway_query(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "t.db"), query_timeout=0.2)
    outcome: dict[str, Any] = {}

    def runaway() -> None:
        outcome["started"] = time.monotonic()
        try:
            db.read_sync(lambda c: c.execute(FOREVER).fetchall())
            outcome["error"] = None
        except Exception as exc:  # the type is what is asserted
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    try:
        worker = threading.Thread(target=runaway, daemon=True)
        worker.start()
        # other reads (on other connections) keep working while the runaway one runs
        answered: list[float] = []
        deadline = time.monotonic() + 5
        while worker.is_alive() and time.monotonic() < deadline:
            assert db.read_sync(lambda c: c.execute("SELECT 42").fetchall()) == [(42,)]
            answered.append(time.monotonic())
            time.sleep(0.01)
        worker.join(0.5)
        assert not worker.is_alive(), "the runaway query was not interrupted"
        assert isinstance(outcome["error"], QueryTimeout)
        assert 0.18 <= outcome["ended"] - outcome["started"] < 2.0
        during = [t for t in answered if outcome["started"] < t < outcome["ended"]]
        assert len(during) >= 5, (len(during), len(answered))
        # the connection that timed out is usable again
        assert db.read_sync(lambda c: c.execute("SELECT 1").fetchall()) == [(1,)]
    finally:
        db.close()


# -- --publicDir and --indexFallback (spec 13 §2) ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/", "<h1>root index</h1>"),
        ("/a.txt", "file a"),
        ("/sub/", "<h1>sub index</h1>"),
        ("/docs/x.txt", "doc x"),
        ("/docs/", "<h1>root index</h1>"),  # a directory without index.html: fallback
        ("/missing/route", "<h1>root index</h1>"),
        ("/missing.js", "<h1>root index</h1>"),
        ("/api/nonexistent", "<h1>root index</h1>"),  # GET, as PocketBase (!)
    ],
)
def test_public_dir_files_and_fallback(web_server: LiveServer, path: str, body: str) -> None:
    r = httpx.get(web_server.base + path)
    assert (r.status_code, r.text) == (200, body)
    expected_type = "text/plain; charset=utf-8" if body in ("file a", "doc x") else "text/html; charset=utf-8"
    assert r.headers["content-type"] == expected_type


@pytest.mark.parametrize(
    ("path", "location"),
    [("/a.txt/", "/a.txt"), ("/sub", "/sub/"), ("/sub/index.html", "/sub/"), ("/index.html", "/")],
)
def test_public_dir_redirects(web_server: LiveServer, path: str, location: str) -> None:
    r = httpx.get(web_server.base + path)
    assert (r.status_code, r.headers["location"]) == (301, location)


def test_public_dir_unknown_api_post(web_server: LiveServer) -> None:
    r = httpx.post(f"{web_server.base}/api/nonexistent")
    assert r.status_code == 404
    assert r.json() == {"data": {}, "message": "The requested resource wasn't found.", "status": 404}


@pytest.mark.parametrize("path", ["/docs/", "/missing/route", "/missing.js", "/api/nonexistent"])
def test_no_index_fallback(no_fallback_server: LiveServer, path: str) -> None:
    r = httpx.get(no_fallback_server.base + path)
    assert r.status_code == 404
    assert r.json() == {"data": {}, "message": "File not found.", "status": 404}
    assert httpx.get(f"{no_fallback_server.base}/sub/").text == "<h1>sub index</h1>"


def test_without_public_dir(fresh_server: LiveServer) -> None:
    r = httpx.get(f"{fresh_server.base}/missing/route")
    assert r.status_code == 404
    assert r.json() == {"data": {}, "message": "File not found.", "status": 404}
    assert httpx.get(f"{fresh_server.base}/").status_code == 404


# -- --origins (spec 13 §1, CORS) ---------------------------------------------------------------

METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def preflight(base: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{base}/api/collections",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def test_default_origins_allow_any(fresh_server: LiveServer) -> None:
    r = httpx.get(f"{fresh_server.base}/api/health", headers={"Origin": "https://anywhere.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    for name, value in {
        "x-content-type-options": "nosniff",
        "x-frame-options": "SAMEORIGIN",
        "x-xss-protection": "1; mode=block",
        "cross-origin-opener-policy": "same-origin",
    }.items():
        assert r.headers[name] == value
    p = preflight(fresh_server.base, "https://anywhere.example")
    assert p.status_code == 204
    assert p.headers["access-control-allow-origin"] == "*"
    assert p.headers["access-control-allow-methods"] == METHODS
    assert p.headers["access-control-allow-headers"] == "authorization,content-type"


def test_origins_allow_list(web_server: LiveServer) -> None:
    for origin in ALLOWED_ORIGINS:
        r = httpx.get(f"{web_server.base}/api/health", headers={"Origin": origin})
        assert r.headers["access-control-allow-origin"] == origin
        p = preflight(web_server.base, origin)
        assert p.status_code == 204
        assert p.headers["access-control-allow-origin"] == origin
        assert p.headers["access-control-allow-methods"] == METHODS
        assert p.headers["access-control-allow-headers"] == "authorization,content-type"
        assert {"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} <= {
            v.strip() for value in p.headers.get_list("vary") for v in value.split(",")
        }
    # a disallowed origin gets no CORS headers; its preflight is still a 204
    r = httpx.get(f"{web_server.base}/api/health", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    p = preflight(web_server.base, "https://evil.example")
    assert p.status_code == 204
    assert not [h for h in p.headers if h.lower().startswith("access-control-")]
    # static files get the same treatment
    s = httpx.get(f"{web_server.base}/a.txt", headers={"Origin": "https://a.example"})
    assert s.headers["access-control-allow-origin"] == "https://a.example"
