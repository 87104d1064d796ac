"""OAuth2 sign-up avatars: downloaded into a mapped file field (stock ``users.avatar``)
through the SSRF-guarded fetch, served by the local provider on loopback."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from satchel.app import App
from satchel.core.auth.avatar import (
    ALLOW_PRIVATE_ENV,
    AVATAR_POLICY_KEY,
    AvatarError,
    AvatarPolicy,
    avatar_file_name,
    avatar_policy,
    fetch_limited,
)
from satchel.core.fields import FileField
from satchel.tools.safe_http import is_forbidden_address
from tests.api.test_auth_oauth2 import enable, sign_in
from tests.oauth2_provider import Provider, oidc_provider  # noqa: F401 - fixture

USERS_ID = "_pb_users_auth_"


def png(size: tuple[int, int] = (8, 8), color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def allow_private(app: App, **kw: Any) -> None:
    app.state[AVATAR_POLICY_KEY] = AvatarPolicy(allow_private=True, **kw)


def claims(p: Provider, sub: str, picture: str) -> dict[str, Any]:
    return {"sub": sub, "email": f"{sub}@example.com", "email_verified": True, "picture": f"{p.base}{picture}"}


def stored(data_dir: Path, record_id: str) -> dict[str, bytes]:
    """The stored files of a users record (without the ``.attrs`` metadata files)."""
    folder = data_dir / "storage" / USERS_ID / record_id
    if not folder.is_dir():
        return {}
    return {f.name: f.read_bytes() for f in folder.iterdir() if f.is_file() and not f.name.endswith(".attrs")}


def avatar_field(app: App) -> FileField:
    users = app.registry.get("users")
    assert users is not None
    f = users.field("avatar")
    assert isinstance(f, FileField)
    return f


def test_loopback_avatar_is_refused_by_default(app: App, client: TestClient, data_dir: Path,
                                               oidc_provider: Provider, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    enable(app, oidc_provider)
    oidc_provider.files["portrait.png"] = (png(), "image/png")
    with caplog.at_level(logging.WARNING, logger="satchel.oauth2"):
        r = sign_in(client, oidc_provider, claims(oidc_provider, "a1", "/files/portrait.png"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["isNew"] is True and body["meta"]["avatarURL"] == f"{oidc_provider.base}/files/portrait.png"
    assert body["record"]["avatar"] == ""  # the sign-up went on without it
    assert oidc_provider.file_hits == []  # refused before any connection was made
    assert stored(data_dir, body["record"]["id"]) == {}
    warnings = [rec.getMessage() for rec in caplog.records if rec.name == "satchel.oauth2"]
    assert len(warnings) == 1 and warnings[0].startswith("Failed to retrieve OAuth2 avatar http://127.0.0.1:")
    assert "disallowed address (127.0.0.1)" in warnings[0]


def test_avatar_is_downloaded_into_the_file_field(app: App, client: TestClient, data_dir: Path,
                                                  oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    allow_private(app)
    image = png()
    oidc_provider.files["portrait.png"] = (image, "image/png")
    r = sign_in(client, oidc_provider, claims(oidc_provider, "a2", "/files/portrait.png"))
    assert r.status_code == 200, r.text
    record = r.json()["record"]
    assert re.fullmatch(r"portrait_[a-z0-9]{10}\.png", record["avatar"]), record["avatar"]
    assert stored(data_dir, record["id"]) == {record["avatar"]: image}
    served = client.get(f"/api/files/users/{record['id']}/{record['avatar']}")
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png"
    assert oidc_provider.file_hits == ["/files/portrait.png"]
    # an existing account is not touched again (PocketBase fills the avatar on sign-up only)
    oidc_provider.files["portrait.png"] = (png(color="blue"), "image/png")
    again = sign_in(client, oidc_provider, claims(oidc_provider, "a2", "/files/portrait.png"))
    assert again.json()["meta"]["isNew"] is False and again.json()["record"]["avatar"] == record["avatar"]
    assert oidc_provider.file_hits == ["/files/portrait.png"]
    assert stored(data_dir, record["id"]) == {record["avatar"]: image}


def test_redirects_names_and_stream_without_length(app: App, client: TestClient, data_dir: Path,
                                                   oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    allow_private(app, max_redirects=3)
    image = png((16, 16), "green")
    oidc_provider.files["picture"] = (image, "application/octet-stream")  # no extension, a useless content type
    r = sign_in(client, oidc_provider, claims(oidc_provider, "b1", "/redirect/3/picture"))
    record = r.json()["record"]
    assert re.fullmatch(r"picture_[a-z0-9]{10}\.png", record["avatar"]), record["avatar"]  # path.Base + sniffed extension
    assert stored(data_dir, record["id"]) == {record["avatar"]: image}
    assert oidc_provider.file_hits == ["/redirect/3/picture", "/redirect/2/picture", "/redirect/1/picture", "/files/picture"]
    # one redirect too many: no avatar, the account is still made
    r = sign_in(client, oidc_provider, claims(oidc_provider, "b2", "/redirect/4/picture"))
    assert r.status_code == 200 and r.json()["record"]["avatar"] == ""
    # chunked, no Content-Length
    r = sign_in(client, oidc_provider, claims(oidc_provider, "b3", "/stream/picture"))
    assert re.fullmatch(r"picture_[a-z0-9]{10}\.png", r.json()["record"]["avatar"])


@pytest.mark.parametrize("path", ["/files/big", "/stream/big"])
def test_size_cap_is_the_field_max_size(app: App, client: TestClient, data_dir: Path, oidc_provider: Provider,  # noqa: F811
                                        path: str) -> None:
    enable(app, oidc_provider)
    allow_private(app)
    avatar_field(app).maxSize = 4096
    oidc_provider.files["big"] = (png() + b"\0" * 300_000, "image/png")
    oidc_provider.files["small"] = (png(), "image/png")
    r = sign_in(client, oidc_provider, claims(oidc_provider, "c1", path))
    assert r.status_code == 200 and r.json()["record"]["avatar"] == ""
    assert stored(data_dir, r.json()["record"]["id"]) == {}
    r = sign_in(client, oidc_provider, claims(oidc_provider, "c2", path.replace("big", "small")))
    assert r.json()["record"]["avatar"].startswith("small_")


def test_unusable_avatars_are_skipped(app: App, client: TestClient, oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    allow_private(app, timeout=0.3)
    oidc_provider.files["page.png"] = (b"<!doctype html><html><body>login</body></html>", "text/html")
    oidc_provider.files["empty.png"] = (b"", "image/png")
    for i, path in enumerate(["/files/page.png", "/files/missing.png", "/files/empty.png"]):
        r = sign_in(client, oidc_provider, claims(oidc_provider, f"d{i}", path))
        assert r.status_code == 200, (path, r.text)
        assert r.json()["record"]["avatar"] == "" and r.json()["meta"]["isNew"] is True
    assert oidc_provider.file_hits == ["/files/page.png", "/files/missing.png", "/files/empty.png"]
    # a provider that is too slow: the sign-up waits at most the policy's timeout
    oidc_provider.files["slow.png"] = (png(), "image/png")
    oidc_provider.file_delay = 3.0
    started = time.monotonic()
    r = sign_in(client, oidc_provider, claims(oidc_provider, "d9", "/files/slow.png"))
    oidc_provider.file_delay = 0
    assert r.status_code == 200 and r.json()["record"]["avatar"] == ""
    assert time.monotonic() - started < 2.5


def test_a_refused_sign_up_leaves_no_file(app: App, client: TestClient, data_dir: Path,
                                          oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    allow_private(app)
    users = app.registry.get("users")
    assert users is not None
    users.createRule = '@request.body.name != "Blocked"'
    oidc_provider.files["portrait.png"] = (png(), "image/png")
    r = sign_in(client, oidc_provider, {**claims(oidc_provider, "e1", "/files/portrait.png"), "name": "Blocked"})
    assert r.json() == {"data": {}, "message": "Failed to authenticate.", "status": 400}
    assert oidc_provider.file_hits == ["/files/portrait.png"]
    folder = data_dir / "storage" / USERS_ID
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_create_data_and_text_mappings_skip_the_download(app: App, client: TestClient,
                                                         oidc_provider: Provider) -> None:  # noqa: F811
    enable(app, oidc_provider)
    allow_private(app)
    oidc_provider.files["portrait.png"] = (png(), "image/png")
    # an explicit createData value wins (null = no avatar), nothing is fetched
    r = sign_in(client, oidc_provider, claims(oidc_provider, "f1", "/files/portrait.png"), createData={"avatar": None})
    assert r.status_code == 200 and r.json()["record"]["avatar"] == ""
    assert oidc_provider.file_hits == []
    # mapped to a text field: the URL itself is stored
    users = app.registry.get("users")
    assert users is not None
    users.options["oauth2"]["mappedFields"].update({"avatarURL": "name", "name": ""})
    r = sign_in(client, oidc_provider, claims(oidc_provider, "f2", "/files/portrait.png"))
    assert r.json()["record"]["name"] == f"{oidc_provider.base}/files/portrait.png" and r.json()["record"]["avatar"] == ""
    assert oidc_provider.file_hits == []


# -- the guard itself ---------------------------------------------------------------------


@pytest.mark.parametrize(("address", "forbidden"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("224.0.0.1", True),
    ("255.255.255.255", True), ("240.0.0.1", True), ("::1", True), ("::", True), ("fe80::1%eth0", True),
    ("fc00::1", True), ("::ffff:127.0.0.1", True), ("::ffff:10.0.0.1", True), ("ff02::1", True),
    ("not-an-ip", True), ("8.8.8.8", False), ("93.184.216.34", False), ("2606:4700:4700::1111", False),
    ("::ffff:8.8.8.8", False),
])
def test_forbidden_addresses(address: str, forbidden: bool) -> None:
    assert is_forbidden_address(address) is forbidden


def test_fetch_refusals(oidc_provider: Provider) -> None:  # noqa: F811
    oidc_provider.files["portrait.png"] = (png(), "image/png")
    port = oidc_provider.base.rsplit(":", 1)[1]

    def fetch(url: str, policy: AvatarPolicy) -> bytes:
        return asyncio.run(fetch_limited(url, 1 << 20, policy))

    for url in (f"{oidc_provider.base}/files/portrait.png", f"http://localhost:{port}/files/portrait.png"):
        with pytest.raises(AvatarError, match="disallowed address"):
            fetch(url, AvatarPolicy())
    for url in ("file:///etc/passwd", "ftp://example.com/a.png", "gopher://x"):
        with pytest.raises(AvatarError, match="unsupported URL scheme"):
            fetch(url, AvatarPolicy(allow_private=True))
    assert oidc_provider.file_hits == []
    assert fetch(f"http://localhost:{port}/files/portrait.png", AvatarPolicy(allow_private=True)) == png()


def test_policy_and_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_PRIVATE_ENV, raising=False)
    assert avatar_policy({}) == AvatarPolicy(allow_private=False)
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "true")
    assert avatar_policy({}).allow_private is True
    explicit = AvatarPolicy(max_redirects=1)
    assert avatar_policy({AVATAR_POLICY_KEY: explicit}) is explicit
    assert avatar_file_name("https://avatars.example.com/u/123?v=4") == "123?v=4"
    assert avatar_file_name("https://lh3.example.com/a/ACg8oc=s96-c") == "ACg8oc=s96-c"
    assert avatar_file_name("https://example.com/") == "example.com"
