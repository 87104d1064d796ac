"""``settings.rateLimits`` applied to requests, as PocketBase's rate-limit middleware.

Every route is checked against the labels ``"<METHOD> <path>"`` and ``"<path>"``;
collection routes (records, files, auth flows) first try their tags:
``"<collection>:<tag>"`` for each tag, then ``"*:<tag>"``.  The first matching
rule (audience ``""``, or ``@guest``/``@auth`` by the caller) counts the request
per client IP; past ``maxRequests`` in ``duration`` seconds the answer is 429
``Too Many Requests.``.  Nothing is checked while the limits are disabled (the
default), for superusers, or for ``excludedIPs``.  A settings change resets all
counters.

Nodes sharing a PostgreSQL database count in it (``app.state["shared_rate_limits"]``, a
:class:`SharedCounter`), so a client spread over the nodes is limited once; the key of a
count carries a digest of the rules, so new rules start new counts on every node.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Protocol

import orjson
from starlette.requests import Request

from satchel.api.client_ip import client_ip, ip_in_list
from satchel.api.request import get_app, get_auth
from satchel.core.settings.model import RateLimitRule, RateLimitsConfig
from satchel.errors import ApiError
from satchel.tools.bus import Message
from satchel.tools.rate_limit import RateLimiters

if TYPE_CHECKING:
    from satchel.app import App

__all__ = ["SHARED_KEY", "RateLimitExceeded", "SharedCounter", "check_rate_limit", "rate_limiters",
           "serve_shared_rate_limits"]  # fmt: skip

STATE_KEY = "rate_limiters"
SHARED_KEY = "shared_rate_limits"
_DIGEST_KEY = "rate_limits_digest"
RATE_LIMIT_REQUEST = "ratelimit.count"
AUTH_AUDIENCES = ("", "@auth")
GUEST_AUDIENCES = ("", "@guest")


class SharedCounter(Protocol):
    async def allow(self, key: str, max_requests: int, duration: int) -> bool:
        """Count one request of ``key`` in its fixed window; False past ``max_requests``."""
        ...


class RateLimitExceeded(Exception):
    """The cause of a 429, worded as the ``details`` of PocketBase's request log entry."""

    def __init__(self, rule: RateLimitRule) -> None:
        shown = {"label": rule.label, "audience": rule.audience, "duration": rule.duration,
                 "maxRequests": rule.max_requests}
        super().__init__(f"triggered rate limit rule: {orjson.dumps(shown).decode()}")


def rate_limiters(app: App, config: RateLimitsConfig) -> RateLimiters:
    """The app's counters for ``config``; new ones when the settings were replaced."""
    held = app.state.get(STATE_KEY)
    if held is None or held[0] is not config:
        held = app.state[STATE_KEY] = (config, RateLimiters())
    limiters: RateLimiters = held[1]
    return limiters


async def check_rate_limit(request: Request, pattern: str, tags: tuple[str, ...] = (), collection: str = "") -> None:
    """Raise the 429 when the request exceeds its rule (``pattern``: the route's path
    pattern, ``tags``: a collection route's; ``collection``: the collection of a route
    without ``{collection}`` in its path, the legacy ``/api/admins``)."""
    app = get_app(request)
    config = app.settings.current.rate_limits
    if not config.enabled:
        return
    auth = await get_auth(request)
    if auth.is_superuser:
        return
    ip = client_ip(request)
    if not ip or (config.excluded_ips and ip_in_list(ip, config.excluded_ips)):
        return
    path_labels = [f"{request.method} {request.url.path}", request.url.path]
    name = collection or request.path_params.get("collection", "")
    c = app.registry.get(name) if tags and name else None
    audiences = GUEST_AUDIENCES if auth.is_guest else AUTH_AUDIENCES
    if c is None:
        labels, limiter_id = path_labels, ""
    else:
        labels = [*(f"{c.name}:{t}" for t in tags), *(f"*:{t}" for t in tags), *path_labels]
        # per collection and route, as PocketBase's collection rate limits
        limiter_id = c.id + pattern + "".join(tags)
    rule = config.find_rule(labels, audiences)
    if rule is None:
        return
    limiter_id = (limiter_id or rule.label) + rule.audience
    if not await _allow(app, config, limiter_id, ip, rule):
        raise ApiError(429) from RateLimitExceeded(rule)


async def _allow(app: App, config: RateLimitsConfig, limiter_id: str, ip: str, rule: RateLimitRule) -> bool:
    """Counted here, or by member 0 among the workers of ``serve --workers`` (a client is
    counted once whichever worker it reaches; while member 0 restarts, requests pass)."""
    shared: SharedCounter | None = app.state.get(SHARED_KEY)
    if shared is not None:  # every node of the database counts in one place
        return await shared.allow(f"{_rules_digest(app, config)}|{limiter_id}|{ip}", rule.max_requests, rule.duration)
    bus = app.bus
    if bus.member == 0 or not app.state.get("workers"):
        return rate_limiters(app, config).allow(limiter_id, ip, rule.max_requests, rule.duration)
    message = {"type": RATE_LIMIT_REQUEST, "id": limiter_id, "ip": ip, "max": rule.max_requests,
               "duration": rule.duration}  # fmt: skip
    answer = await bus.request(0, message)
    return True if answer is None else bool(answer.get("allow"))


def _rules_digest(app: App, config: RateLimitsConfig) -> str:
    """A short digest of the rules, the same on every node (made once per configuration)."""
    held = app.state.get(_DIGEST_KEY)
    if held is None or held[0] is not config:
        rules = [(r.label, r.audience, r.duration, r.max_requests) for r in config.rules]
        held = app.state[_DIGEST_KEY] = (config, hashlib.sha256(orjson.dumps(rules)).hexdigest()[:12])
    digest: str = held[1]
    return digest


def serve_shared_rate_limits(app: App) -> None:
    """Member 0 counts the requests of every worker."""

    async def count(message: Message) -> Message:
        config = app.settings.current.rate_limits
        limiters = rate_limiters(app, config)
        allowed = limiters.allow(str(message.get("id", "")), str(message.get("ip", "")),
                                 int(message.get("max") or 0), int(message.get("duration") or 0))  # fmt: skip
        return {"allow": allowed}

    app.bus.on_request(RATE_LIMIT_REQUEST, count)

