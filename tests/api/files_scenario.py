"""One files-API scenario, run against PocketBase 0.40.6 and against a live ``satchel serve``.

``tests/fixtures/capture_files_api.py`` ran these steps against the real binary and
stored what it observed in ``pocketbase_040/files_api.json``;
``tests/api/test_files_oracle.py`` runs them against Satchel and compares.

Covered: names of ``/api/batch`` uploads, ``/api/files`` of unknown collections,
records and names, files of view collections (and their protection), thumbs of
PNG/JPEG/GIF/WebP/BMP sources (format, size, content type), Go's
``http.ServeContent`` handling of HEAD, Range, If-Range, If-Modified-Since,
If-None-Match, If-Match and If-Unmodified-Since, and the dashboard routes ``/_``,
``/_/x`` and ``/api/oauth2-redirect``.

A step is a dict: ``name``, ``as`` (``su``/``guest``/``user``), ``method``, ``path``
and optional ``headers`` (``{var}`` placeholders filled from earlier answers),
``json`` (a JSON body), ``data``/``files`` (a multipart body; a file is
``(field, filename, content spec)``, see :func:`content`), ``save`` (keep the JSON
answer as a variable), ``save_header`` (``{var: header}``), ``quiet`` (setup: only
the status is kept), ``thumb`` (an image made by the server: its format and size
are compared, not its bytes) and ``only`` (compare only these observation keys).
An observation is ``status``, the :data:`HEADERS` present and the body: JSON
(random file-name parts, timestamps and tokens scrubbed), or a description of the
bytes (which upload they are a slice of, or the format and size of a thumb).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from typing import Any

import httpx

Step = dict[str, Any]

VOLATILE = "<volatile>"
PW = "1234567890"
SU_EMAIL = "test@example.com"
HEADERS = (
    "content-type", "content-disposition", "content-length", "content-range", "accept-ranges",
    "cache-control", "content-security-policy", "location", "last-modified", "x-frame-options",
)
_RANDOM_PART = re.compile(r"_[a-z0-9]{10}(?=[._]|$)")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$")
_PLACEHOLDER = re.compile(r"\{([a-zA-Z0-9_.]+)\}")
_SHORT_BASE = re.compile(r"(?<![a-z0-9_])[a-z0-9]{11,12}(?=_<volatile>)")


# -- content ---------------------------------------------------------------------------------


def content(spec: str) -> bytes:
    """Bytes of an upload: ``text:<text>`` or ``<format>:<W>x<H>[:<color>]`` made with Pillow
    (``png``, ``jpeg``, ``gif``, ``webp``, ``bmp``)."""
    kind, _, rest = spec.partition(":")
    if kind == "text":
        return rest.encode()
    from PIL import Image

    size, _, color = rest.partition(":")
    w, h = (int(x) for x in size.split("x"))
    out = io.BytesIO()
    Image.new("RGB", (w, h), color or "red").save(out, {"jpeg": "JPEG"}.get(kind, kind.upper()))
    return out.getvalue()


def _describe_bytes(data: bytes, uploads: dict[str, bytes]) -> dict[str, Any]:
    for spec, source in uploads.items():
        if data and data == source:
            return {"upload": spec}
        if data and data in source:
            start = source.index(data)
            return {"upload": spec, "slice": [start, start + len(data)]}
    if not data:
        return {"empty": True}
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            return {"image": [img.format, img.width, img.height]}
    except Exception:  # noqa: BLE001 - not an image: describe the bytes
        return {"length": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _byteranges(r: httpx.Response, uploads: dict[str, bytes]) -> list[dict[str, Any]]:
    """The parts of a ``multipart/byteranges`` answer (the boundary is random)."""
    boundary = r.headers["content-type"].split("boundary=", 1)[1].strip('"')
    parts = []
    for chunk in r.content.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, body = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        headers = dict(
            (k.strip().lower(), v.strip()) for k, _, v in (line.decode().partition(":") for line in head.split(b"\r\n"))
        )
        parts.append({"headers": headers, "body": _describe_bytes(body, uploads)})
    return parts


def scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: VOLATILE if k == "token" else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        if _TIMESTAMP.match(value):
            return VOLATILE
        # a base shorter than 3 characters gets its random part glued on: "b" -> "b1x2…"
        return _SHORT_BASE.sub(VOLATILE, _RANDOM_PART.sub("_" + VOLATILE, value))
    return value


# -- the runner --------------------------------------------------------------------------------


class Runner:
    """Runs steps against one server and turns each answer into an observation."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
        self.tokens: dict[str, str] = {}
        self.vars: dict[str, Any] = {}
        self.uploads: dict[str, bytes] = {}

    def close(self) -> None:
        self.client.close()

    def login(self, who: str, collection: str, email: str) -> None:
        r = self.client.post(f"/api/collections/{collection}/auth-with-password", json={"identity": email, "password": PW})
        assert r.status_code == 200, r.text
        self.tokens[who] = r.json()["token"]
        r = self.client.post("/api/files/token", headers={"Authorization": self.tokens[who]})
        assert r.status_code == 200, r.text
        self.vars[f"filetoken_{who}"] = r.json()["token"]

    def fill(self, text: str) -> str:
        def value(m: re.Match[str]) -> str:
            first, *rest = m.group(1).split(".")
            found: Any = self.vars[first]
            for key in rest:
                found = found[int(key)] if isinstance(found, list) else found[key]
            return str(found)

        return _PLACEHOLDER.sub(value, text)

    def request(self, step: Step) -> httpx.Response:
        headers = {k: self.fill(v) for k, v in (step.get("headers") or {}).items()}
        token = self.tokens.get(step.get("as", "guest"))
        if token:
            headers["Authorization"] = token
        kwargs: dict[str, Any] = {"headers": headers}
        if step.get("json") is not None:
            kwargs["json"] = step["json"]
        if step.get("files") is not None:
            files = []
            for field, filename, spec in step["files"]:
                data = content(spec)
                self.uploads[spec] = data
                files.append((field, (filename, data, "application/octet-stream")))
            kwargs["files"] = files
            data_fields = step.get("data") or {}
            kwargs["data"] = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data_fields.items()}
        return self.client.request(step["method"], self.fill(step["path"]), **kwargs)

    def run(self, step: Step) -> dict[str, Any]:
        if "login" in step:
            self.login(*step["login"])
            return {"login": step["login"][0]}
        r = self.request(step)
        is_json = r.headers.get("content-type", "").startswith("application/json")
        parsed = r.json() if is_json and r.content else None
        if step.get("save") and parsed is not None:
            self.vars[step["save"]] = parsed
        for var, header in (step.get("save_header") or {}).items():
            self.vars[var] = r.headers.get(header, "")
        observed: dict[str, Any] = {"status": r.status_code}
        if step.get("quiet"):
            return observed
        observed["headers"] = {h: VOLATILE if h == "last-modified" else scrub(r.headers[h])
                               for h in HEADERS if h in r.headers}
        if r.headers.get("content-type", "").startswith("multipart/byteranges"):
            observed["headers"]["content-type"] = "multipart/byteranges; boundary=" + VOLATILE
            observed["parts"] = _byteranges(r, self.uploads)
        elif is_json:
            observed["json"] = scrub(parsed)
        elif len(r.content) < 300 and (r.status_code >= 300 or r.headers.get("content-type", "").startswith("text/html")):
            observed["text"] = r.text
        elif step.get("thumb"):  # encoders differ: compare what the image is, not its bytes
            observed["headers"].pop("content-length", None)
            observed["body"] = _describe_bytes(r.content, {})
        else:
            observed["body"] = _describe_bytes(r.content, self.uploads)
        only = step.get("only")
        if only:
            observed = {k: v for k, v in observed.items() if k in only or k == "status"}
            if "headers" in observed and isinstance(only, dict):
                observed["headers"] = {k: v for k, v in observed["headers"].items() if k in only["headers"]}
        return observed


