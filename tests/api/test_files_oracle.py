"""The files API, thumbs and dashboard routes answer what PocketBase 0.40.6 answers.

tests/api/files_scenario.py runs against a live ``satchel serve`` (ranges, HEAD and
conditional requests are on the wire) and every observation is compared with the
one the real binary gave (pocketbase_040/files_api.json, made by
tests/fixtures/capture_files_api.py). Documented differences are listed in DEVIATIONS.
"""

from __future__ import annotations

from pathlib import Path

from tests.api.files_scenario import PW, SU_EMAIL, Runner, scenario_steps
from tests.e2e.serve_support import satchel, serving
from tests.oracle import load, mismatches

# name -> why (docs/compatibility.md)
DEVIATIONS: dict[str, str] = {
    "GET /_/images/logo.svg": "a file of PocketBase's own dashboard; Satchel's dashboard has other files",
    "unknown collection HEAD": "Satchel's HEAD answers carry the Content-Length of the body they omit",
    "oauth2-redirect HEAD": "Satchel's HEAD answers carry the Content-Length of the body they omit",
}


def test_files_api_matches_pocketbase(tmp_path: Path) -> None:
    captured = load("files_api.json")
    steps = scenario_steps()
    assert [s["name"] for s in steps if "login" not in s] == [e["name"] for e in captured], "re-run the capture"
    data_dir = tmp_path / "pb_data"
    assert satchel("superuser", "upsert", SU_EMAIL, PW, f"--dir={data_dir}").returncode == 0
    failures = []
    with serving(data_dir) as server:
        runner = Runner(server.base)
        try:
            entries = iter(captured)
            for step in steps:
                observed = runner.run(step)
                if "login" in step:
                    continue
                entry = next(entries)
                if step["name"] in DEVIATIONS:
                    continue
                problems = mismatches(entry["observed"], observed)
                if problems:
                    failures.append(f"{step['name']}:\n    " + "\n    ".join(problems[:6]))
        finally:
            runner.close()
    assert not failures, f"{len(failures)} of {len(captured)} exchanges differ:\n" + "\n".join(failures)
