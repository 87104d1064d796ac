"""``POST /api/sql`` against PocketBase 0.40.6's captured answers, plus limits and timeouts."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from satchel.api import build_asgi
from satchel.app import App
from tests.api.ops_replay import entries, replay, tokens_for

# the console runs the database's own SQL: on PostgreSQL it is tested in test_pg_api
pytestmark = pytest.mark.sqlite_only("replays SQLite statements and SQLite's error texts")

SQL_STEPS = entries(lambda name: name.startswith("sql "))


def test_sql_as_pocketbase(client: TestClient, su_token: str, user_token: str) -> None:
    assert len(SQL_STEPS) >= 15
    tokens = tokens_for(client, su_token, user_token)
    problems = []
    for step in SQL_STEPS:
        if step["name"] == "sql create":
            # sqlite3_changes() after DDL still holds the previous write's count (1 there)
            step = {**step, "response": {**step["response"], "affectedRows": "<volatile>"}}
        problems += replay(client, step, tokens)
    assert problems == []


def test_rows_capped_and_last_statement_wins(su: TestClient) -> None:
    r = su.post("/api/sql", json={"query": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                                           "WHERE i < 1500) SELECT i FROM n"})
    assert r.status_code == 200, r.text
    assert len(r.json()["rows"]) == 1000 and r.json()["rows"][0] == ["1"]
    r = su.post("/api/sql", json={"query": "select 1 as a; select 2 as b"})
    assert r.json()["columns"] == [{"name": "b", "type": "", "nullable": True}] and r.json()["rows"] == [["2"]]


def test_constraint_error_and_write_rolled_back(app: App, su: TestClient) -> None:
    assert su.post("/api/sql", json={"query": "create table u (a text unique)"}).status_code == 200
    assert su.post("/api/sql", json={"query": "insert into u values ('x')"}).json()["affectedRows"] == 1
    r = su.post("/api/sql", json={"query": "insert into u values ('y'), ('x')"})
    assert r.status_code == 400
    assert r.json()["message"] == (
        "Failed to execute query. Raw error:\nconstraint failed: UNIQUE constraint failed: u.a (2067)."
    )
    rows = su.post("/api/sql", json={"query": "select a from u"}).json()["rows"]
    assert rows == [["x"]]  # the failed statement left nothing


T1_FIELDS = (
    '[{"autogeneratePattern":"[a-z0-9]{15}","hidden":false,"id":"text3208210256","max":15,"min":15,"name":"id",'
    '"pattern":"^[a-z0-9]+$","presentable":false,"primaryKey":true,"required":true,"system":true,"type":"text"},'
    '{"hidden":false,"id":"text1","name":"title","type":"text","system":false,"required":false,"presentable":false,'
    '"max":0,"min":0,"pattern":"","autogeneratePattern":"","primaryKey":false}]'
)
T1_ROW = (
    "INSERT INTO _collections (id,system,type,name,fields,indexes,listRule,viewRule,createRule,updateRule,"
    f"deleteRule,options,created,updated) VALUES ('pbc_t1000000001',0,'base','t1','{T1_FIELDS}','[]','','',"
    "NULL,NULL,NULL,'{}','2026-12-05 00:00:00.000Z','2026-12-05 00:00:00.000Z')"
)


def test_collections_written_by_sql_seen_after_a_restart_as_pocketbase(app: App, su: TestClient) -> None:
    """Observed on 0.40.6: rows written to ``_collections`` through the console are not seen
    (list, view, rule changes, deletion) until the next start; plain tables it creates are
    usable at once, e.g. by a new view collection."""
    for query in ("CREATE TABLE t1 (id TEXT PRIMARY KEY NOT NULL, title TEXT DEFAULT '' NOT NULL)",
                  "INSERT INTO t1 (id, title) VALUES ('abcdefghijklmno', 'hello')", T1_ROW):
        assert su.post("/api/sql", json={"query": query}).status_code == 200
    r = su.get("/api/collections/t1/records")
    assert (r.status_code, r.json()["message"]) == (404, "Missing collection context.")
    assert su.get("/api/collections/t1").status_code == 404
    r = su.post("/api/collections", json={"name": "v2", "type": "view", "listRule": "",
                                          "viewQuery": "SELECT id, title FROM t1"})
    assert r.status_code == 200, r.text
    assert su.get("/api/collections/v2/records").json()["items"][0]["title"] == "hello"

    with App(app.config) as restarted, TestClient(build_asgi(restarted)) as guest:
        assert guest.get("/api/collections/t1/records").json()["items"][0]["title"] == "hello"
        assert su.post("/api/sql", json={"query": "UPDATE _collections SET listRule = NULL WHERE name = 't1'"}
                       ).json()["affectedRows"] == 1
        assert guest.get("/api/collections/t1/records").status_code == 200  # the old rule still applies
