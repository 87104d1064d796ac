"""``GET|HEAD /api/files/{collection}/{recordId}/{filename}`` (spec 06 §5-§6).

The file must be one of the record's current values; protected files need a
``?token=`` file token and the collection's viewRule (context ``protectedFile``).
Local files go out through :class:`LocalFileResponse` (no whole file in memory;
ranges go the streamed way); S3 objects are streamed range by range.
``?thumb=`` serves (and on first use makes) a thumbnail; whenever a thumb can't
be made the original is served, as PocketBase does.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

import apsw
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from satchel.api.request import authenticate_token, endpoint, get_app
from satchel.api.responses import error_response
from satchel.core.collections.model import Collection
from satchel.core.fields import FileField
from satchel.core.fields.file import file_name, to_file_list
from satchel.core.files.storage import THUMB_SOURCE_TYPES, file_key, resolve_thumb_size, thumb_key
from satchel.core.files.view_files import find_view_file_record_sync, view_file_source
from satchel.core.records.resolver import RecordFieldResolver, RequestInfo, rule_exists_query
from satchel.errors import NotFoundError
from satchel.tools.filesystem import FileInfo, InvalidKey, Storage, StorageError
from satchel.tools.serve_content import Plan, RangePart, multipart_framing, plan

__all__ = ["INLINE_TYPES", "serve_file", "stored_file_response"]

INLINE_TYPES = frozenset({
    "image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp", "image/x-icon", "image/bmp",
    "video/webm", "video/mp4", "video/3gpp", "video/quicktime", "video/x-ms-wmv",
    "audio/basic", "audio/aiff", "audio/mpeg", "audio/midi", "audio/mp3", "audio/wave", "audio/wav",
    "audio/x-wav", "audio/x-mpeg", "audio/x-m4a", "audio/aac", "application/pdf", "application/x-pdf",
})
EXTENSION_TYPES = {
    ".svg": "image/svg+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
CACHE_CONTROL = "max-age=2592000, stale-while-revalidate=86400"
CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
MISSING_COLLECTION = "Missing or invalid collection context."
log = logging.getLogger("satchel.files")
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


# -- lookup and access ---------------------------------------------------------------------


def _file_field(c: Collection, record: Mapping[str, Any], filename: str) -> FileField | None:
    for f in c.fields:
        if isinstance(f, FileField) and filename in {file_name(x) for x in to_file_list(record.get(f.name))}:
            return f
    return None


async def _can_access(request: Request, c: Collection, record_id: str) -> bool:
    """PocketBase's ``CanAccessRecord`` with the viewRule and a file token from ``?token=``."""
    app = get_app(request)
    auth = await authenticate_token(app, request.query_params.get("token", ""), ("file",))
    if auth.is_superuser:
        return True
    rule = c.viewRule
    if rule is None:
        return False
    if not rule.strip():
        return True
    info = RequestInfo(
        auth=dict(auth.record) if auth.record is not None else None,
        auth_collection=auth.collection,
        query=dict(request.query_params),
        headers=dict(request.headers),
        method=request.method,
        context="protectedFile",
    )
    try:
        resolver = RecordFieldResolver(app.registry.get, c, info, app.dialect, allow_hidden=True)
        sql = rule_exists_query(rule, resolver, record_id=record_id)
    except Exception:  # noqa: BLE001 - a rule that doesn't compile denies (PocketBase: 404)
        log.warning("viewRule of %s can't be checked for a protected file", c.name, exc_info=True)
        return False

    def run(conn: apsw.Connection) -> bool:
        return conn.execute(sql.text, dict(sql.params)).fetchone() is not None

    try:
        return bool(await app.db.read(run))
    except apsw.Error:
        return False


# -- responses -------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _http_date(seconds: int) -> str:
    """Last-Modified: a file's is formatted once, not per request."""
    return format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)


def _headers(info: FileInfo, served_name: str, download: bool) -> dict[str, str]:
    content_type = info.content_type or "application/octet-stream"
    disposition = "inline" if not download and content_type in INLINE_TYPES else "attachment"
    ext = served_name[served_name.rfind(".") :] if "." in served_name else ""
    return {
        "content-disposition": f'{disposition}; filename="{served_name}"',
        "content-type": EXTENSION_TYPES.get(ext, content_type),
        "content-security-policy": CSP,
        "cache-control": CACHE_CONTROL,
        "last-modified": _http_date(int(info.modified.timestamp())),
    }


async def _stream(storage: Storage, key: str, parts: tuple[RangePart, ...],
                  heads: list[bytes] | None = None, tail: bytes = b"") -> AsyncIterator[bytes]:
    """The bytes of ``parts`` (each after its multipart head when ``heads`` is given)."""
    try:
        for i, part in enumerate(parts):
            if heads is not None:
                yield heads[i]
            async for chunk in storage.aiter_range(key, part.start, part.start + part.length):
                yield chunk
        if tail:
            yield tail
    except StorageError:
        return  # the headers are out; the client sees a short body


def _streamed(request: Request, storage: Storage, key: str, info: FileInfo, p: Plan,
              headers: dict[str, str]) -> Response:
    parts = p.ranges or (RangePart(0, info.size),)
    heads: list[bytes] | None = None
    tail = b""
    if p.boundary:
        heads, tail = multipart_framing(p, headers["content-type"], info.size)
        headers["content-type"] = f"multipart/byteranges; boundary={p.boundary}"
        headers["content-length"] = str(sum(map(len, heads)) + sum(x.length for x in parts) + len(tail))
    if request.method == "HEAD":
        return Response(status_code=p.status, headers=headers)
    return StreamingResponse(_stream(storage, key, parts, heads, tail), status_code=p.status, headers=headers)


