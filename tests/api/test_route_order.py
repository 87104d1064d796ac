"""The built-in route table is tried in order (Starlette) with the busiest routes first
(docs/performance.md); that is only safe while no two routes answer the same request.

Two paths of ``{name}`` parameters (one segment each) and literal segments can match
one request exactly when they have as many segments and every position is equal or a
parameter on either side; the methods must share one too."""

from __future__ import annotations

import itertools

from satchel.api.router import routes

# pairs whose order matters: the first must stay before the second
ORDERED = {("/api/logs/stats", "/api/logs/{id}")}


def _overlap(a: str, b: str) -> bool:
    sa, sb = a.strip("/").split("/"), b.strip("/").split("/")
    return len(sa) == len(sb) and all(x == y or x.startswith("{") or y.startswith("{") for x, y in zip(sa, sb, strict=True))


def test_no_two_routes_answer_the_same_request() -> None:
    table = routes()
    catch_alls = [i for i, r in enumerate(table) if "{path:path}" in r.path]
    assert catch_alls == list(range(len(table) - len(catch_alls), len(table)))  # tried last
    plain = [r for r in table if "{path:path}" not in r.path]
    assert all(":" not in r.path for r in plain)  # one-segment parameters only, as _overlap assumes
    overlaps = {
        (a.path, b.path)
        for a, b in itertools.combinations(plain, 2)
        if set(a.methods or ()) & set(b.methods or ()) and _overlap(a.path, b.path)
    }
    assert overlaps == ORDERED  # itertools.combinations keeps the table's order in each pair


def test_the_overlap_check_sees_overlaps() -> None:
    assert _overlap("/api/logs/stats", "/api/logs/{id}")
    assert _overlap("/api/collections/{c}/records", "/api/collections/meta/{x}")
    assert not _overlap("/api/collections/{c}/records", "/api/collections/{c}/records/{id}")
    assert not _overlap("/api/collections/meta/scaffolds", "/api/collections/{c}/records")


def test_busiest_routes_are_tried_first() -> None:
    # each route tried before the match costs a regex and a few calls: the file route in
    # 66th place was most of what a file request cost above a view (docs/performance.md)
    paths = [r.path for r in routes()]
    for busy in ("/api/collections/{collection}/records", "/api/collections/{collection}/records/{id}",
                 "/api/files/{collection}/{recordId}/{filename}"):
        assert paths.index(busy) < 12, busy