# -- the steps -----------------------------------------------------------------------------------


def _s(name: str, who: str, method: str, path: str, **extra: Any) -> Step:
    return {"name": name, "as": who, "method": method, "path": path, **extra}


POSTS_FIELDS: list[dict[str, Any]] = [
    {"name": "title", "type": "text"},
    {"name": "cover", "type": "file", "maxSelect": 1, "maxSize": 5000000, "thumbs": ["50x50f", "20x0", "0x10", "10x10t"]},
    {"name": "docs", "type": "file", "maxSelect": 5, "maxSize": 5000000},
    {"name": "secret", "type": "file", "maxSelect": 1, "protected": True},
]


def setup_steps() -> list[Step]:
    c = "/api/collections"
    collections = [
        {"name": "posts", "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
         "deleteRule": "", "fields": POSTS_FIELDS},
        {"name": "privates", "type": "base", "listRule": "owner = @request.auth.id",
         "viewRule": "owner = @request.auth.id", "fields": [
             {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
             {"name": "doc", "type": "file", "maxSelect": 1, "protected": True},
             {"name": "pic", "type": "file", "maxSelect": 1}]},
    ]
    steps: list[Step] = [
        {"login": ("su", "_superusers", SU_EMAIL)},
        _s("enable batch", "su", "PATCH", "/api/settings", json={"batch": {"enabled": True, "maxRequests": 10}},
           quiet=True),
        *[_s(f"create {body['name']}", "su", "POST", c, json=body, quiet=True) for body in collections],
        _s("create user", "su", "POST", f"{c}/users/records", quiet=True,
           json={"id": "testuser0000001", "email": "user@example.com", "password": PW, "passwordConfirm": PW}),
        _s("create user 2", "su", "POST", f"{c}/users/records", quiet=True,
           json={"id": "testuser0000002", "email": "other@example.com", "password": PW, "passwordConfirm": PW}),
        {"login": ("user", "users", "user@example.com")},
        {"login": ("other", "users", "other@example.com")},
        _s("create post 1 (png, docs, protected)", "su", "POST", f"{c}/posts/records", save="p1",
           data={"id": "post00000000001", "title": "one"},
           files=[("cover", "red.png", "png:8x8:red"), ("docs", "My Doc.txt", "text:hello world, a document"),
                  ("docs", "b.txt", "text:second doc"), ("secret", "s.txt", "text:the secret")]),
        _s("create post 2 (jpeg)", "su", "POST", f"{c}/posts/records", save="p2",
           data={"id": "post00000000002"}, files=[("cover", "photo.jpg", "jpeg:400x300:blue")]),
        _s("create post 3 (gif)", "su", "POST", f"{c}/posts/records", save="p3",
           data={"id": "post00000000003"}, files=[("cover", "anim.gif", "gif:40x20:green")]),
        _s("create post 4 (webp)", "su", "POST", f"{c}/posts/records", save="p4",
           data={"id": "post00000000004"}, files=[("cover", "pic.webp", "webp:40x20:yellow")]),
        _s("create post 5 (jpeg named .png)", "su", "POST", f"{c}/posts/records", save="p5",
           data={"id": "post00000000005"}, files=[("cover", "fake.png", "jpeg:30x60:white")]),
        _s("create post 6 (bmp)", "su", "POST", f"{c}/posts/records", save="p6",
           data={"id": "post00000000006"}, files=[("cover", "old.bmp", "bmp:16x16:black")]),
        _s("create private", "su", "POST", f"{c}/privates/records", save="pr",
           data={"id": "private00000001", "owner": "testuser0000001"},
           files=[("doc", "private.txt", "text:only for the owner"), ("pic", "pic.png", "png:4x4:blue")]),
        _s("create view pview", "su", "POST", c, quiet=True, save="pview", json={
            "name": "pview", "type": "view", "listRule": "", "viewRule": "",
            "viewQuery": "select id, title, cover, docs, secret from posts"}),
        _s("create view plocked", "su", "POST", c, quiet=True, json={
            "name": "plocked", "type": "view", "listRule": None, "viewRule": None,
            "viewQuery": "select p.id as id, p.cover as pic, p.secret as sec from posts p"}),
        _s("create view of a view", "su", "POST", c, quiet=True, json={
            "name": "pnested", "type": "view", "listRule": "", "viewRule": "",
            "viewQuery": "select id, sec as hidden, pic from plocked"}),
        _s("create view with other ids", "su", "POST", c, quiet=True, json={
            "name": "vdocs", "type": "view", "listRule": "", "viewRule": "",
            "viewQuery": "select (p.id || 'v') as id, p.docs as files, p.secret as sec from posts p"}),
        _s("create view of privates", "su", "POST", c, quiet=True, json={
            "name": "pvpriv", "type": "view", "listRule": "owner = @request.auth.id",
            "viewRule": "owner = @request.auth.id", "viewQuery": "select id, owner, doc, pic from privates"}),
    ]
    return steps


def lookup_steps() -> list[Step]:
    f = "/api/files"
    return [
        _s("unknown collection", "guest", "GET", f"{f}/nope/post00000000001/{{p1.cover}}"),
        _s("unknown collection as superuser", "su", "GET", f"{f}/nope/x/y.png"),
        _s("unknown collection HEAD", "guest", "HEAD", f"{f}/nope/x/y.png"),
        _s("unknown collection POST", "guest", "POST", f"{f}/nope/x/y.png"),
        _s("unknown record", "guest", "GET", f"{f}/posts/nope00000000000/{{p1.cover}}"),
        _s("unknown file name", "guest", "GET", f"{f}/posts/post00000000001/nope.png"),
        _s("file of another record", "guest", "GET", f"{f}/posts/post00000000002/{{p1.cover}}"),
        _s("collection by id", "guest", "GET", f"{f}/{{p1.collectionId}}/post00000000001/{{p1.cover}}"),
        _s("original png", "guest", "GET", f"{f}/posts/post00000000001/{{p1.cover}}", save_header={"lm": "last-modified"}),
        _s("HEAD png", "guest", "HEAD", f"{f}/posts/post00000000001/{{p1.cover}}"),
        _s("download=1", "guest", "GET", f"{f}/posts/post00000000001/{{p1.cover}}?download=1"),
        _s("download=0", "guest", "GET", f"{f}/posts/post00000000001/{{p1.cover}}?download=0"),
        _s("text doc", "guest", "GET", f"{f}/posts/post00000000001/{{p1.docs.0}}",
           save_header={"lm_doc": "last-modified"}),
        _s("superuser auth header is not needed", "su", "GET", f"{f}/posts/post00000000001/{{p1.docs.1}}"),
    ]


def thumb_steps() -> list[Step]:
    f = "/api/files/posts"
    steps = []
    for rec, label in (("p1", "png 8x8"), ("p2", "jpeg 400x300"), ("p3", "gif 40x20"), ("p4", "webp 40x20"),
                       ("p5", "jpeg named .png 30x60"), ("p6", "bmp 16x16")):
        rid = f"post0000000000{rec[1]}"
        for size in ("100x100", "50x50f", "20x0", "0x10", "10x10t"):
            steps.append(_s(f"thumb {size} of {label}", "guest", "GET", f"{f}/{rid}/{{{rec}.cover}}?thumb={size}",
                            thumb=True))
    steps += [
        _s("thumb HEAD", "guest", "HEAD", f"{f}/post00000000002/{{p2.cover}}?thumb=100x100", thumb=True),
        _s("thumb not listed", "guest", "GET", f"{f}/post00000000002/{{p2.cover}}?thumb=30x30"),
        _s("thumb garbage", "guest", "GET", f"{f}/post00000000002/{{p2.cover}}?thumb=abc"),
        _s("thumb of a text file", "guest", "GET", f"{f}/post00000000001/{{p1.docs.0}}?thumb=100x100"),
        _s("thumb with download", "guest", "GET", f"{f}/post00000000002/{{p2.cover}}?thumb=100x100&download=1",
           thumb=True),
    ]
    return steps


def conditional_steps() -> list[Step]:
    doc = "/api/files/posts/post00000000001/{p1.docs.0}"
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    future = "Fri, 01 Jan 2100 00:00:00 GMT"
    h = lambda **kw: {k.replace("_", "-"): v for k, v in kw.items()}  # noqa: E731
    g = "guest"
    return [
        _s("If-Modified-Since = Last-Modified", g, "GET", doc, headers=h(If_Modified_Since="{lm_doc}")),
        _s("If-Modified-Since in the future", g, "GET", doc, headers=h(If_Modified_Since=future)),
        _s("If-Modified-Since in the past", g, "GET", doc, headers=h(If_Modified_Since=old)),
        _s("If-Modified-Since garbage", g, "GET", doc, headers=h(If_Modified_Since="yesterday")),
        _s("If-Modified-Since on HEAD", g, "HEAD", doc, headers=h(If_Modified_Since="{lm_doc}")),
        _s("If-None-Match *", g, "GET", doc, headers=h(If_None_Match="*")),
        _s("If-None-Match etag", g, "GET", doc, headers=h(If_None_Match='"abc"')),
        _s("If-None-Match wins over If-Modified-Since", g, "GET", doc,
           headers=h(If_None_Match='"abc"', If_Modified_Since="{lm_doc}")),
        _s("If-Match etag", g, "GET", doc, headers=h(If_Match='"abc"')),
        _s("If-Match *", g, "GET", doc, headers=h(If_Match="*")),
        _s("If-Unmodified-Since in the past", g, "GET", doc, headers=h(If_Unmodified_Since=old)),
        _s("If-Unmodified-Since = Last-Modified", g, "GET", doc, headers=h(If_Unmodified_Since="{lm_doc}")),
        _s("Range first bytes", g, "GET", doc, headers=h(Range="bytes=0-4")),
        _s("Range suffix", g, "GET", doc, headers=h(Range="bytes=-5")),
        _s("Range open end", g, "GET", doc, headers=h(Range="bytes=6-")),
        _s("Range end past the size", g, "GET", doc, headers=h(Range="bytes=6-1000")),
        _s("Range start past the size", g, "GET", doc, headers=h(Range="bytes=1000-")),
        _s("Range suffix 0", g, "GET", doc, headers=h(Range="bytes=-0")),
        _s("Range suffix longer than the file", g, "GET", doc, headers=h(Range="bytes=-1000")),
        _s("Range garbage", g, "GET", doc, headers=h(Range="bytes=x-y")),
        _s("Range other unit", g, "GET", doc, headers=h(Range="items=0-4")),
        _s("Range reversed", g, "GET", doc, headers=h(Range="bytes=5-2")),
        _s("Range two parts", g, "GET", doc, headers=h(Range="bytes=0-1,4-6")),
        _s("Range whole file", g, "GET", doc, headers=h(Range="bytes=0-")),
        _s("Range on HEAD", g, "HEAD", doc, headers=h(Range="bytes=0-4")),
        _s("If-Range = Last-Modified", g, "GET", doc, headers=h(Range="bytes=0-4", If_Range="{lm_doc}")),
        _s("If-Range older", g, "GET", doc, headers=h(Range="bytes=0-4", If_Range=old)),
        _s("If-Range etag", g, "GET", doc, headers=h(Range="bytes=0-4", If_Range='"abc"')),
        _s("Range with If-Modified-Since = Last-Modified", g, "GET", doc,
           headers=h(Range="bytes=0-4", If_Modified_Since="{lm_doc}")),
        _s("Range on a thumb", g, "GET", "/api/files/posts/post00000000002/{p2.cover}?thumb=100x100",
           headers=h(Range="bytes=0-9"), only={"headers": ["content-type", "content-length"]}),
    ]


def protected_steps() -> list[Step]:
    f = "/api/files"
    doc = f"{f}/privates/private00000001/{{pr.doc}}"
    return [
        _s("protected, public viewRule, guest", "guest", "GET", f"{f}/posts/post00000000001/{{p1.secret}}"),
        _s("protected, guest", "guest", "GET", doc),
        _s("protected, owner's auth header only", "user", "GET", doc),
        _s("protected, owner's file token", "guest", "GET", doc + "?token={filetoken_user}"),
        _s("protected, other user's file token", "guest", "GET", doc + "?token={filetoken_other}"),
        _s("protected, superuser file token", "guest", "GET", doc + "?token={filetoken_su}"),
        _s("protected, garbage token", "guest", "GET", doc + "?token=abc"),
        _s("unprotected file of a record the guest can't view", "guest", "GET", f"{f}/privates/private00000001/{{pr.pic}}"),
    ]


def view_steps() -> list[Step]:
    f = "/api/files"
    p1 = "post00000000001"
    return [
        _s("view: file", "guest", "GET", f"{f}/pview/{p1}/{{p1.cover}}"),
        _s("view: file by the view's id", "guest", "GET", f"{f}/{{pview.id}}/{p1}/{{p1.cover}}"),
        _s("view: HEAD", "guest", "HEAD", f"{f}/pview/{p1}/{{p1.cover}}"),
        _s("view: second doc", "guest", "GET", f"{f}/pview/{p1}/{{p1.docs.1}}"),
        _s("view: protected file, public viewRule", "guest", "GET", f"{f}/pview/{p1}/{{p1.secret}}"),
        _s("view: thumb", "guest", "GET", f"{f}/pview/{p1}/{{p1.cover}}?thumb=100x100", thumb=True),
        _s("view: listed thumb", "guest", "GET", f"{f}/pview/{p1}/{{p1.cover}}?thumb=20x0", thumb=True),
        _s("view: unknown record", "guest", "GET", f"{f}/pview/nope00000000000/{{p1.cover}}"),
        _s("view: file of another record", "guest", "GET", f"{f}/pview/post00000000002/{{p1.cover}}"),
        _s("view: range", "guest", "GET", f"{f}/pview/{p1}/{{p1.docs.0}}", headers={"Range": "bytes=2-5"}),
        _s("locked view: unprotected file", "guest", "GET", f"{f}/plocked/{p1}/{{p1.cover}}"),
        _s("locked view: protected file, guest", "guest", "GET", f"{f}/plocked/{p1}/{{p1.secret}}"),
        _s("locked view: protected file, superuser header", "su", "GET", f"{f}/plocked/{p1}/{{p1.secret}}"),
        _s("locked view: protected file, superuser file token", "guest", "GET",
           f"{f}/plocked/{p1}/{{p1.secret}}?token={{filetoken_su}}"),
        _s("locked view: protected file, user file token", "guest", "GET",
           f"{f}/plocked/{p1}/{{p1.secret}}?token={{filetoken_user}}"),
        _s("view of a view: file", "guest", "GET", f"{f}/pnested/{p1}/{{p1.cover}}"),
        _s("view of a view: protected file, public viewRule", "guest", "GET", f"{f}/pnested/{p1}/{{p1.secret}}"),
        _s("view with other ids: file", "guest", "GET", f"{f}/vdocs/{p1}v/{{p1.docs.0}}"),
        _s("view with other ids: source id", "guest", "GET", f"{f}/vdocs/{p1}/{{p1.docs.0}}"),
        _s("view with other ids: protected file", "guest", "GET", f"{f}/vdocs/{p1}v/{{p1.secret}}"),
        _s("view of privates: guest", "guest", "GET", f"{f}/pvpriv/private00000001/{{pr.doc}}"),
        _s("view of privates: owner's file token", "guest", "GET",
           f"{f}/pvpriv/private00000001/{{pr.doc}}?token={{filetoken_user}}"),
        _s("view of privates: other user's file token", "guest", "GET",
           f"{f}/pvpriv/private00000001/{{pr.doc}}?token={{filetoken_other}}"),
        _s("view of privates: unprotected pic", "guest", "GET", f"{f}/pvpriv/private00000001/{{pr.pic}}"),
        _s("view record lists the names", "guest", "GET", f"/api/collections/pview/records/{p1}"),
    ]


def batch_steps() -> list[Step]:
    payload = {"requests": [
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"id": "batch0000000001", "title": "a"}},
        {"method": "POST", "url": "/api/collections/posts/records", "body": {"id": "batch0000000002", "title": "b"}},
    ]}
    return [
        _s("batch uploads", "su", "POST", "/api/batch", save="batch", data={"@jsonPayload": payload}, files=[
            ("requests.0.cover", "red.png", "png:6x6:red"), ("requests.0.docs", "My Doc.txt", "text:batch doc"),
            ("requests.0.docs", "x.txt", "text:short name"), ("requests.1.docs", "noext", "text:no extension here"),
            ("requests.1.docs", "a.b", "text:odd extension")]),
        _s("batch upload served", "guest", "GET", "/api/files/posts/batch0000000001/{batch.0.body.cover}"),
    ]