class LocalFileResponse(Response):
    """A whole local file (GET or HEAD, status 200, no Range), read on the loop in 256 KiB chunks.

    Starlette's FileResponse hands every open/read/close to a worker thread (~19 hops
    for a 1 MB file, which halved the bench's "file" throughput), stats the file again,
    parses the request headers again and builds an ETag that we then drop (PocketBase
    sends none).  Stored files are small and usually in the page cache, so a read here
    costs tens of microseconds; memory per response stays bounded by the chunk size.
    """

    chunk_size = 256 * 1024

    def __init__(self, path: str | os.PathLike[str], headers: Mapping[str, str]) -> None:
        # ``headers`` is complete (content-length and type included): no init_headers pass
        self.path = path
        self.status_code = 200
        self.background = None
        self.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            file = open(self.path, "rb")  # noqa: SIM115 - closed below
        except OSError:  # deleted since it was found
            await error_response(NotFoundError())(scope, receive, send)
            return
        with file:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if scope["method"] == "HEAD":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            more = True
            while more:
                chunk = file.read(self.chunk_size)
                more = len(chunk) == self.chunk_size
                await send({"type": "http.response.body", "body": chunk, "more_body": more})


def _file_response(request: Request, storage: Storage, key: str, info: FileInfo, served_name: str) -> Response:
    """Go's ``http.ServeContent`` rules (:mod:`satchel.tools.serve_content`); a plain
    GET/HEAD of a local file takes the fast path."""
    download = request.query_params.get("download", "") in _TRUE
    headers = _headers(info, served_name, download)
    p = plan(request.method, request.headers, info.size, info.modified)
    for name in p.drop_headers:
        headers.pop(name, None)
    headers.update(p.set_headers)
    if p.ranges is None:  # 304, 412, 416
        return Response(None if p.text is None else p.text.encode(), p.status, headers)
    path = storage.local_path(key)
    if p.status == 200 and path is not None and "range" not in request.headers:
        headers["content-type"] = headers.pop("content-type")  # last, where Starlette put it
        return LocalFileResponse(path, headers)
    return _streamed(request, storage, key, info, p, headers)


def stored_file_response(request: Request, storage: Storage, key: str, info: FileInfo, served_name: str) -> Response:
    """Serve one stored object with the file headers (backups use it too)."""
    return _file_response(request, storage, key, info, served_name)


# -- the endpoint ------------------------------------------------------------------------------


async def _thumb(request: Request, collection_id: str, f: FileField, storage: Storage, record_id: str,
                 filename: str, info: FileInfo) -> tuple[str, FileInfo, str] | None:
    requested = request.query_params.get("thumb", "")
    if not requested or info.content_type.split(";", 1)[0].strip().lower() not in THUMB_SOURCE_TYPES:
        return None
    size = resolve_thumb_size(requested, f)
    if size is None:
        return None
    key = thumb_key(collection_id, record_id, filename, size.text)
    original = file_key(collection_id, record_id, filename)
    made = await get_app(request).files.ensure_thumb(storage, original, key, size, info.content_type)
    return None if made is None else (key, made, f"{size.text}_{filename}")


async def _file_folder(request: Request, c: Collection, f: FileField, record_id: str, filename: str) -> tuple[str, str]:
    """The collection and record ids of the folder that holds the file: the record's
    own, or for a view the source record its file field was copied from (404 when none)."""
    if not c.is_view:
        return c.id, record_id
    app = get_app(request)
    source = view_file_source(app.registry.get, c, f.name)
    if source is None:
        raise NotFoundError()
    owner, source_field = source
    found = await app.db.read_small(lambda conn: find_view_file_record_sync(conn, app.dialect, owner, source_field, filename))
    if found is None:
        raise NotFoundError()
    return owner.id, found


@endpoint
async def serve_file(request: Request) -> Response:
    app = get_app(request)
    c = app.registry.get(request.path_params["collection"])
    if c is None:
        raise NotFoundError(MISSING_COLLECTION)
    record_id = request.path_params["recordId"]
    filename = request.path_params["filename"]
    record = await app.db.read_small(lambda conn: app.records.find_by_field_sync(conn, c, "id", record_id))
    if record is None:
        raise NotFoundError()
    f = _file_field(c, record, filename)
    if f is None:
        raise NotFoundError()
    if f.protected and not await _can_access(request, c, record_id):
        raise NotFoundError()
    folder_collection, folder_id = await _file_folder(request, c, f, str(record["id"]), filename)
    storage = app.files.storage
    key = file_key(folder_collection, folder_id, filename)
    try:
        info = await storage.astat(key)
    except InvalidKey as exc:
        raise NotFoundError() from exc
    if info is None:
        raise NotFoundError()
    served_name = filename
    thumb = await _thumb(request, folder_collection, f, storage, folder_id, filename, info)
    if thumb is not None:
        key, info, served_name = thumb
    return _file_response(request, storage, key, info, served_name)


# the file download hook's fill finds the record and field as serve_file does
file_field_of = _file_field
can_access = _can_access
file_folder = _file_folder
