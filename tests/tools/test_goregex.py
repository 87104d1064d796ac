"""tools/goregex: Go's regexp on RE2, checked against what PocketBase 0.40.6 answered
(tests/fixtures/pocketbase_040/reliability_inputs.json) and timed on hostile patterns."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satchel.core.fields.text import TextField
from satchel.tools import goregex

CAPTURE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "pocketbase_040" / "reliability_inputs.json").read_text())
REDOS = r"^([a-zA-Z0-9]+\s?)*$"


def _sentence(text: str | None) -> str | None:
    """Go's error text as PocketBase shows it (capitalised, with a full stop)."""
    return None if text is None else text[0].upper() + text[1:] + "."


@pytest.mark.parametrize("case", CAPTURE["regex_compile"], ids=lambda c: repr(c["pattern"][:30]))
def test_compile_errors_as_go(case: dict[str, Any]) -> None:
    expected = case["error"]["message"] if case["error"] else None
    assert _sentence(goregex.error(case["pattern"])) == expected


@pytest.mark.parametrize("case", CAPTURE["regex_match"], ids=lambda c: f"{c['pattern']!r}~{c['value'][:12]!r}")
def test_matches_as_go(case: dict[str, Any]) -> None:
    assert goregex.search(case["pattern"], case["value"]) is case["matches"]


def test_text_field_reports_go_error_on_save() -> None:
    err = TextField(id="text1", name="t", pattern="a{1001}").validate_settings()["pattern"]
    assert err.code == "validation_invalid_regex"
    assert err.message == "Error parsing regexp: invalid repeat count: `{1001}`."
    assert "pattern" not in TextField(id="text1", name="t", pattern=r"(?U)\pL{1000}\z").validate_settings()


def test_compile_raises_and_caches() -> None:
    with pytest.raises(goregex.GoRegexError, match="missing closing"):
        goregex.compile("(abc")
    assert goregex.compile("^a+$") is goregex.compile("^a+$")


def test_redos_pattern_is_linear() -> None:
    """Issue 19 defect 6: 26 characters took 6.4 s with Python's re; RE2 is linear."""
    for n in (26, 30, 5000, 200_000):
        started = time.perf_counter()
        assert not goregex.search(REDOS, "a" * n + "!")
        assert time.perf_counter() - started < 0.5, n
    assert goregex.search(REDOS, "abc def ghi")


def test_long_match_releases_the_gil() -> None:
    """A slow (but linear) match on a worker thread leaves the interpreter free."""
    pattern = r"(a|aa|aaa|b|bb){0,1000}x"
    goregex.compile(pattern)
    done = threading.Event()

    def work() -> None:
        goregex.search(pattern, "ab" * 6000)
        done.set()

    worker = threading.Thread(target=work)
    started = time.perf_counter()
    worker.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    elapsed = time.perf_counter() - started
    assert elapsed < 5
    if elapsed > 0.05:  # the main thread kept running while RE2 matched
        assert ticks >= elapsed * 200


def test_lone_surrogates_do_not_raise() -> None:
    assert goregex.search("^.$", "\ud800")
    assert goregex.error("\udfff+") is None


def test_size_budget_retry_accepts_what_go_accepts() -> None:
    assert goregex.error(r"\pL{1000}") is None
    assert goregex.search(r"^\pL{1000}$", "é" * 1000)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=200))
def test_any_pattern_and_value_never_raise(pattern: str, value: str) -> None:
    """Whatever a user saves: an error text or a boolean, never an exception."""
    message = goregex.error(pattern)
    assert message is None or message.startswith("error parsing regexp: ")
    assert goregex.search(pattern, value) in (True, False)
    if message is not None:
        assert not goregex.search(pattern, value)


def test_patterns_answered_by_python_re_agree_with_re2() -> None:
    """The default id pattern is matched with Python's ``re`` (a faster binding): RE2 must
    give the same answer for ids, near misses, newlines, non-ASCII and lone surrogates."""
    values = ["abc123", "a", "", "ABC", "abc\n", "\nabc", "ab c", "ab-c", "é", "abc\u00e9", "x\ud800",
              "a" * 300, "0123456789abcdefghijklmnopqrstuvwxyz", "abc\x00", "abc$", "ﬀ"]
    for pattern, same in goregex._SAME_IN_PYTHON.items():
        compiled = goregex.compile(pattern)
        for value in values:
            assert (same(value) is not None) == (compiled.search(goregex._clean(value)) is not None), (pattern, value)
