"""The one exception hierarchy of Satchel and its wire format.

Everything a handler raises that the client should see is an :class:`ApiError`;
the API layer turns it into PocketBase's ``{"data","message","status"}`` body in
one place.  Field validation problems are :class:`ValidationError` values kept in
a (possibly nested) ``dict`` keyed by field name or list index, exactly the shape
PocketBase puts under ``data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

__all__ = [
    "DEFAULT_MESSAGES",
    "ApiError",
    "BadRequestError",
    "ErrorTree",
    "ForbiddenError",
    "NotFoundError",
    "TooLargeError",
    "UnauthorizedError",
    "ValidationError",
    "ValidationFailed",
    "error_tree_to_dict",
    "sentenize",
]

DEFAULT_MESSAGES: dict[int, str] = {
    400: "Something went wrong while processing your request.",
    401: "Missing or invalid authentication.",
    403: "You are not allowed to perform this request.",
    404: "The requested resource wasn't found.",
    413: "Request entity too large.",
    429: "Too Many Requests.",
    500: "Something went wrong while processing your request.",
}


def sentenize(text: str) -> str:
    """Upper-case the first letter and end with a period, as PocketBase does."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    if text[-1] not in ".?!":
        text += "."
    return text


@dataclass(frozen=True, slots=True)
class ValidationError:
    """One field problem: ``{"code","message"[,"params"]}`` on the wire."""

    code: str
    message: str
    params: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.params:
            out["params"] = dict(self.params)
        return out


# A field name (or list index as a string) -> an error or a nested tree.
ErrorTree = dict[str, Union[ValidationError, "ErrorTree"]]


def error_tree_to_dict(tree: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, ValidationError):
            out[str(key)] = value.to_dict()
        elif isinstance(value, Mapping):
            out[str(key)] = error_tree_to_dict(value)
        else:
            out[str(key)] = value
    return out


@dataclass
class ApiError(Exception):
    """An error that reaches the client in PocketBase's shape."""

    status: int = 400
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)
        if not self.message:
            self.message = DEFAULT_MESSAGES.get(self.status, DEFAULT_MESSAGES[400])

    def to_dict(self) -> dict[str, Any]:
        return {
            "data": error_tree_to_dict(self.data),
            "message": sentenize(self.message),
            "status": self.status,
        }

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


class BadRequestError(ApiError):
    def __init__(self, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        super().__init__(400, message, data or {})


class UnauthorizedError(ApiError):
    def __init__(self, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        super().__init__(401, message, data or {})


class ForbiddenError(ApiError):
    def __init__(self, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        super().__init__(403, message, data or {})


class NotFoundError(ApiError):
    def __init__(self, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        super().__init__(404, message, data or {})


class TooLargeError(ApiError):
    def __init__(self, message: str = "", data: Mapping[str, Any] | None = None) -> None:
        super().__init__(413, message, data or {})


class ValidationFailed(Exception):
    """Raised by domain code with an error tree; the API wraps it in a 400.

    The caller (an endpoint) decides the top-level message, e.g.
    "Failed to create collection.".
    """

    def __init__(self, errors: ErrorTree) -> None:
        super().__init__(str(error_tree_to_dict(errors)))
        self.errors = errors
