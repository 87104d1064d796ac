"""``satchel serve``'s click-free fast path (:func:`satchel.cli.plain_serve_kwargs`) must read
its flags exactly as the click command does, and hand anything it is unsure of to click."""

from __future__ import annotations

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

from satchel.cli import make_config, plain_serve_kwargs
from satchel.commands import serve


def click_kwargs(args: list[str]) -> dict[str, object]:
    ctx = serve.make_context("serve", list(args))
    params = dict(ctx.params)
    params.pop("domains")
    return params


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--http=127.0.0.1:9001"],
        ["--http", "0.0.0.0:80", "--dir", "/tmp/data"],
        ["example.com", "--origins=https://a.test,https://b.test"],
        ["--dev", "--queryTimeout=5", "--no-indexFallback"],
        ["--indexFallback", "--publicDir", "web", "--encryptionEnv=KEY"],
        ["--dir=a", "--dir=b"],  # the last one wins, as in click
        ["--workers=2"],
        ["--workers", "3", "--dev"],
    ],
)
def test_fast_path_matches_click(args: list[str]) -> None:
    fast = plain_serve_kwargs(["serve", *args])
    assert fast is not None
    assert make_config(**fast) == make_config(**click_kwargs(args))


@pytest.mark.parametrize(
    "args",
    [
        ["superuser", "upsert", "a@b.c", "pass"],
        ["serve", "--help"],
        ["serve", "-h"],
        ["serve", "--unknown=1"],
        ["serve", "--queryTimeout=soon"],
        ["serve", "--http"],  # a flag without its value
        ["serve", "--dir", "--dev"],
        ["serve", "--dev=yes"],
        ["serve", "--workers=0"],
        ["serve", "--workers=many"],
        [],
    ],
)
def test_anything_else_goes_to_click(args: list[str]) -> None:
    assert plain_serve_kwargs(args) is None


FLAG_VALUES = st.sampled_from(["--http", "--origins", "--dir", "--encryptionEnv", "--publicDir"])
VALUE = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8).filter(
    lambda v: not v.startswith("-")
)
ARG = st.one_of(
    st.tuples(FLAG_VALUES, VALUE).map(lambda fv: [f"{fv[0]}={fv[1]}"]),
    st.tuples(FLAG_VALUES, VALUE).map(lambda fv: [fv[0], fv[1]]),
    st.sampled_from([["--dev"], ["--indexFallback"], ["--no-indexFallback"], ["--queryTimeout=7"], ["--workers=2"], ["site.test"]]),
)


@given(st.lists(ARG, max_size=6))
def test_any_flag_mix_matches_click(parts: list[list[str]]) -> None:
    args = [a for part in parts for a in part]
    fast = plain_serve_kwargs(["serve", *args])
    assert fast is not None
    try:
        expected = click_kwargs(args)
    except click.UsageError:  # pragma: no cover - would be a mismatch: the fast path accepted it
        pytest.fail(f"click refuses {args}")
    assert make_config(**fast) == make_config(**expected)
