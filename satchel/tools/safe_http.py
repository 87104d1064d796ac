"""An httpx transport that refuses to connect to internal addresses (SSRF guard).

For downloads of URLs Satchel did not choose itself (an OAuth2 provider's avatar
URL).  The check happens where the socket is opened: the host name is resolved
here, each address is checked, and the connection goes to a checked address, so
a DNS answer that changes between check and connect cannot slip through and
every redirect hop is checked the same way.  TLS still verifies the host name
(httpcore sends the URL's host as SNI).  No proxies (the proxy would be the only
address checked) and no Unix sockets.

Loopback, private, link-local, multicast, reserved, unspecified and every other
non-global address (IPv4-mapped IPv6 unwrapped first) is refused unless the
transport is made with ``allow_private=True``.

This module imports httpx and httpcore: import it lazily, where a download
happens (httpx costs ~18 MB and 60 ms at start-up).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpcore
import httpx

__all__ = ["GuardedBackend", "GuardedTransport", "is_forbidden_address"]


def is_forbidden_address(address: str) -> bool:
    """True for an address a fetch of an untrusted URL must not reach (and for
    anything that is not an IP address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's AnyIO backend, connecting only to allowed addresses."""

    def __init__(self, *, allow_private: bool = False) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The addresses of ``host`` allowed to be reached (raises when none)."""
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        allowed = [a for a in addresses if self.allow_private or not is_forbidden_address(a)]
        if not allowed:
            shown = ", ".join(addresses) or "nothing"
            raise httpcore.ConnectError(f"{host!r} resolves to a disallowed address ({shown})")
        return allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self.resolve(host, port, timeout):
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # resolve() returns at least one address
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    """httpcore's exceptions as the httpx ones a client expects."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise httpx.TimeoutException(str(exc), request=request) from exc
    except httpcore.ConnectError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
            httpcore.ProxyError) as exc:
        raise httpx.TransportError(str(exc), request=request) from exc


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: httpcore.Response, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for chunk in self._response.aiter_stream():
                yield chunk

    async def aclose(self) -> None:
        with _mapped(self._request):
            await self._response.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=GuardedTransport())``: HTTP/1.1 over the guarded backend."""

    def __init__(self, *, allow_private: bool = False, max_connections: int = 4) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(allow_private=allow_private),
            max_connections=max_connections,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):  # pragma: no cover - httpx always sets one
            raise TypeError("an async request stream is required")
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped(request):
            response = await self._pool.handle_async_request(core_request)
        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=_ResponseStream(response, request), extensions=response.extensions)

    async def aclose(self) -> None:
        await self._pool.aclose()
