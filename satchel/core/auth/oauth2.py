"""OAuth2 providers (spec 10 §8): defaults, the authorization URL, the code exchange
with PKCE, and the user info (OIDC ``id_token`` checked against the JWKS).

Provider defaults (display names, logos, scopes, PKCE, endpoints) are package
data captured from PocketBase 0.40.6 (``satchel/core/oauth2_providers.json``).
HTTP goes through httpx; tests may inject a transport with :data:`TRANSPORT_KEY`
in ``app.state`` (the real local provider is used by the test suite).
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from satchel.tools.security import random_string, s256_challenge
from satchel.tools.timeutil import format_datetime

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AuthUser",
    "OAuth2Error",
    "ProviderConfig",
    "auth_url",
    "exchange_code",
    "fetch_auth_user",
    "known_provider",
    "provider_config",
    "provider_defaults",
]

HTTP_TIMEOUT = 30.0
STATE_LENGTH = 30
VERIFIER_LENGTH = 43


class OAuth2Error(Exception):
    """The provider refused the code or the user info could not be read."""


@cache
def _table() -> dict[str, dict[str, Any]]:
    raw = Path(__file__).parent.parent.joinpath("oauth2_providers.json").read_bytes()
    return {p["name"]: p for p in orjson.loads(raw)["providers"]}


def known_provider(name: str) -> bool:
    return name in _table()


def provider_defaults(name: str) -> dict[str, Any]:
    return dict(_table().get(name) or {})


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    name: str
    client_id: str
    client_secret: str
    auth_url: str
    token_url: str
    user_info_url: str
    display_name: str
    pkce: bool
    scopes: tuple[str, ...]
    logo: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    auth_params: Mapping[str, str] = field(default_factory=dict)
    jwks_url: str = ""


def provider_config(entry: Mapping[str, Any]) -> ProviderConfig:
    """A collection's provider entry completed with the provider defaults."""
    name = str(entry.get("name") or "")
    d = provider_defaults(name)
    pkce = entry.get("pkce")
    extra = dict(entry.get("extra") or {})
    return ProviderConfig(
        name=name,
        client_id=str(entry.get("clientId") or ""),
        client_secret=str(entry.get("clientSecret") or ""),
        auth_url=str(entry.get("authURL") or d.get("authURL") or ""),
        token_url=str(entry.get("tokenURL") or d.get("tokenURL") or ""),
        user_info_url=str(entry.get("userInfoURL") or d.get("userInfoURL") or ""),
        display_name=str(entry.get("displayName") or d.get("displayName") or name),
        pkce=bool(d.get("pkce", True)) if pkce is None else bool(pkce),
        scopes=tuple(d.get("scopes") or ()),
        logo=str(d.get("logo") or ""),
        extra=extra,
        auth_params=dict(d.get("authParams") or {}),
        jwks_url=str(extra.get("jwksURL") or d.get("jwksURL") or ""),
    )


def auth_url(config: ProviderConfig) -> dict[str, str]:
    """The auth-methods provider item fields: a fresh state and PKCE pair."""
    state = random_string(STATE_LENGTH)
    verifier = challenge = method = ""
    params: dict[str, str] = {"client_id": config.client_id, "response_type": "code", "state": state}
    if config.scopes:
        params["scope"] = " ".join(config.scopes)
    if config.pkce:
        verifier = random_string(VERIFIER_LENGTH)
        challenge = s256_challenge(verifier)
        method = "S256"
        params.update(code_challenge=challenge, code_challenge_method=method)
    params.update(config.auth_params)
    query = urllib.parse.urlencode(sorted(params.items()))
    sep = "&" if "?" in config.auth_url else "?"
    url = f"{config.auth_url}{sep}{query}&redirect_uri="
    return {
        "state": state,
        "authURL": url,
        "codeVerifier": verifier,
        "codeChallenge": challenge,
        "codeChallengeMethod": method,
    }


# -- code exchange and user info ----------------------------------------------------------


@dataclass
class AuthUser:
    id: str = ""
    name: str = ""
    username: str = ""
    email: str = ""
    avatar_url: str = ""
    access_token: str = ""
    refresh_token: str = ""
    expiry: str = ""
    raw_user: dict[str, Any] = field(default_factory=dict)

    def meta(self, is_new: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "email": self.email,
            "avatarURL": self.avatar_url,
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "expiry": self.expiry,
            "rawUser": self.raw_user,
            "isNew": is_new,
            "avatarUrl": self.avatar_url,
        }


def _client(transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    import httpx  # imported on first OAuth2 use: ~18 MB and 60 ms at start-up otherwise

    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, transport=transport, follow_redirects=True)


