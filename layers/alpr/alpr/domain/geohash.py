"""Geohash encoding (base32, interleaved longitude/latitude bits), written out in full."""

from __future__ import annotations

from typing import NamedTuple

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(BASE32)}
MAX_PRECISION = 12


class Cell(NamedTuple):
    """The bounding box of a geohash cell (degrees, edges included on the south/west side)."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max


def encode(lat: float, lon: float, precision: int = 6) -> str:
    """The geohash of a point, `precision` characters long."""
    if not -90.0 <= lat <= 90.0 or not -180.0 <= lon <= 180.0:
        raise ValueError(f"position out of range: lat={lat}, lon={lon}")
    if not 1 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision must be 1..{MAX_PRECISION}, got {precision}")
    ranges = {"lon": [-180.0, 180.0], "lat": [-90.0, 90.0]}
    point = {"lon": lon, "lat": lat}
    value = 0
    for i in range(precision * 5):
        axis = "lon" if i % 2 == 0 else "lat"  # even bits split longitude, odd bits latitude
        span = ranges[axis]
        mid = (span[0] + span[1]) / 2
        bit = int(point[axis] >= mid)
        span[1 - bit] = mid
        value = value << 1 | bit
    return "".join(BASE32[(value >> (5 * k)) & 31] for k in range(precision - 1, -1, -1))


def bounds(geohash: str) -> Cell:
    """The box a geohash stands for."""
    if not geohash or len(geohash) > MAX_PRECISION:
        raise ValueError(f"a geohash has 1..{MAX_PRECISION} characters, got {geohash!r}")
    ranges = {"lon": [-180.0, 180.0], "lat": [-90.0, 90.0]}
    for n, char in enumerate(geohash):
        if char not in _INDEX:
            raise ValueError(f"not a geohash character: {char!r}")
        for shift in range(4, -1, -1):
            span = ranges["lon" if (n * 5 + 4 - shift) % 2 == 0 else "lat"]
            mid = (span[0] + span[1]) / 2
            span[1 - ((_INDEX[char] >> shift) & 1)] = mid
    (lat_min, lat_max), (lon_min, lon_max) = ranges["lat"], ranges["lon"]
    return Cell(lat_min, lat_max, lon_min, lon_max)


def center(geohash: str) -> tuple[float, float]:
    """The (lat, lon) centre of a cell."""
    cell = bounds(geohash)
    return (cell.lat_min + cell.lat_max) / 2, (cell.lon_min + cell.lon_max) / 2
