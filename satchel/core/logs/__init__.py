"""Operations logging: the client IP behind trusted proxies (spec 12 §6).

* :mod:`.client_ip` -- PocketBase's ``RealIP()`` and the health ``possibleProxyHeader`` (pure).
"""

from satchel.core.logs.client_ip import HeaderLookup, normalize_ip, possible_proxy_header, real_ip

__all__ = ["HeaderLookup", "normalize_ip", "possible_proxy_header", "real_ip"]
