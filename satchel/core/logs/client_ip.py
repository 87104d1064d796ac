"""The client's IP as PocketBase's ``RealIP()`` sees it (spec 12 §6), and the
``possibleProxyHeader`` hint of ``GET /api/health``.

Pure: it takes the TCP peer address, the request headers (anything with
Starlette's ``getlist``) and ``settings.trustedProxy``.  Used by the rate
limiter, ``superuserIPs``, auth origins, request logs and the health details.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Protocol

from satchel.core.settings.model import TrustedProxyConfig

__all__ = ["HeaderLookup", "normalize_ip", "possible_proxy_header", "real_ip"]

#: headers a proxy commonly sets, checked after the trusted ones (PocketBase's order)
COMMON_PROXY_HEADERS = ("CF-Connecting-IP", "Fly-Client-IP", "X-Forwarded-For")


class HeaderLookup(Protocol):
    def getlist(self, key: str) -> list[str]: ...


@functools.lru_cache(maxsize=4096)  # the same few addresses, parsed on every logged request
def normalize_ip(value: str) -> str:
    """``value`` as Go's ``netip.Addr.StringExpanded`` (IPv6 fully expanded, a
    ``%zone`` kept), or ``""`` when it is not a bare IP (ports, brackets, names)."""
    text = value.strip()
    address, sep, zone = text.partition("%")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if ip.version == 4:
        return "" if sep else str(ip)
    if sep and not zone:
        return ""
    return ip.exploded + (sep + zone)


def real_ip(remote_addr: str, headers: HeaderLookup, proxy: TrustedProxyConfig) -> str:
    """For each trusted header in order: its *last* occurrence, split on commas, the
    rightmost valid IP (leftmost with ``useLeftmostIP``); else the TCP peer."""
    for name in proxy.headers:
        values = headers.getlist(name)
        if not values:
            continue
        ips = [ip for ip in map(normalize_ip, values[-1].split(",")) if ip]
        if ips:
            return ips[0] if proxy.use_leftmost_ip else ips[-1]
    return normalize_ip(remote_addr) or remote_addr


def possible_proxy_header(headers: HeaderLookup, proxy: TrustedProxyConfig) -> str:
    """The first of the trusted headers, then the common proxy ones, that the request
    carries (with a non-empty value), named as listed; ``""`` when none."""
    for name in (*proxy.headers, *COMMON_PROXY_HEADERS):
        if any(headers.getlist(name)):
            return name
    return ""
