"""A small OAuth2/OIDC provider for tests, served on loopback by uvicorn in a thread.

Endpoints: ``/authorize`` (redirects back with a code), ``/token`` (HTTP Basic
client auth, PKCE S256 check), ``/userinfo`` (Bearer) and ``/jwks``.  The
``id_token`` is RS256-signed with a key published at ``/jwks``.

Avatars: ``/files/{name}`` serves ``Provider.files[name]`` with a Content-Length
(after ``Provider.file_delay`` seconds), ``/stream/{name}`` the same in chunks
without one, ``/redirect/{n}/{name}`` redirects ``n`` times before reaching
``/files/{name}``; every hit is recorded in ``Provider.file_hits``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.auth_support import free_port

CLIENT_ID, CLIENT_SECRET = "test-client", "test-client-secret"


@dataclass
class Provider:
    base: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> claims
    challenges: dict[str, str] = field(default_factory=dict)  # code -> S256 challenge
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # access token -> claims
    token_requests: list[dict[str, str]] = field(default_factory=list)
    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    signing_key: Any = None  # a different key to forge tokens
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # name -> (content, content type)
    file_hits: list[str] = field(default_factory=list)  # request paths of /files, /stream, /redirect
    file_delay: float = 0.0  # seconds /files waits before answering

    def issue_code(self, claims: dict[str, Any], challenge: str = "") -> str:
        code = secrets.token_urlsafe(12)
        self.users[code] = claims
        if challenge:
            self.challenges[code] = challenge
        return code

    def id_token(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        payload = {"iss": self.base, "aud": CLIENT_ID, "iat": now, "exp": now + 600, **claims}
        return jwt.encode(payload, self.signing_key or self.key, algorithm="RS256", headers={"kid": "k1"})

    def jwks(self) -> dict[str, Any]:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}


def _app(p: Provider) -> Starlette:
    async def authorize(request: Request) -> Response:
        q = request.query_params
        code = p.issue_code({"sub": "browser-user", "email": "popup@example.com", "email_verified": True},
                            q.get("code_challenge", ""))
        return RedirectResponse(f"{q['redirect_uri']}?state={q['state']}&code={code}", 302)

    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        p.token_requests.append({**form, "authorization": request.headers.get("authorization", "")})
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, 401)
        code = form.get("code", "")
        claims = p.users.pop(code, None)
        if claims is None:
            return JSONResponse({"error": "invalid_grant"}, 400)
        challenge = p.challenges.pop(code, "")
        if challenge:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != challenge:
                return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        access = secrets.token_urlsafe(16)
        p.tokens[access] = claims
        return JSONResponse({"access_token": access, "refresh_token": "RT_" + access, "token_type": "Bearer",
                             "expires_in": 3600, "id_token": p.id_token(claims)})

    async def userinfo(request: Request) -> Response:
        claims = p.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if claims is None:
            return JSONResponse({"error": "invalid_token"}, 401)
        return JSONResponse(claims)

    async def jwks(request: Request) -> Response:
        return JSONResponse(p.jwks())

    def served(request: Request) -> tuple[bytes, str] | None:
        p.file_hits.append(request.url.path)
        return p.files.get(request.path_params["name"])

    async def files(request: Request) -> Response:
        found = served(request)
        deadline = time.monotonic() + p.file_delay
        while p.file_delay and time.monotonic() < deadline:  # setting file_delay = 0 ends the wait
            await asyncio.sleep(0.02)
        return Response(found[0], media_type=found[1]) if found else JSONResponse({"error": "not found"}, 404)

    async def stream(request: Request) -> Response:
        found = served(request)
        if not found:
            return JSONResponse({"error": "not found"}, 404)
        content = found[0]

        async def chunks() -> Any:
            for i in range(0, len(content), 65536):
                yield content[i:i + 65536]

        return StreamingResponse(chunks(), media_type=found[1])

    async def redirect(request: Request) -> Response:
        p.file_hits.append(request.url.path)
        n, name = int(request.path_params["n"]), request.path_params["name"]
        target = f"/redirect/{n - 1}/{name}" if n > 1 else f"/files/{name}"
        return RedirectResponse(target, 302)

    return Starlette(routes=[
        Route("/authorize", authorize), Route("/token", token, methods=["POST"]),
        Route("/userinfo", userinfo), Route("/jwks", jwks),
        Route("/files/{name}", files), Route("/stream/{name}", stream), Route("/redirect/{n:int}/{name}", redirect),
    ])


@pytest.fixture
def oidc_provider() -> Iterator[Provider]:
    port = free_port()
    provider = Provider(base=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(_app(provider), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(5)


def provider_entry(p: Provider, *, userinfo: bool = True, jwks: bool = True, name: str = "oidc") -> dict[str, Any]:
    return {
        "name": name, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
        "authURL": f"{p.base}/authorize", "tokenURL": f"{p.base}/token",
        "userInfoURL": f"{p.base}/userinfo" if userinfo else "",
        "displayName": "Test IdP", "pkce": None,
        "extra": {"jwksURL": f"{p.base}/jwks", "issuers": [p.base]} if jwks else {},
    }
