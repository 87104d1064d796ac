"""The OAuth2 avatar of a new account, downloaded for a ``file`` field.

When an auth collection maps ``oauth2.mappedFields.avatarURL`` to a file field,
PocketBase downloads the provider's avatar URL on sign-up and stores it like an
upload; a failed download is logged and the sign-up goes on without it.  Here:

- the fetch goes through :class:`satchel.tools.safe_http.GuardedTransport`
  (no loopback/private/link-local/reserved addresses, checked on every
  connection, redirects included), at most :attr:`AvatarPolicy.max_redirects`
  redirects, one deadline for the whole download, a 2xx answer required;
- the body is streamed and the download abandoned as soon as it passes the
  field's ``maxSize`` (5 MB when unset; never more than 32 MB);
- the file is named like an upload (PocketBase's ``path.Base(url)`` normalized,
  the extension sniffed when the name has none) and becomes a
  :class:`~satchel.core.files.storage.PendingFile`, stored by the record write path
  inside the sign-up transaction;
- a file the field would refuse (size, MIME type) is skipped like a failed
  download (PocketBase would fail the whole sign-up on it).

Internal addresses are allowed when ``app.state[AVATAR_POLICY_KEY]`` holds an
:class:`AvatarPolicy` with ``allow_private=True`` or when the environment
variable ``SATCHEL_OAUTH2_AVATAR_ALLOW_PRIVATE`` is ``1``/``true`` (an identity
provider on the local network).
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from satchel.core.fields import FileField
from satchel.core.files.storage import PendingFile, prepare_upload

__all__ = [
    "ALLOW_PRIVATE_ENV",
    "AVATAR_POLICY_KEY",
    "AvatarError",
    "AvatarPolicy",
    "avatar_file_name",
    "avatar_policy",
    "download_avatar",
    "fetch_limited",
]

log = logging.getLogger("satchel.oauth2")

AVATAR_POLICY_KEY = "oauth2_avatar_policy"
ALLOW_PRIVATE_ENV = "SATCHEL_OAUTH2_AVATAR_ALLOW_PRIVATE"
HARD_MAX_BYTES = 32 << 20  # PocketBase's DefaultMaxBodySize, the most it reads of an avatar


@dataclass(frozen=True, slots=True)
class AvatarPolicy:
    allow_private: bool = False
    timeout: float = 10.0  # the whole download, as PocketBase's context
    max_redirects: int = 3


class AvatarError(Exception):
    """The avatar could not be downloaded (or was refused)."""


def avatar_policy(state: Mapping[str, Any]) -> AvatarPolicy:
    """The policy in ``app.state``, else the default with the environment's opt-in."""
    policy = state.get(AVATAR_POLICY_KEY)
    if isinstance(policy, AvatarPolicy):
        return policy
    allow = os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "t", "true", "yes")
    return AvatarPolicy(allow_private=allow)


def avatar_file_name(url: str) -> str:
    """PocketBase names the file after ``path.Base(url)`` (query string included)."""
    base = url.rstrip("/").rsplit("/", 1)[-1]
    return base or "avatar"


async def fetch_limited(url: str, limit: int, policy: AvatarPolicy) -> bytes:
    """GET ``url`` through the guarded transport; at most ``limit`` bytes of body."""
    import httpx

    from satchel.tools.safe_http import GuardedTransport

    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        raise AvatarError(f"unsupported URL scheme in {url[:100]!r}")
    client = httpx.AsyncClient(transport=GuardedTransport(allow_private=policy.allow_private), trust_env=False,
                               follow_redirects=True, max_redirects=policy.max_redirects, timeout=policy.timeout)
    try:
        async with asyncio.timeout(policy.timeout), client, client.stream("GET", url) as response:
            if not 200 <= response.status_code < 300:
                raise AvatarError(f"failed to download {url[:100]!r} ({response.status_code})")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise AvatarError(f"the avatar is larger than {limit} bytes ({declared})")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise AvatarError(f"the avatar is larger than {limit} bytes")
            return bytes(body)
    except TimeoutError as exc:
        raise AvatarError(f"downloading {url[:100]!r} timed out") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise AvatarError(str(exc) or type(exc).__name__) from exc


async def download_avatar(url: str, f: FileField, policy: AvatarPolicy) -> PendingFile | None:
    """The avatar as an upload for ``f``, or ``None`` (logged) when it can't be had."""
    try:
        data = await fetch_limited(url, min(f.effective_max_size, HARD_MAX_BYTES), policy)
        if not data:
            raise AvatarError("cannot create an empty file")
        pending = prepare_upload(avatar_file_name(url), io.BytesIO(data))
        error = f.validate_value(pending)
        if error is not None:
            raise AvatarError(f"refused by the {f.name!r} field: {error.message}")
    except AvatarError as exc:
        log.warning("Failed to retrieve OAuth2 avatar %s: %s", url[:200], exc)
        return None
    return pending
