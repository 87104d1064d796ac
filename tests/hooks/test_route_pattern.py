"""Route patterns: parsing, matching and Go's ranking of overlapping patterns."""

from __future__ import annotations

import pytest

from satchel.tools.route_pattern import Relation, parse_pattern, relation


@pytest.mark.parametrize(
    ("pattern", "method", "path", "params"),
    [
        ("/api/hello/{name}", "GET", "/api/hello/bob", {"name": "bob"}),
        ("/api/hello/{name}", "GET", "/api/hello/", None),
        ("/api/hello/{name}", "GET", "/api/hello/bob/x", None),
        ("/api/hello", "GET", "/api/hello", {}),
        ("/api/hello", "GET", "/api/hello/", None),
        ("/static/{path...}", "GET", "/static/a/b.txt", {"path": "a/b.txt"}),
        ("/static/{path...}", "GET", "/static/", {"path": ""}),
        ("/tree/", "GET", "/tree/x/y", {}),
        ("/tree/{$}", "GET", "/tree/", {}),
        ("/tree/{$}", "GET", "/tree/x", None),
        ("/{a}/{b}", "GET", "/x/y", {"a": "x", "b": "y"}),
        ("GET /only-get", "GET", "/only-get", {}),
        ("GET /only-get", "HEAD", "/only-get", {}),
        ("GET /only-get", "POST", "/only-get", None),
        ("/any-method", "DELETE", "/any-method", {}),
    ],
)
def test_match(pattern: str, method: str, path: str, params: dict[str, str] | None) -> None:
    assert parse_pattern(pattern).match(method, path) == params


@pytest.mark.parametrize(
    "bad",
    ["api/x", "/a/{b...}/c", "/a/x{b}", "/a/{b}/{b}", "/a/{1x}", "/a/{$}/b", "G3T /x"],
)
def test_bad_patterns(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_pattern(bad)


def test_method_argument_and_text() -> None:
    p = parse_pattern("/api/x/{id}", "post")
    assert (p.method, p.text) == ("POST", "POST /api/x/{id}")
    with pytest.raises(ValueError):
        parse_pattern("GET /x", "POST")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("GET /api/health", "GET /api/health", Relation.EQUAL),
        ("GET /api/x/{a}", "GET /api/x/{b}", Relation.EQUAL),  # Go refuses the second: same requests
        ("GET /api/collections/posts/records", "GET /api/collections/{collection}/records", Relation.MORE),
        ("GET /api/{x}", "GET /api/health", Relation.LESS),
        ("GET /a/{x}", "GET /{y}/b", Relation.OVERLAP),
        ("GET /hello", "GET /{path...}", Relation.MORE),
        ("GET /a", "POST /a", Relation.DISJOINT),
        ("GET /a", "/a", Relation.MORE),
        ("HEAD /a", "GET /a", Relation.MORE),
        ("GET /a/b", "GET /a/c", Relation.DISJOINT),
        ("GET /a/b", "GET /a/b/c", Relation.DISJOINT),
        ("GET /a/", "GET /a/{x...}", Relation.EQUAL),
        ("GET /a/{$}", "GET /a/", Relation.MORE),
        ("POST /a/{x}", "/{y}/b", Relation.OVERLAP),
    ],
)
def test_relation(a: str, b: str, expected: Relation) -> None:
    assert relation(parse_pattern(a), parse_pattern(b)) is expected
    mirrored = {Relation.MORE: Relation.LESS, Relation.LESS: Relation.MORE}.get(expected, expected)
    assert relation(parse_pattern(b), parse_pattern(a)) is mirrored