async def exchange_code(
    config: ProviderConfig,
    code: str,
    verifier: str,
    redirect_url: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """POST the token endpoint (client credentials in HTTP Basic, then in the body)."""
    import httpx
    form = {"code": code, "grant_type": "authorization_code", "redirect_uri": redirect_url}
    if verifier:
        form["code_verifier"] = verifier
    headers = {"Accept": "application/json"}
    async with _client(transport) as client:
        try:
            r = await client.post(config.token_url, data=form, headers=headers,
                                  auth=(config.client_id, config.client_secret))
            if r.status_code in (400, 401):
                body = {**form, "client_id": config.client_id, "client_secret": config.client_secret}
                r = await client.post(config.token_url, data=body, headers=headers)
        except httpx.HTTPError as exc:
            raise OAuth2Error(str(exc)) from exc
    if r.status_code >= 300:
        raise OAuth2Error(f"token endpoint answered {r.status_code}: {r.text[:200]}")
    token = _parse_token_body(r)
    if not token.get("access_token"):
        raise OAuth2Error("missing access_token")
    return token


def _parse_token_body(r: httpx.Response) -> dict[str, Any]:
    if "json" in r.headers.get("content-type", ""):
        try:
            data = r.json()
        except ValueError as exc:
            raise OAuth2Error("invalid token response") from exc
        return dict(data) if isinstance(data, dict) else {}
    return {k: v[0] for k, v in urllib.parse.parse_qs(r.text).items()}


def _expiry(token: Mapping[str, Any]) -> str:
    try:
        seconds = int(token.get("expires_in") or 0)
    except (TypeError, ValueError):
        seconds = 0
    if not seconds:
        return ""
    from datetime import UTC, datetime

    return format_datetime(datetime.fromtimestamp(time.time() + seconds, UTC))


def _id_token_leeway() -> float:
    raw = os.environ.get("PB_ID_TOKEN_LEEWAY", "")
    try:
        return float(raw) if raw else 300.0
    except ValueError:
        return 300.0


async def _id_token_claims(
    config: ProviderConfig, token: Mapping[str, Any], transport: httpx.AsyncBaseTransport | None
) -> dict[str, Any]:
    import httpx
    import jwt

    id_token = str(token.get("id_token") or "")
    if not id_token:
        raise OAuth2Error("empty id_token")
    leeway = _id_token_leeway()
    options: Any = {"require": [], "verify_aud": True, "verify_iat": True}
    if config.jwks_url:
        async with _client(transport) as client:
            try:
                r = await client.get(config.jwks_url)
                r.raise_for_status()
                jwks = jwt.PyJWKSet.from_dict(r.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                raise OAuth2Error(f"failed to load the JWKS: {exc}") from exc
        header = jwt.get_unverified_header(id_token)
        keys = [k for k in jwks.keys if not header.get("kid") or k.key_id == header.get("kid")]
        if not keys:
            raise OAuth2Error("id_token validation failed: no matching key")
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token, keys[0], algorithms=[str(header.get("alg") or "RS256")],
                audience=config.client_id, leeway=leeway, options=options,
            )
        except jwt.PyJWTError as exc:
            raise OAuth2Error(f"id_token validation failed: {exc}") from exc
    else:
        try:
            claims = jwt.decode(
                id_token, options={**options, "verify_signature": False},  # type: ignore[arg-type]
                audience=config.client_id, leeway=leeway,
            )
        except jwt.PyJWTError as exc:
            raise OAuth2Error(f"invalid id_token: {exc}") from exc
    issuers = [str(i) for i in (config.extra.get("issuers") or [])]
    if issuers and claims.get("iss") not in issuers:
        raise OAuth2Error(f"iss must be one of {issuers}, got {claims.get('iss')!r}")
    return claims


async def _raw_user(
    config: ProviderConfig, token: Mapping[str, Any], transport: httpx.AsyncBaseTransport | None
) -> dict[str, Any]:
    import httpx

    if not config.user_info_url:
        return await _id_token_claims(config, token, transport)
    async with _client(transport) as client:
        try:
            r = await client.get(config.user_info_url, headers={
                "Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise OAuth2Error(str(exc)) from exc
    if r.status_code >= 300:
        raise OAuth2Error(f"user info answered {r.status_code}")
    try:
        data = r.json()
    except ValueError as exc:
        raise OAuth2Error("invalid user info") from exc
    if not isinstance(data, dict):
        raise OAuth2Error("invalid user info")
    return data


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true")
    return bool(value)


def _map_user(name: str, raw: Mapping[str, Any]) -> AuthUser:
    def s(*keys: str) -> str:
        for key in keys:
            value = raw.get(key)
            if value not in (None, ""):
                return str(value)
        return ""

    user = AuthUser(raw_user=dict(raw))
    if name.startswith("oidc") or name in ("google", "apple"):
        user.id, user.name, user.username = s("sub"), s("name"), s("preferred_username")
        user.avatar_url = s("picture")
        if _truthy(raw.get("email_verified")):
            user.email = s("email")
    elif name == "discord":
        user.id, user.name, user.username = s("id"), s("global_name", "username"), s("username")
        if raw.get("avatar"):
            user.avatar_url = f"https://cdn.discordapp.com/avatars/{s('id')}/{s('avatar')}.png"
        if _truthy(raw.get("verified")):
            user.email = s("email")
    elif name == "microsoft":
        user.id, user.name, user.email = s("id"), s("displayName"), s("mail")
    else:
        user.id = s("id", "sub")
        user.name = s("name", "full_name", "display_name", "displayName")
        user.username = s("login", "username", "preferred_username", "screen_name")
        user.avatar_url = s("avatar_url", "picture", "avatar", "profile_image_url")
        verified = raw.get("email_verified", raw.get("verified", True))
        if _truthy(verified):
            user.email = s("email")
    return user


async def fetch_auth_user(
    config: ProviderConfig, token: Mapping[str, Any], transport: httpx.AsyncBaseTransport | None = None
) -> AuthUser:
    raw = await _raw_user(config, token, transport)
    user = _map_user(config.name, raw)
    if not user.id:
        raise OAuth2Error("missing user id")
    user.access_token = str(token.get("access_token") or "")
    user.refresh_token = str(token.get("refresh_token") or "")
    user.expiry = _expiry(token)
    return user