def dashboard_steps() -> list[Step]:
    g = "guest"
    return [
        # PocketBase's router answers /_ before its middlewares: no security headers there
        _s("GET /_", g, "GET", "/_", only={"headers": ["content-type", "content-length", "location"], "text": True}),
        _s("GET /_ with a query", g, "GET", "/_?a=1&b=2",
           only={"headers": ["content-type", "content-length", "location"], "text": True}),
        _s("HEAD /_", g, "HEAD", "/_", only={"headers": ["content-type", "location"]}),
        _s("GET /_/", g, "GET", "/_/", only={"headers": ["content-type"]}),
        _s("GET /_/index.html", g, "GET", "/_/index.html", only={"headers": ["location"]}),
        _s("GET /_/x", g, "GET", "/_/x", only={"headers": ["content-type"], "json": True}),
        _s("GET /_/x/y", g, "GET", "/_/x/y", only={"headers": ["content-type"], "json": True}),
        _s("GET /_/images/logo.svg", g, "GET", "/_/images/logo.svg", only={"headers": ["content-type"], "json": True}),
        _s("oauth2-redirect GET, nothing", g, "GET", "/api/oauth2-redirect"),
        _s("oauth2-redirect GET, unknown state", g, "GET", "/api/oauth2-redirect?state=abc&code=123"),
        _s("oauth2-redirect GET, error", g, "GET", "/api/oauth2-redirect?state=abc&error=denied"),
        _s("oauth2-redirect HEAD", g, "HEAD", "/api/oauth2-redirect"),
        _s("oauth2-redirect POST", g, "POST", "/api/oauth2-redirect", data={"state": "abc", "code": "123"}, files=[]),
    ]


def scenario_steps() -> list[Step]:
    return [*setup_steps(), *lookup_steps(), *thumb_steps(), *conditional_steps(), *protected_steps(),
            *view_steps(), *batch_steps(), *dashboard_steps()]
