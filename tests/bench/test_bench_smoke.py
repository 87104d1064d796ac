"""The bench itself works: quickest mode, Satchel alone, built-in load generator, no timing asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import all_names
from bench.loadgen import Plan, plan_to_lua
from bench.workloads import shape_verdict

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "smoke.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--satchel-only", "--loadgen", "python", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| workload" in proc.stdout
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def test_every_workload_has_a_row(smoke_result: dict[str, Any]) -> None:
    names = [w["name"] for w in smoke_result["workloads"]]
    assert sorted(names) == sorted(all_names())
    assert smoke_result["servers"] == ["satchel"]
    assert smoke_result["load_generator"] == "python"


def test_every_row_is_measured_or_explained(smoke_result: dict[str, Any]) -> None:
    for row in smoke_result["workloads"]:
        verdict = row["verdicts"]["satchel"]
        assert verdict == "ok" or verdict.startswith(("n/a (satchel:", "mismatch:")), row
        if verdict == "ok":
            assert row["value"]["satchel"] is not None, row
        else:
            assert row["value"]["satchel"] is None, row


def test_shapes_are_recorded(smoke_result: dict[str, Any]) -> None:
    rows = {w["name"]: w for w in smoke_result["workloads"]}
    for name in ("startup", "idle-rss", "rss-after-load", "superuser-auth-refresh"):
        assert rows[name]["verdicts"]["satchel"] == "ok"
        assert rows[name]["value"]["satchel"] > 0
    for name in ("view", "list-count", "create", "file", "realtime-fanout"):
        assert isinstance(rows[name]["shapes"]["satchel"]["status"], int)
    expected = rows["list-count"]["expected"]
    assert expected["status"] == 200 and expected["items"] > 0 and expected["totalItems"] >= expected["items"]


def test_shape_verdicts() -> None:
    expected = {"status": 200, "items": 3}
    assert shape_verdict(expected, {"pocketbase": {"status": 200, "items": 3}, "satchel": {"status": 404}}) == {
        "pocketbase": "ok", "satchel": "n/a (satchel: 404)"}
    verdict = shape_verdict(expected, {"pocketbase": {"status": 200, "items": 3}, "satchel": {"status": 200,
                                                                                              "items": 2}})
    assert verdict["satchel"].startswith("mismatch: items=2")
    assert shape_verdict(None, {"pocketbase": {"status": 200, "totalItems": 9},
                                "satchel": {"status": 200, "totalItems": 8}})["satchel"].startswith("mismatch")


def test_plan_to_lua_escapes() -> None:
    lua = plan_to_lua(Plan("POST", ('/a?f="x"',), {"Authorization": "t"}, '{"m": "a\\nb"}', exhaust=True))
    assert '"/a?f=\\"x\\""' in lua and "exhaust = true" in lua and '["Authorization"] = "t"' in lua
