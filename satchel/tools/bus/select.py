"""The bus of a node sharing a PostgreSQL database: chosen by ``serve --bus`` (``SATCHEL_BUS``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from satchel.tools.bus.nodebus import NodeBus

__all__ = ["UnknownBus", "bus_channel", "open_node_bus"]


class UnknownBus(ValueError):
    """``--bus`` names no bus Satchel has."""


def bus_channel(db_url: str) -> str:
    """The channel (Redis) or subject (NATS) of the app kept in ``db_url``'s database.

    Named after the database, so that the nodes of one app meet whatever host name each
    uses for PostgreSQL, and apps of other databases sharing the Redis or NATS server
    do not hear them (Redis pub/sub ignores the ``/db`` number)."""
    path = urlsplit(db_url).path.strip("/") or "postgres"
    return "satchel." + re.sub(r"[^A-Za-z0-9_-]", "_", path)


def open_node_bus(bus_url: str, db_url: str) -> NodeBus:
    """PostgreSQL's ``LISTEN/NOTIFY`` when ``bus_url`` is empty, else Redis or NATS."""
    scheme = urlsplit(bus_url).scheme.lower() if bus_url else ""
    if not scheme:
        from satchel.tools.bus.postgres import PgBus

        return PgBus(db_url)
    if scheme in ("redis", "rediss", "unix"):
        from satchel.tools.bus.redisbus import RedisBus

        return RedisBus(bus_url, bus_channel(db_url))
    if scheme in ("nats", "tls"):
        from satchel.tools.bus.natsbus import NatsBus

        return NatsBus(bus_url, bus_channel(db_url))
    raise UnknownBus(f"unknown bus {bus_url!r}: use redis://host:port/db or nats://host:port")
