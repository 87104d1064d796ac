"""``geoPoint`` — ``{"lon": x, "lat": y}``; ``{0,0}`` is the empty value."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from satchel.core.fields._gocompat import json_number
from satchel.core.fields.base import ColumnKind, Field, required_error
from satchel.errors import ValidationError

__all__ = ["GeoPointField", "parse_geo_point"]


def _zero() -> dict[str, int | float]:
    return {"lon": 0, "lat": 0}


def parse_geo_point(raw: Any) -> dict[str, int | float]:
    """``types.GeoPoint.Scan``: an object (or its JSON text); anything else is ``{0,0}``."""
    if raw is None:
        return _zero()
    if isinstance(raw, (bytes, bytearray)):
        raw = bytes(raw).decode("utf-8", "replace")
    if isinstance(raw, str):
        if raw == "":
            return _zero()
        try:
            raw = json.loads(raw)
        except ValueError:
            return _zero()
    if raw is None:
        return _zero()
    if not isinstance(raw, dict):
        return _zero()
    point: dict[str, float] = {"lon": 0.0, "lat": 0.0}
    for wanted in ("lon", "lat"):
        key = wanted if wanted in raw else next((k for k in raw if isinstance(k, str) and k.lower() == wanted), None)
        if key is None or raw[key] is None:
            continue
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _zero()
        number = float(value)
        if not math.isfinite(number):
            return _zero()
        point[wanted] = number
    return {"lon": json_number(point["lon"]), "lat": json_number(point["lat"])}


@dataclass(kw_only=True)
class GeoPointField(Field):
    """A ``{lon, lat}`` point (``geoPoint``)."""
    type: ClassVar[str] = "geoPoint"
    OPTIONS: ClassVar[tuple[tuple[str, str], ...]] = (("help", "str"), ("required", "bool"))

    help: str = ""
    required: bool = False

    @property
    def column_kind(self) -> ColumnKind:
        return ColumnKind.GEO_POINT

    def prepare_value(self, raw: Any) -> dict[str, int | float]:
        return parse_geo_point(raw)

    def validate_value(self, value: Any, *, is_new: bool = True, original: Any = None) -> ValidationError | None:
        if not isinstance(value, dict):
            return ValidationError("validation_unsupported_value_type", "Invalid or unsupported value type.")
        lon, lat = value.get("lon", 0), value.get("lat", 0)
        if lat == 0 and lon == 0:
            return required_error() if self.required else None
        if not -90 <= lat <= 90:
            return ValidationError("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees.")
        if not -180 <= lon <= 180:
            return ValidationError("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees.")
        return None

    def to_db(self, value: Any) -> str:
        point = parse_geo_point(value)
        return json.dumps(point, separators=(",", ":"))

    def from_db(self, raw: Any) -> dict[str, int | float]:
        return parse_geo_point(raw)

    def is_empty_value(self, value: Any) -> bool:
        point = parse_geo_point(value)
        return point["lon"] == 0 and point["lat"] == 0
