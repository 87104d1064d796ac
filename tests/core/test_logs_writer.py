"""The log writer: batches off the request path, nothing lost on a clean stop,
retention.  Real auxiliary.db files throughout; one live ``satchel serve``."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from satchel.core.logs import (
    ERROR,
    INFO,
    LogEntry,
    LogService,
    LogWriter,
    RawHeaders,
    RequestFacts,
    delete_old_logs,
    format_created,
    logs_cleanup,
    new_log_ids,
    normalize_ip,
    request_row,
    rows_params,
)
from satchel.core.logs.writer import CAPACITY, SIZES
from satchel.core.settings.model import LogsConfig, TrustedProxyConfig, default_settings
from satchel.store.bootstrap import create_aux_tables
from satchel.store.database import Database
from tests.e2e.serve_support import start_serve, stop_serve

ON = LogsConfig(max_days=5, log_ip=True)


@pytest.fixture
def aux(tmp_path: Path) -> Iterator[Database]:
    db = Database(str(tmp_path / "auxiliary.db"), readers=1)
    db.write_sync(lambda tx: create_aux_tables(tx.conn))
    yield db
    db.close()


def count(db: Database, where: str = "1") -> int:
    return int(db.read_sync(lambda c: c.execute(f"SELECT COUNT(*) FROM _logs WHERE {where}").fetchone()[0]))


def entry(i: int, created: float | None = None) -> LogEntry:
    return LogEntry(INFO, f"entry {i}", {"i": i}, time.time() if created is None else created)


def test_a_full_batch_is_written_without_waiting_for_the_interval(aux: Database) -> None:
    writer = LogWriter(aux, lambda: ON, interval=60, batch_size=5)
    try:
        for i in range(5):
            writer.add(entry(i))
        deadline = time.monotonic() + 5
        while count(aux) < 5:
            assert time.monotonic() < deadline, "the batch was not written"
            time.sleep(0.01)
        writer.add(entry(5))
        time.sleep(0.2)
        assert count(aux) == 5  # a lone entry waits for the interval (or a flush)
        assert writer.pending == 1
    finally:
        writer.close()
    assert count(aux) == 6


def test_entries_that_keep_coming_wait_for_a_full_batch_or_a_quiet_interval(aux: Database) -> None:
    """PocketBase's ticker is reset by every entry: while entries keep coming only full
    batches are written, and the rest an interval after the last one."""
    writer = LogWriter(aux, lambda: ON, interval=1.0, batch_size=50)
    try:
        now = time.time()
        assert writer._wait_more() == 0  # nothing queued: nothing to wait for
        writer.add(entry(0, created=now))
        assert 0.9 < writer._wait_more() <= 1.0
        writer.add(entry(1, created=now - 0.6))  # the last entry's time counts
        assert writer._wait_more() <= 0.4
        writer.add(entry(2, created=now + 3600))  # the clock was set back: due at once
        assert writer._wait_more() == 0
        writer.add(entry(3, created=now - 5))
        assert writer._wait_more() <= 0
        for i in range(4, 50):
            writer.add(entry(i, created=now))
        assert writer._wait_more() == 0  # full: written at once
        deadline = time.monotonic() + 5
        while count(aux) < 50:
            assert time.monotonic() < deadline, "the full batch was not written"
            time.sleep(0.01)
        started = time.monotonic()
        for i in range(50, 60):  # one every 0.1 s for ~1 s: the ticker keeps being reset
            writer.add(entry(i))
            time.sleep(0.1)
        if time.monotonic() - started < 1.5:  # (a machine too busy to keep the pace proves nothing)
            assert count(aux) == 50
        deadline = time.monotonic() + 5
        while count(aux) < 60:  # then written an interval after the last one
            assert time.monotonic() < deadline, "the rest was not written after a quiet interval"
            time.sleep(0.01)
    finally:
        writer.close()


def test_close_writes_everything_in_order(aux: Database) -> None:
    writer = LogWriter(aux, lambda: ON, interval=60)
    for i in range(450):
        writer.add(entry(i))
    writer.close()
    rows = aux.read_sync(lambda c: c.execute("SELECT json_extract(data, '$.i') FROM _logs ORDER BY rowid").fetchall())
    assert [r[0] for r in rows] == list(range(450))
    writer.close()  # idempotent


def test_concurrent_producers_lose_nothing(aux: Database) -> None:
    writer = LogWriter(aux, lambda: ON, interval=0.01, batch_size=50)
    per_thread, threads = 500, 4

    def produce(base: int) -> None:
        for i in range(per_thread):
            writer.add(entry(base + i))

    workers = [threading.Thread(target=produce, args=(n * per_thread,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    writer.close()
    assert count(aux) == per_thread * threads
    ids = aux.read_sync(lambda c: c.execute("SELECT COUNT(DISTINCT id), COUNT(DISTINCT data) FROM _logs").fetchone())
    assert ids == (per_thread * threads, per_thread * threads)


def test_a_failed_write_does_not_stop_the_writer(aux: Database) -> None:
    writer = LogWriter(aux, lambda: ON, interval=60)
    try:
        aux.write_sync(lambda tx: tx.execute("ALTER TABLE _logs RENAME TO _logs_away"))
        writer.add(entry(1))
        assert writer.flush() == 0  # dropped with an error on the satchel.logs logger
        aux.write_sync(lambda tx: tx.execute("ALTER TABLE _logs_away RENAME TO _logs"))
        writer.add(entry(2))
        assert writer.flush() == 1
    finally:
        writer.close()


def test_a_taken_id_costs_its_own_row_only(aux: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """``OR IGNORE`` (which skips a statement's padding) also skips a row whose random id
    is in the table already: the rest of its batch is written and counted."""
    writer = LogWriter(aux, lambda: ON, interval=60)
    try:
        writer.add(entry(0))
        writer.flush()
        taken = aux.read_sync(lambda c: c.execute("SELECT id FROM _logs").fetchone()[0])
        monkeypatch.setattr("satchel.core.logs.writer.new_log_ids", lambda n: [taken, *new_log_ids(n - 1)])
        for i in range(1, 4):
            writer.add(entry(i))
        assert writer.flush() == 2
    finally:
        writer.close()
    rows = aux.read_sync(lambda c: c.execute("SELECT message FROM _logs ORDER BY rowid").fetchall())
    assert rows == [("entry 0",), ("entry 2",), ("entry 3",)]


def test_levels_and_disabled_logs(aux: Database) -> None:
    config = LogsConfig(max_days=5, min_level=4)
    service = LogService(aux, lambda: config, interval=60)
    try:
        service.info("below minLevel")
        service.warn("kept")
        service.error("kept too")
        config = LogsConfig(max_days=0)
        service.error("logs are off")
        service.flush()
        assert [r[0] for r in aux.read_sync(lambda c: c.execute("SELECT message FROM _logs").fetchall())] == [
            "kept", "kept too"]
    finally:
        service.close()


def test_delete_old_logs(aux: Database) -> None:
    now = time.time()
    rows = [entry(i, now - days * 86400 - 60) for i, days in enumerate((0, 1, 4, 5, 9))]
    writer = LogWriter(aux, lambda: ON, interval=60)
    for r in rows:
        writer.add(r)
    writer.close()
    assert delete_old_logs(aux, 5, now=now) == 2  # 5 days and a minute, 9 days
    assert count(aux) == 3
    assert format_created(now).endswith("Z")
    assert delete_old_logs(aux, 0) == 3  # 0 = logs off: none kept


def test_settings_change_cleanup(aux: Database) -> None:
    writer = LogWriter(aux, lambda: ON, interval=60)
    old = time.time() - 3 * 86400
    for level, created in ((0, time.time()), (4, time.time()), (8, old), (0, old)):
        writer.add(LogEntry(level, "x", {}, created))
    writer.close()
    logs_cleanup(aux, ON, LogsConfig(max_days=2))
    assert count(aux) == 2  # the 3-day-old ones
    logs_cleanup(aux, LogsConfig(max_days=2), LogsConfig(max_days=2, min_level=4))
    assert count(aux) == 1
    logs_cleanup(aux, LogsConfig(max_days=2), LogsConfig(max_days=0))
    assert count(aux) == 0


def test_serve_writes_every_finished_request_before_exiting(tmp_path: Path) -> None:
    server = start_serve(tmp_path / "pb_data")
    try:
        with httpx.Client(base_url=server.base) as http:
            for i in range(120):
                assert http.get(f"/api/health?n={i}").status_code == 200
            assert http.get("/api/collections/nope/records").status_code == 404
    finally:
        assert stop_serve(server) == 0, server.stderr
    # sent within the 3 s interval and under a batch: the clean stop wrote them
    with sqlite3.connect(tmp_path / "pb_data" / "auxiliary.db") as conn:
        got = conn.execute("SELECT COUNT(*) FROM _logs WHERE message LIKE 'GET /api/health?n=%'").fetchone()[0]
        failed = conn.execute("SELECT level, json_extract(data, '$.status') FROM _logs "
                              "WHERE message = 'GET /api/collections/nope/records'").fetchall()
    assert got == 120
    assert failed == [(8, 404)]


def test_ids_in_bulk_and_raw_headers() -> None:
    ids = new_log_ids(500)
    assert len(set(ids)) == 500
    assert all(len(i) == 15 and i.isalnum() and i == i.lower() for i in ids)
    headers = RawHeaders([(b"user-agent", b"a"), (b"x-real-ip", b"10.0.0.1"), (b"x-real-ip", b"10.0.0.2")])
    assert headers.getlist("X-Real-IP") == ["10.0.0.1", "10.0.0.2"]


def facts(config: LogsConfig, **over: Any) -> RequestFacts:
    """A queued request as the middleware builds it (``url``/``proxy`` split into the
    scope's raw values and the settings)."""
    values: dict[str, Any] = {
        "method": "GET", "url": "/api/x?q=a%20b", "status": 200, "exec_ns": 536568, "peer": "127.0.0.1",
        "headers": [(b"user-agent", b"ua/1"), (b"referer", b"http://r/"), (b"user-agent", b"second")],
        "proxy": TrustedProxyConfig(), "auth": "users", "auth_id": "u1", "error": None, "details": None,
        "created": 1795000000.25,
    }
    values.update(over)
    path, _, query = values["url"].encode("latin-1").partition(b"?")
    settings = default_settings()
    settings.logs, settings.trusted_proxy = config, values["proxy"]
    return (values["method"], path, query, values["status"], values["exec_ns"], (values["peer"], 50000),
            values["headers"], settings, values["auth"], values["auth_id"], values["error"], values["details"],
            values["created"])


def test_request_row_is_pocketbases_shape_in_sorted_key_order() -> None:
    row = request_row(facts(LogsConfig(max_days=5, log_ip=True, log_auth_id=True)), "abc")
    assert row[:3] == ("abc", INFO, "GET /api/x?q=a b") and row[4] == "2026-11-18 11:06:40.250Z"
    assert row[3] == (
        '{"auth":"users","authId":"u1","execTime":0.536568,"method":"GET","referer":"http://r/",'
        '"remoteIP":"127.0.0.1","status":200,"type":"request","url":"/api/x?q=a%20b","userAgent":"ua/1",'
        '"userIP":"127.0.0.1"}'
    )
    # without logIP/logAuthId; a failure with nested details (sorted too), cut URL and header
    proxy = TrustedProxyConfig(headers=["X-Forwarded-For"])
    failed = facts(LogsConfig(max_days=5), url="/" + "u" * 3100, status=400, error="Bad.",
                   details={"b": {"z": 1, "a": "x"}, "a": "y"},
                   headers=[(b"user-agent", b"a" * 2100)], proxy=proxy)
    level, message, data = request_row(failed, "id2")[1:4]
    assert level == ERROR and message == "GET /" + "u" * 2999 + "..."
    assert data == orjson.dumps(orjson.loads(data), option=orjson.OPT_SORT_KEYS).decode()
    parsed = orjson.loads(data)
    assert parsed["details"] == {"a": "y", "b": {"a": "x", "z": 1}} and parsed["error"] == "Bad."
    assert parsed["userAgent"] == "a" * 2000 + "..." and parsed["referer"] == ""
    assert "userIP" not in parsed and "authId" not in parsed
    # a trusted proxy header gives userIP, the TCP peer stays remoteIP
    behind = facts(LogsConfig(max_days=5, log_ip=True), proxy=proxy,
                   headers=[(b"x-forwarded-for", b"10.0.0.9, 10.0.0.7")])
    parsed = orjson.loads(request_row(behind, "id3")[3])
    assert (parsed["userIP"], parsed["remoteIP"]) == ("10.0.0.7", "127.0.0.1")


def test_request_rows_land_in_order_across_insert_chunks(aux: Database) -> None:
    config = LogsConfig(max_days=5)
    writer = LogWriter(aux, lambda: config, interval=60, batch_size=10**6)  # one flush writes them all
    try:
        for i in range(CAPACITY * 2 + 23):  # two full statements and a padded one
            writer.add(facts(config, url=f"/api/n/{i}"))
        assert writer.flush() == CAPACITY * 2 + 23
    finally:
        writer.close()
    rows = aux.read_sync(lambda c: c.execute("SELECT message, level FROM _logs ORDER BY rowid").fetchall())
    assert rows == [(f"GET /api/n/{i}", INFO) for i in range(CAPACITY * 2 + 23)]


def test_created_text_reused_within_a_second_is_each_entrys_own_time() -> None:
    """The writer formats a second once and reuses its text for the entries of that
    second: every row still carries its own millisecond, and a batch going back in
    time (clock steps) or across seconds, minutes and days gets each right."""
    config = LogsConfig(max_days=5)
    base = 1795000000.0  # 2026-11-18 11:06:40 UTC
    times = [base, base + 0.0625, base + 0.0625, base + 0.125, base + 0.9375, base + 1.0, base + 1.5, base + 0.25,
             base + 19.75, base + 20.0, base + 86400 + 0.5, base - 0.5, base - 0.5]
    ids = new_log_ids(len(times))
    params = rows_params([facts(config, created=t) for t in times], ids, 0)
    rows = [tuple(params[i : i + 5]) for i in range(0, len(params), 5)]
    assert [row[0] for row in rows] == ids and len(set(ids)) == len(ids)
    expected = [datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%d %H:%M:%S") + f".{int(t * 1000) % 1000:03d}Z"
                for t in times]
    assert [row[4] for row in rows] == expected
    assert expected[:3] == ["2026-11-18 11:06:40.000Z", "2026-11-18 11:06:40.062Z", "2026-11-18 11:06:40.062Z"]
    assert expected[9:12] == ["2026-11-18 11:07:00.000Z", "2026-11-19 11:06:40.500Z", "2026-11-18 11:06:39.500Z"]


def test_exec_time_is_gos_float_of_the_nanoseconds_as_orjson_writes_it() -> None:
    config = LogsConfig(max_days=5)
    for ns in (0, 7, 99, 100, 1234, 536568, 1_000_000, 12_345_678_901, 10**15 + 7):
        data = request_row(facts(config, exec_ns=ns), "x")[3]
        text = data.split('"execTime":', 1)[1].split(",", 1)[0]
        assert text == orjson.dumps(ns / 1e6).decode()
        assert orjson.loads(data)["execTime"] == ns / 1e6


def test_application_and_request_entries_mixed_in_one_batch_keep_their_order() -> None:
    config = LogsConfig(max_days=5)
    items: list[LogEntry | RequestFacts] = [facts(config, url="/api/a"), entry(1, 1795000000.5),
                                            facts(config, url="/api/b", status=404, error="Missing.")]
    params = rows_params(items, ["i1", "i2", "i3"], 0)
    assert [params[i : i + 3] for i in range(0, 15, 5)] == [
        ["i1", INFO, "GET /api/a"], ["i2", INFO, "entry 1"], ["i3", ERROR, "GET /api/b"]]
    assert orjson.loads(params[13])["error"] == "Missing." and params[9] == "2026-11-18 11:06:40.500Z"


def test_batches_of_any_size_use_ten_insert_statements(aux: Database) -> None:
    """A batch is written by the smallest of ten INSERTs that holds it (256 rows at most
    each), the places it leaves unused NULLs that ``OR IGNORE`` skips, so ten statements
    serve every batch size and stay in apsw's statement cache (a ring of 100 executions:
    a statement not run for 100 others is dropped, as one per size would be, each costing
    a prepare of up to ~2.5 M instructions when its size comes back); and no padding
    row lands."""
    config = LogsConfig(max_days=5)
    writer = LogWriter(aux, lambda: config, interval=60, batch_size=10**6)

    def misses() -> int:
        return int(aux.write_sync(lambda tx: tx.conn.cache_stats())["misses"])

    sizes = [*range(1, 128), 255, 256, 257, 300, 513]
    random.Random(14).shuffle(sizes)
    try:
        for size in SIZES:  # one of each statement
            for i in range(size):
                writer.add(facts(config, url=f"/api/warm/{i}"))
            writer.flush()
        warm = misses()
        for size in sizes:
            for i in range(size):
                writer.add(facts(config, url=f"/api/{size}/{i}"))
            assert writer.flush() == size
        prepared = misses() - warm
    finally:
        writer.close()
    assert SIZES == (8, 16, 32, 64, 96, 128, 160, 192, 224, 256) and CAPACITY == 256
    assert prepared <= len(SIZES), prepared  # one INSERT per size: ~130 here
    rows = aux.read_sync(lambda c: c.execute("SELECT message FROM _logs WHERE message NOT LIKE '%warm%' "
                                             "ORDER BY rowid").fetchall())
    assert rows == [(f"GET /api/{size}/{i}",) for size in sizes for i in range(size)]


def test_data_text_is_orjsons_of_the_whole_entry_whatever_the_values() -> None:
    """A success's ``data`` is written from cached texts around ``execTime`` and ``url``:
    it must be exactly orjson's text of the whole dict, values holding quotes, backslashes,
    control characters, non-ASCII or the very keys the text is cut at included."""
    rng = random.Random(14)
    nasty = ['', 'a', '"execTime":0,', '"url":"",', '\\"url\\":', 'é ü \u2028', '\x00\x1f\t\n', '",', '{}[]:,']
    for n in range(400):
        config = LogsConfig(max_days=5, log_ip=rng.random() < 0.7, log_auth_id=rng.random() < 0.5)
        referer, agent, url_tail = (rng.choice(nasty) + rng.choice(nasty) for _ in range(3))
        headers = [(b"referer", referer.encode("latin-1", "replace"))] if rng.random() < 0.6 else []
        headers.append((b"user-agent", agent.encode("latin-1", "replace")))
        one = facts(config, url="/api/x/" + url_tail.encode("latin-1", "replace").decode("latin-1") + str(n),
                    headers=headers, status=rng.choice([200, 204, 301]), exec_ns=rng.randrange(0, 10**10),
                    auth=rng.choice(["", "users", 'we"ird']), auth_id=rng.choice(["", "u1", "x\\y"]),
                    peer=rng.choice(["127.0.0.1", "::1", "not-an-ip"]))
        method, path, query, status, exec_ns, client, _, _, auth, auth_id = one[:10]
        url = (path + b"?" + query if query else path).decode("latin-1")
        expected: dict[str, Any] = {"auth": auth}
        if config.log_auth_id and auth_id:
            expected["authId"] = auth_id
        expected.update(execTime=exec_ns / 1e6, method=method,
                        referer=headers[0][1].decode("latin-1") if len(headers) == 2 else "")
        if config.log_ip:
            expected["remoteIP"] = normalize_ip(client[0]) or client[0]
        expected.update(status=status, type="request", url=url, userAgent=headers[-1][1].decode("latin-1"))
        if config.log_ip:
            expected["userIP"] = expected["remoteIP"]
        assert request_row(one, "x")[3] == orjson.dumps(expected).decode()
