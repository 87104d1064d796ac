"""Hostile inputs shared by the PocketBase capture (tests/fixtures/capture_reliability_inputs.py)
and the replay (tests/faults/test_reliability_inputs.py)."""

from __future__ import annotations

import json
from typing import Any

REDOS_PATTERN = r"^([a-zA-Z0-9]+\s?)*$"  # issue 19, defect 6

# Text-field patterns saved on a collection: Go's regexp.Compile accepts or rejects each.
PATTERNS: list[str] = [
    REDOS_PATTERN, "(abc", "abc)", "[abc", "a{1001}", "a{2,1}", "a{1000}", "a(?=b)", "a(?!b)", "(?<=a)b",
    "(?<!a)b", "(?>a)", "(?#c)", r"\1", r"(a)\1", "(?U)a+", r"\C", r"[\C]", r"\z", r"\Z", r"\A", r"\G",
    "(?P<n>a)", "(?<n>a)", "(?P<n>a)(?P<n>b)", "(?P<1n>a)", "(?P<>a)", "(?P=n)", "a**", "a*+", "a++",
    "a??", "*a", "+", "?", "x{2}{3}", "[z-a]", r"\pX", r"\p{Greek}+", r"\PL", r"\p{Foo}", "[[:alpha:]]",
    "[[:foo:]]", r"\Qa.b\E", r"\Qa.b", "\\", r"a\\", r"\x{110000}", r"\x{10FFFF}", r"\8", r"\07",
    r"\e", r"\k<n>", r"\R", r"\g1", "(?i)abc", "(?ims-U:a)", "(?x)a b", "(?J)a", "(?", "(?:", "()",
    "((((a{100}){100}){100}){100})", "(a{500}){3}", "[a-z]{1000}", r"\pL{1000}", "(" * 1001 + ")" * 1001,
    "[]a]", "[^]a]", "[a-]", "[\\d-z]", r"^\d{3}-\d{4}$", "a|*", "|", "a||b", "日本+", "[☃-★]",
]

# (pattern, values): does PocketBase accept a record whose text value is each value?
MATCH_CASES: list[tuple[str, list[str]]] = [
    (REDOS_PATTERN, ["abc def", "a" * 30 + "!", "x" * 4000 + "!"]),
    ("^a$", ["a", "a\n", "\na"]),
    ("a$", ["ba", "a\n"]),
    ("(?m)^b$", ["a\nb\nc", "ab"]),
    ("^.$", ["é", "\n", "\r", "😀"]),
    (r"^\w+$", ["abc_9", "é"]),
    (r"^\s$", ["\t", "\v", "\u00a0", "\f"]),
    (r"^\d$", ["7", "٣"]),
    (r"\bfoo\b", ["a foo b", "éfooé", "xfoo"]),
    ("(?i)k", ["K", "\u212a"]),
    ("(?i)straße", ["STRASSE", "STRAßE"]),
    (r"^\pL+$", ["日本", "ab1"]),
    ("^[[:alpha:]]+$", ["abc", "é"]),
    ("^[^a]$", ["\n", "b"]),
    (r"\Qa.b\E", ["a.b", "axb"]),
    (r"^\x{1F600}$", ["😀"]),
    (r"a\z", ["a", "a\n"]),
    (r"\Aa", ["a", "ba"]),
    ("(?s)^a.b$", ["a\nb"]),
    ("^(?U)a+$", ["aaa"]),
    ("(?<n>x)y", ["xy", "yx"]),
    ("^[a-z]{3}$", ["abc", "abcd"]),
]

BATCH_BODY_CASES: list[tuple[str, str, str]] = [
    ("multipart without boundary", "multipart/form-data", "xx"),
    ("multipart, malformed body", "multipart/form-data; boundary=abc", "garbage"),
    ("multipart, truncated part", "multipart/form-data; boundary=abc",
     '--abc\r\nContent-Disposition: form-data; name="@jsonPayload"\r\n\r\n{}'),
    ("multipart, empty boundary", "multipart/form-data; boundary=", "--\r\n\r\n"),
    ("multipart, no parts", "multipart/form-data; boundary=abc", "--abc--\r\n"),
]

_HUGE = "10000000000000000000"
# one key per field object: Go prints the object from a map, in random key order
IMPORT_FIELDS: list[Any] = [[{"type": "nope"}], [{"name": "a"}], "x", 5, ["x"], [True], [None], [{"type": 5}],
                            [{"type": None}]]


def _v040_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, ctype, body in BATCH_BODY_CASES:
        out.append({"name": f"batch: {name}", "method": "POST", "path": "/api/batch",
                    "headers": {"Content-Type": ctype}, "raw_body": body})
    for path in ("/%00", "/index.html%00", "/a%00b/c", "/" + "a" * 300, "/" + "/".join(["b" * 100] * 50),
                 "/" + "c" * 5000, "/nope", "/%ff%fe"):
        out.append({"name": f"index fallback {path[:40]}", "method": "GET", "path": path})
    for who in ("guest", "superuser"):
        for path in (f"/api/collections/users/records?page={_HUGE}",
                     "/api/collections/users/records?page=9223372036854775807",
                     f"/api/collections/users/records?perPage={_HUGE}",
                     "/api/collections/users/records?page=abc",
                     "/api/collections/users/records?page=-3",
                     f"/api/collections?page={_HUGE}",
                     f"/api/logs?page={_HUGE}",
                     f"/api/collections/_superusers/records?page={_HUGE}"):
            out.append({"name": f"huge page as {who}", "method": "GET", "path": path, "as": who})
    for fields in IMPORT_FIELDS:
        out.append({"name": "import with fields Go can't decode", "method": "PUT",
                    "path": "/api/collections/import", "as": "superuser",
                    "headers": {"Content-Type": "application/json"},
                    "raw_body": json.dumps({"collections": [
                        {"name": "imp_ok", "type": "base", "fields": [{"name": "a", "type": "text"}]},
                        {"name": "imp_bad", "type": "base", "fields": fields}]})})
    # nothing of a refused import was written
    out.append({"name": "first collection of a refused import", "method": "GET",
                "path": "/api/collections/imp_ok", "as": "superuser"})
    return out


def _legacy_cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for method in ("PUT", "PATCH", "DELETE"):
        for who in ("guest", "superuser"):
            out.append({"name": f"{method} /api/admins as {who}", "method": method, "path": "/api/admins",
                        "as": who})
    for method in ("PUT", "DELETE"):
        for tail in ("auth-with-password", "auth-refresh", "request-password-reset", "confirm-password-reset"):
            out.append({"name": f"{method} {tail}", "method": method, "path": f"/api/admins/{tail}"})
    out.append({"name": "PUT /api/admins/:id", "method": "PUT", "path": "/api/admins/xyz", "as": "superuser"})
    out.append({"name": "POST /api/admins/:id", "method": "POST", "path": "/api/admins/xyz", "as": "superuser"})
    for query in (f"page={_HUGE}", f"perPage={_HUGE}", "page=abc", "page=-5"):
        out.append({"name": f"admins list {query}", "method": "GET", "path": f"/api/admins?{query}",
                    "as": "superuser"})
    return out


V040_EXCHANGES = _v040_cases()
LEGACY_EXCHANGES = _legacy_cases()
