"""Geohash encoding (base32, interleaved longitude/latitude bits), written out in full."""

from __future__ import annotations

import math
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


EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
_METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _wrap_lon(lon: float) -> float:
    return (lon + 180.0) % 360.0 - 180.0


def _nearest_in_cell(cell: Cell, lat: float, lon: float) -> tuple[float, float]:
    near_lat = min(max(lat, cell.lat_min), cell.lat_max)
    # Longitude wraps: compare against the cell shifted next to the point.
    centre_lon = (cell.lon_min + cell.lon_max) / 2
    shift = _wrap_lon(lon - centre_lon) - (lon - centre_lon)
    near_lon = min(max(lon, cell.lon_min - shift), cell.lon_max - shift)
    return near_lat, near_lon


def cover_circle(lat: float, lon: float, radius_m: float, precision: int) -> set[str]:
    """Every geohash cell of `precision` that holds a point within `radius_m` of (lat, lon)."""
    if radius_m < 0:
        raise ValueError("radius must not be negative")
    probe = bounds(encode(lat, lon, precision))
    cell_h, cell_w = probe.lat_max - probe.lat_min, probe.lon_max - probe.lon_min
    dlat = radius_m / _METRES_PER_DEGREE
    lat_lo, lat_hi = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    widest = max(abs(lat_lo), abs(lat_hi))
    if widest >= 89.9 or radius_m >= math.pi * EARTH_RADIUS_M / 2:
        lon_lo, lon_hi = -180.0, 180.0 - cell_w / 2  # the circle reaches round a pole: every longitude
    else:
        dlon = dlat / math.cos(math.radians(widest))
        lon_lo, lon_hi = lon - dlon, lon + dlon
    cells: set[str] = set()
    rows = math.floor((lat_lo + 90.0) / cell_h), math.floor((min(lat_hi, 90.0 - 1e-12) + 90.0) / cell_h)
    cols = math.floor((lon_lo + 180.0) / cell_w), math.floor((lon_hi + 180.0) / cell_w)
    for row in range(rows[0], rows[1] + 1):
        row_lat = -90.0 + row * cell_h
        for col in range(cols[0], min(cols[1], cols[0] + round(360.0 / cell_w) - 1) + 1):
            west = _wrap_lon(-180.0 + col * cell_w)
            box = Cell(row_lat, row_lat + cell_h, west, west + cell_w)
            if distance_m(lat, lon, *_nearest_in_cell(box, lat, lon)) <= radius_m:
                cells.add(encode(row_lat + cell_h / 2, west + cell_w / 2, precision))
    return cells
