"""Records-list query parameter parsing (spec 03 §2.1, §3, §4)."""

from __future__ import annotations

import pytest

from satchel.errors import BadRequestError
from satchel.tools.search import (
    Excerpt,
    FieldPick,
    ListParams,
    ListParamsError,
    SortItem,
    parse_expand,
    parse_fields,
    parse_list_params,
    parse_sort,
)


def test_defaults() -> None:
    params = parse_list_params({})
    assert params == ListParams()
    assert (params.page, params.per_page, params.skip_total, params.offset) == (1, 30, False, 0)


@pytest.mark.parametrize(
    ("query", "page", "per_page"),
    [
        ({"page": "3", "perPage": "2"}, 3, 2),
        ({"page": "0", "perPage": "0"}, 1, 30),
        ({"page": "-5", "perPage": "-1"}, 1, 30),
        ({"perPage": "1001"}, 1, 1000),
        ({"perPage": "+7"}, 1, 7),
        ({"page": ["2", "9"]}, 2, 30),
    ],
)
def test_paging(query: dict[str, str], page: int, per_page: int) -> None:
    params = parse_list_params(query)
    assert (params.page, params.per_page) == (page, per_page)
    assert params.offset == per_page * (page - 1)


@pytest.mark.parametrize("query", [{"page": "abc"}, {"page": "1.5"}, {"perPage": " 2"}, {"perPage": "²"}])
def test_bad_integers(query: dict[str, str]) -> None:
    with pytest.raises(ListParamsError) as info:
        parse_list_params(query)
    assert isinstance(info.value, BadRequestError)
    assert info.value.status == 400
    assert info.value.message == "Something went wrong while processing your request."
    assert info.value.reason.startswith("strconv.Atoi: parsing ")


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("t", True), ("TRUE", True), ("True", True), ("0", False), ("F", False)]
)
def test_skip_total(raw: str, value: bool) -> None:
    assert parse_list_params({"skipTotal": raw}).skip_total is value


def test_skip_total_invalid() -> None:
    with pytest.raises(ListParamsError, match=""):
        parse_list_params({"skipTotal": "yes"})


def test_sort() -> None:
    assert parse_sort("-created, title ,+views,@random,-@rowid") == (
        SortItem("created", True),
        SortItem("title"),
        SortItem("views"),
        SortItem("@random"),
        SortItem("@rowid", True),
    )
    assert parse_sort("") == ()
    assert parse_list_params({"sort": "-a"}).sort == (SortItem("a", True),)


def test_sort_limits() -> None:
    parse_sort(",".join("abcdefgh"))
    with pytest.raises(ListParamsError) as info:
        parse_sort(",".join("abcdefghi"))
    assert info.value.reason == "max sort expressions limit reached"
    parse_sort("a" * 255)
    with pytest.raises(ListParamsError):
        parse_sort("a" * 256)
    with pytest.raises(ListParamsError):
        parse_sort("a,,b")
    with pytest.raises(ListParamsError):
        parse_sort("-")


def test_filter_length_limit() -> None:
    assert parse_list_params({"filter": "a" * 3500}).filter == "a" * 3500
    with pytest.raises(ListParamsError) as info:
        parse_list_params({"filter": "a" * 3501})
    assert info.value.reason == "max filter length limit reached"


def test_expand() -> None:
    assert parse_expand("author, tags ,comments_via_post.user") == (
        "author",
        "tags",
        "comments_via_post.user",
    )
    assert parse_expand("author,author.team,.tags.,tags") == ("author.team", "tags")
    assert parse_expand(",,") == ()
    assert parse_expand(".".join(["p"] * 8)) == (".".join(["p"] * 6),)
    assert parse_list_params({"expand": "a.b,a"}).expand == ("a.b",)


def test_fields() -> None:
    assert parse_fields("id, title,expand.tags.name,*,body:excerpt(200,true),title:excerpt( 5 )") == (
        FieldPick("id"),
        FieldPick("title"),
        FieldPick("expand.tags.name"),
        FieldPick("*"),
        FieldPick("body", Excerpt(200, True)),
        FieldPick("title", Excerpt(5, False)),
    )
    assert parse_fields("") == ()


@pytest.mark.parametrize(
    "raw", ["body:excerpt(0)", "body:excerpt(-1,true)", "body:excerpt(x)", "body:excerpt(5,maybe)",
            "body:excerpt(1,2,3)", "body:upper()", "body:excerpt"],
)  # fmt: skip
def test_fields_invalid(raw: str) -> None:
    with pytest.raises(ListParamsError):
        parse_fields(raw)
