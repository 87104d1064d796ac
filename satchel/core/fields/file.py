"""``file`` — stored file name(s); uploads are objects the caller builds.

Values are lists mixing existing file names (``str``) and pending uploads (any
object with a ``name`` attribute — the generated storage name — see
:class:`UploadLike`).  Storage, name generation and MIME sniffing are I/O and
stay with the caller; :meth:`FileField.validate_value` checks what can be
checked from the value (``size``/``mime_type`` attributes when present).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from satchel.core.fields._gocompat import to_unique_string_slice
from satchel.core.fields.base import (
    MAX_SAFE_JSON_INT,
    ColumnKind,
    Field,
    FieldContext,
    check_int_range,
    length_error,
    required_error,
)
from satchel.core.fields.select import dump_string_list
from satchel.errors import ValidationError
from satchel.tools.lazy_re import LazyPattern

__all__ = ["FILE_DEFAULT_MAX_SIZE", "THUMB_SIZE_RE", "FileField", "UploadLike", "file_name"]

FILE_DEFAULT_MAX_SIZE = 5 << 20
THUMB_SIZE_RE = LazyPattern(r"^(\d+)x(\d+)(t|b|f)?$")
_LOOSE_FILENAME_RE = LazyPattern(r"[^./\\][^/\\]+")
_ZERO_THUMBS = ("0x0", "0x0t", "0x0b", "0x0f")


@runtime_checkable
class UploadLike(Protocol):
    """A pending upload: ``name`` is the generated storage name."""

    name: str


def file_name(item: Any) -> str:
    if isinstance(item, str):
        return item
    name = getattr(item, "name", "")
    return name if isinstance(name, str) else ""


def _is_upload(item: Any) -> bool:
    return not isinstance(item, str) and isinstance(getattr(item, "name", None), str)


def to_file_list(raw: Any) -> list[Any]:
    """``FileField.toSliceValue``: uploads and names, unique by file name."""
    items: list[Any] = []
    if raw is None:
        pass
    elif _is_upload(raw):
        items = [raw]
    elif isinstance(raw, (list, tuple)):
        for entry in raw:
            sub = to_file_list(entry)
            if len(sub) == 1:
                items.append(sub[0])
    else:
        items = list(to_unique_string_slice(raw))
    seen: set[str] = set()
    out: list[Any] = []
    for item in items:
        name = file_name(item)
        if name not in seen:
            seen.add(name)
            out.append(item)
    return out


def exclude_files(base: Iterable[Any], remove: Iterable[Any]) -> list[Any]:
    names = {file_name(r) for r in remove}
    return [b for b in base if file_name(b) not in names]


@dataclass(kw_only=True)
class FileField(Field):
    """Uploaded file names, stored under the record's folder (``file``)."""
    type: ClassVar[str] = "file"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("help", "str"),
        ("maxSelect", "int"),
        ("maxSize", "int"),
        ("mimeTypes", "strlist"),
        ("protected", "bool"),
        ("required", "bool"),
        ("thumbs", "strlist"),
    )

    help: str = ""
    required: bool = False
    maxSize: int = 0
    maxSelect: int = 0
    mimeTypes: list[str] = field(default_factory=list)
    thumbs: list[str] = field(default_factory=list)
    protected: bool = False

    @property
    def is_multiple(self) -> bool:
        return self.maxSelect > 1

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.JSON_ARRAY if self.is_multiple else ColumnKind.TEXT

    @property
    def effective_max_size(self) -> int:
        return self.maxSize if self.maxSize > 0 else FILE_DEFAULT_MAX_SIZE

    @property
    def effective_max_select(self) -> int:
        return max(self.maxSelect, 1)

    def legacy_options(self) -> dict[str, Any]:
        return {
            "mimeTypes": list(self.mimeTypes),
            "thumbs": list(self.thumbs) or None,
            "maxSelect": self.maxSelect,
            "maxSize": self.maxSize,
            "protected": self.protected,
        }

    def _settings_errors(self, ctx: FieldContext, errors: dict[str, Any]) -> None:
        for key in ("maxSelect", "maxSize"):
            err = check_int_range(getattr(self, key), 0, MAX_SAFE_JSON_INT)
            if err:
                errors[key] = err
        thumb_errors: dict[str, Any] = {}
        for i, thumb in enumerate(self.thumbs):
            if thumb in _ZERO_THUMBS:
                thumb_errors[str(i)] = ValidationError("validation_not_in_invalid", "Must not be in list.")
            elif thumb and not THUMB_SIZE_RE.match(thumb):
                thumb_errors[str(i)] = ValidationError("validation_match_invalid", "Must be in a valid format.")
        if thumb_errors:
            errors["thumbs"] = thumb_errors

    def prepare_value(self, raw: Any) -> Any:
        files = to_file_list(raw)
        if self.is_multiple:
            return files
        return files[-1] if files else ""

    def validate_value(
        self, value: Any, *, is_new: bool = True, original: Any = None
    ) -> ValidationError | None:
        """``original`` = the last saved file name(s); new plain names not among them are invalid."""
        files = to_file_list(value)
        if not files:
            return required_error() if self.required else None
        old_names = {file_name(f) for f in to_file_list(original)}
        added = [f for f in files if isinstance(f, str) and f not in old_names]
        if added:
            invalid = [name[:250] for name in added]
            return ValidationError(
                "validation_invalid_file",
                f"Invalid new files: [{' '.join(invalid)}].",
                {"invalidFiles": invalid},
            )
        if len(files) > self.effective_max_select:
            return ValidationError(
                "validation_too_many_files",
                f"The maximum allowed files is {self.effective_max_select}.",
                {"maxSelect": self.effective_max_select},
            )
        for upload in files:
            if isinstance(upload, str):
                continue
            err = self._validate_upload(upload)
            if err:
                return err
        return None

    def _validate_upload(self, upload: Any) -> ValidationError | None:
        name = file_name(upload)
        if not 1 <= len(name) <= 150:
            return length_error(1, 150)
        if not _LOOSE_FILENAME_RE.fullmatch(name):
            return ValidationError("validation_match_invalid", "Must be in a valid format.")
        original_name = str(getattr(upload, "original_name", "") or name)[:300]
        size = getattr(upload, "size", None)
        if isinstance(size, int) and size > self.effective_max_size:
            return ValidationError(
                "validation_file_size_limit",
                f"Failed to upload {original_name} - the maximum allowed file size is {self.effective_max_size} bytes.",
                {"file": original_name, "maxSize": self.effective_max_size},
            )
        mime = getattr(upload, "mime_type", None)
        if self.mimeTypes and isinstance(mime, str):
            base = mime.split(";", 1)[0].strip().lower()
            if not any(base == t.split(";", 1)[0].strip().lower() for t in self.mimeTypes):
                return ValidationError(
                    "validation_invalid_mime_type",
                    f'"{name}" mime type must be one of: {", ".join(self.mimeTypes)}.',
                )
        return None

    def uploads(self, value: Any) -> list[Any]:
        """The pending upload objects of a value."""
        return [f for f in to_file_list(value) if not isinstance(f, str)]

    def to_db(self, value: Any) -> str:
        names = [file_name(f) for f in to_file_list(value)]
        if self.is_multiple:
            return dump_string_list(names)
        return names[-1] if names else ""

    def from_db(self, raw: Any) -> str | list[str]:
        names = to_unique_string_slice(raw)
        if self.is_multiple:
            return names
        return names[-1] if names else ""

    def is_empty_value(self, value: Any) -> bool:
        return not to_file_list(value)
