"""Scanner/parser tests for the filter language (spec 04 §1-2, §9)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from satchel.tools.filter import (
    ERR_EMPTY,
    ERR_INCOMPLETE,
    Comparison,
    FilterSyntaxError,
    Function,
    Group,
    Identifier,
    Join,
    Number,
    Op,
    Operand,
    Term,
    Text,
    bind_placeholders,
    parse,
    parse_with_params,
    render,
    split_modifier,
)


def cmp(left: Operand, op: str, right: Operand) -> Comparison:
    return Comparison(left, Op(op), right)


def one(term: Term) -> Group:
    return Group((term,))


Id, T, N = Identifier, Text, Number


# -- valid input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "abc"', one(cmp(Id("title"), "=", T("abc")))),
        ("title = 'it\\'s'", one(cmp(Id("title"), "=", T("it's")))),
        ("title = 'a' // comment", one(cmp(Id("title"), "=", T("a")))),
        ("views > -1.5", one(cmp(Id("views"), ">", N("-1.5")))),
        ("published = TRUE", one(cmp(Id("published"), "=", Id("TRUE")))),
        ('"abc" = title', one(cmp(T("abc"), "=", Id("title")))),
        ("1 = 1", one(cmp(N("1"), "=", N("1")))),
        ("a?!~b", one(cmp(Id("a"), "?!~", Id("b")))),
        ("tags:length > 1", one(cmp(Id("tags:length"), ">", N("1")))),
        ("@collection.users:u.email ?= 'x'", one(cmp(Id("@collection.users:u.email"), "?=", T("x")))),
        ("#hash = _x", one(cmp(Id("#hash"), "=", Id("_x")))),
        ("a=1\n&&\tb=2", Group((cmp(Id("a"), "=", N("1")), cmp(Id("b"), "=", N("2"))), (Join.AND,))),
        (
            '(title = "a" || title = "b") && views > 1',
            Group(
                (
                    Group((cmp(Id("title"), "=", T("a")), cmp(Id("title"), "=", T("b"))), (Join.OR,)),
                    cmp(Id("views"), ">", N("1")),
                ),
                (Join.AND,),
            ),
        ),
        (
            "geoDistance(loc.lon, loc.lat, 23.3, 42.7) < 25",
            one(
                cmp(
                    Function("geoDistance", (Id("loc.lon"), Id("loc.lat"), N("23.3"), N("42.7"))),
                    "<",
                    N("25"),
                )
            ),
        ),
        (
            "strftime('%Y', created // the column\n) = \"2026\"",
            one(cmp(Function("strftime", (T("%Y"), Id("created"))), "=", T("2026"))),
        ),
        ("a = 'x) && (y'", one(cmp(Id("a"), "=", T("x) && (y")))),
    ],
)
def test_parse_valid(text: str, expected: Group) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (r'"a\\b"', "a\\b"),
        (r'"a\nb"', "a\nb"),
        (r'"a\rb\tc"', "a\rb\tc"),
        (r"'\"'", '"'),
        (r'"\'"', "'"),
        (r'"\q"', "\\q"),
        ('"raw\nnewline\tand tab"', "raw\nnewline\tand tab"),
        ('"a\rb"', "a\rb"),  # a raw CR is fine inside quotes
        (r'"50\%"', "50\\%"),
    ],
)
def test_text_escapes(raw: str, value: str) -> None:
    assert parse(f"a = {raw}") == one(cmp(Id("a"), "=", T(value)))


def test_every_operator_parses() -> None:
    for op in Op:
        assert parse(f"a {op.value} 1") == one(cmp(Id("a"), op.value, N("1")))
        assert op.is_any == op.value.startswith("?")
        assert op.base.value == op.value.lstrip("?")


def test_sql_precedence_is_preserved_as_flat_sequence() -> None:
    parsed = parse('title = "a" || title = "b" && views > 1')
    assert parsed.joins == (Join.OR, Join.AND)
    assert len(parsed.terms) == 3


def test_deep_parentheses() -> None:
    depth = 300
    text = "(" * depth + "a = 1" + ")" * depth
    node: Term = parse(text)
    for _ in range(depth + 1):  # +1: the implicit top-level group
        assert isinstance(node, Group)
        node = node.terms[0]
    assert node == cmp(Id("a"), "=", N("1"))


def test_function_nesting_limit() -> None:
    assert parse("f(g(h(1))) = 1")
    with pytest.raises(FilterSyntaxError, match="max function nesting"):
        parse("f(g(h(k(1)))) = 1")


def test_parse_is_cached() -> None:
    assert parse("cached = 1") is parse("cached = 1")


# -- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ERR_EMPTY),
        ("   \n\t ", ERR_EMPTY),
        ("// only a comment", ERR_EMPTY),
        ("()", ERR_EMPTY),
        ("a = 1 && ()", ERR_EMPTY),
        ("a", ERR_INCOMPLETE),
        ("a =", ERR_INCOMPLETE),
        ("a = 1 &&", ERR_INCOMPLETE),
        ("&& a = 1", 'expected left operand (identifier, function, text or number), got "&&" (join)'),  # captured from 0.40.6
        ("(a = 1 ||)", ERR_INCOMPLETE),
        ("a = 1 b = 2", "expected && or ||"),
        ("a b", "expected a sign operator"),
        ("= 1", "expected left operand"),
        ("a = =", "expected right operand"),
        ("a == 1", 'invalid sign operator "=="'),
        ("a <> 1", 'invalid sign operator "<>"'),
        ("a ?? 1", 'invalid sign operator "??"'),
        ("a = 1 & b = 1", 'invalid join operator "&"'),
        ("a = 1 ||| b = 1", 'invalid join operator "|||"'),
        ("a = 1\r\n&& b = 2", "unexpected character"),
        ("a = .5", "unexpected character"),
        ("a = 5.", 'invalid number "5."'),
        ("a = 1.2.3", "invalid number"),
        ("a = -", "invalid number"),
        ("a = -.5", "invalid number"),
        ("a. = 1", "invalid identifier"),
        ("a: = 1", "invalid identifier"),
        ("@ = 1", "invalid identifier"),
        ("_ = 1", "invalid identifier"),
        ("# = 1", "invalid identifier"),
        ('a = "abc', "invalid quoted text"),
        ('a = "abc\\"', "invalid quoted text"),
        ("(a = 1", "missing 1 closing bracket(s)"),
        ("((a = 1)", "missing 1 closing bracket(s)"),
        ("a = 1)", "unexpected closing bracket"),
        ("a = 1 / 2", "unexpected character"),
        ("f(1,) = 1", "f function argument"),
        ("f(1 2) = 1", "expected comma"),
        ("a = 1, b = 2", "expected && or ||"),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    assert message in info.value.message


def test_names_are_case_sensitive_in_ast() -> None:
    assert parse("TITLE = 1") != parse("title = 1")


def test_split_modifier() -> None:
    assert split_modifier("tags:length") == ("tags", "length")
    assert split_modifier("@request.body.title:isset") == ("@request.body.title", "isset")
    assert split_modifier("@collection.users:u.email") == ("@collection.users:u.email", None)
    assert split_modifier("@collection.users:u.tags:each") == ("@collection.users:u.tags", "each")
    assert split_modifier("title") == ("title", None)


# -- placeholders ----------------------------------------------------------------


def test_bind_placeholders() -> None:
    text = "a = {:a} && b = {:b} && c = {:c} && d = {:d} && e = {:e} && f = {:missing}"
    out = bind_placeholders(text, {"a": 'it"s {:b}', "b": 1.5, "c": None, "d": True, "e": [1, "x"]})
    assert (
        out == 'a = "it\\"s {:b}" && b = 1.5 && c = null && d = true && e = "[1,\\"x\\"]" && f = {:missing}'
    )


def test_parse_with_params_round_trips_values() -> None:
    weird = "quote ' \" back\\slash \n newline {:other}"
    parsed = parse_with_params("title = {:t} && views > {:v}", {"t": weird, "v": 3, "other": "x"})
    assert parsed == Group((cmp(Id("title"), "=", T(weird)), cmp(Id("views"), ">", N("3"))), (Join.AND,))


def test_unbound_placeholder_is_a_syntax_error() -> None:
    with pytest.raises(FilterSyntaxError):
        parse_with_params("title = {:t}", {})


# -- render round trip (property) -------------------------------------------------

_first = st.sampled_from("abcXYZ_@#")
_rest = st.text(alphabet="abcxyz019_.:", max_size=8)


@st.composite
def identifiers(draw: st.DrawFn) -> Identifier:
    name = draw(_first) + draw(_rest)
    name = name.rstrip(".:")
    if name in ("@", "_", "#", ""):
        name += "x"
    return Identifier(name)


numbers = st.from_regex(r"\A-?[0-9]{1,4}(\.[0-9]{1,3})?\Z").map(Number)
texts = st.text(max_size=12).map(Text)


def operands(depth: int = 0) -> st.SearchStrategy[Operand]:
    base: st.SearchStrategy[Operand] = st.one_of(identifiers(), numbers, texts)
    if depth >= 3:
        return base
    funcs = st.builds(
        Function,
        st.sampled_from(["geoDistance", "strftime", "f"]),
        st.lists(operands(depth + 1), max_size=3).map(tuple),
    )
    return st.one_of(base, funcs)


comparisons = st.builds(Comparison, operands(), st.sampled_from(list(Op)), operands())


def groups() -> st.SearchStrategy[Group]:
    def extend(children: st.SearchStrategy[Term]) -> st.SearchStrategy[Term]:
        return st.lists(children, min_size=1, max_size=4).flatmap(
            lambda terms: st.lists(
                st.sampled_from(list(Join)), min_size=len(terms) - 1, max_size=len(terms) - 1
            ).map(lambda joins: Group(tuple(terms), tuple(joins)))
        )

    tree = st.recursive(comparisons, extend, max_leaves=12)
    return tree.map(lambda t: t if isinstance(t, Group) else Group((t,)))


@settings(max_examples=300, deadline=None)
@given(groups())
def test_render_parse_round_trip(expr: Group) -> None:
    text = render(expr)
    assert parse(text) == expr
    assert render(parse(text)) == text
