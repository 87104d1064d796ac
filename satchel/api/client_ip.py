"""The client's address as PocketBase sees it, and address lists (rate limits, health).

Apart from :mod:`satchel.api.record_auth` so that serving ``/api/health`` or checking a
rate limit does not import the auth flows (start-up, docs/performance.md).
"""

from __future__ import annotations

from starlette.requests import Request

from satchel.api.request import get_app
from satchel.core.logs import real_ip

__all__ = ["client_ip", "ip_in_list"]


def client_ip(request: Request) -> str:
    """PocketBase's ``RealIP()`` (trusted proxy headers, else the TCP peer)."""
    peer = request.client.host if request.client else ""
    return real_ip(peer, request.headers, get_app(request).settings.current.trusted_proxy)


def ip_in_list(ip: str, allowed: list[str]) -> bool:
    """Whether ``ip`` is one of ``allowed`` (addresses or CIDR networks)."""
    import ipaddress  # only with a rate-limit rule naming addresses

    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if "/" in entry:
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
            elif addr == ipaddress.ip_address(entry):
                return True
        except ValueError:
            continue
    return False
