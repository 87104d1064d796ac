"""``POST /api/sql`` against PocketBase 0.40.6's captured answers, plus limits and timeouts."""

from __future__ import annotations

from starlette.testclient import TestClient

from satchel.app import App
from tests.api.ops_replay import entries, replay, tokens_for

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
