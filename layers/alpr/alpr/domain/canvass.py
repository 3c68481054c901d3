"""Crime-scene canvass: every read inside an area (circle or polygon) and a time window.

Answered from the cell-day indexes of the Reads table: the geohash cells covering the area
at a precision sized to it, times the UTC days of the window, one index query per
(cell, day) with the window as the sort-key range; then the exact point-in-area test
(haversine for a circle, ray casting for a polygon).

Before any cover is built, the area must lie inside the service area (the department's
jurisdiction) and be valid GeoJSON (simple rings, holes inside the exterior); the cover is
bounded in cells before it is built, and the cells it would query in area afterwards, so
neither a far-off point nor a cancelling hole makes one request scan a city or pin the API.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel, Field

from alpr.domain import geohash
from alpr.domain.errors import InvalidRequest
from alpr.domain.models import as_utc
from alpr.names import (
    READS_BY_CELL7_DAY_INDEX,
    READS_BY_CELL_DAY_INDEX,
    READS_CELL7_DAY_KEY,
    READS_CELL_DAY_KEY,
)

BOUNDARY_TOLERANCE_M = 0.001  # a read on the circle's edge (to the millimetre) is inside it
# The finest precision whose cover takes at most this many index queries (cells x days): about
# 2-4 s of DynamoDB round trips in the API function, well inside API Gateway's 29 s.
MAX_QUERIES = 400
# A cover is estimated from the area's bounding box before it is built; a precision whose cover
# would pass this many cells is not built at all (a coarser one may be; none: refused).
MAX_COVER_CELLS = 4096
# The cells a canvass queries may span at most this many times the area limit (a cover is
# bigger than its area, but a city's worth of cells for a thin band is a bypass).
MAX_COVER_FACTOR = 8
MAX_POSITIONS = 500  # positions of a drawn polygon, all rings: its validity check is quadratic
_METRES_PER_DEGREE = math.pi * geohash.EARTH_RADIUS_M / 180


# California's bounding box (lon, lat), closed: the default service area of a department that has
# not set its own jurisdiction (`ALPR_SERVICE_AREA`).
CALIFORNIA: tuple[tuple[float, float], ...] = (
    (-124.6, 32.4),
    (-114.0, 32.4),
    (-114.0, 42.1),
    (-124.6, 42.1),
    (-124.6, 32.4),
)


class SearchLimits(BaseModel):
    """How far a canvass may reach (policy 439.4: the surroundings of an incident), and where:
    the service area (the department's jurisdiction), an exterior ring of (lon, lat) positions."""

    canvass_max_days: int = Field(default=7, ge=1)
    canvass_max_area_km2: float = Field(default=10.0, gt=0)
    image_url_seconds: int = Field(default=300, ge=1, le=3600)
    service_area: tuple[tuple[float, float], ...] = Field(default=CALIFORNIA, min_length=4)


def parse_service_area(text: str) -> tuple[tuple[float, float], ...]:
    """The service area from its setting: a bounding box `[west, south, east, north]`, or a GeoJSON
    Polygon (or a Feature holding one) whose exterior ring is kept; California when empty."""
    if not text.strip():
        return CALIFORNIA
    data = json.loads(text)
    if isinstance(data, list) and len(data) == 4 and all(isinstance(v, int | float) for v in data):
        west, south, east, north = (float(v) for v in data)
        if not (west < east and south < north):
            raise ValueError(f"service area box {data} is not [west, south, east, north]")
        return ((west, south), (east, south), (east, north), (west, north), (west, south))
    geometry = data.get("geometry") if isinstance(data, dict) and data.get("type") == "Feature" else data
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise ValueError("the service area must be [west, south, east, north] or a GeoJSON Polygon")
    return tuple((float(lon), float(lat)) for lon, lat in geometry["coordinates"][0])


@dataclass(frozen=True)
class CellIndex:
    """A GSI of the Reads table keyed by `<geohash of precision>#<YYYY-MM-DD>`."""

    precision: int
    index: str
    attribute: str


# Finest first: the planner picks the finest whose cover is small enough.
CELL_INDEXES: tuple[CellIndex, ...] = (
    CellIndex(7, READS_BY_CELL7_DAY_INDEX, READS_CELL7_DAY_KEY),
    CellIndex(6, READS_BY_CELL_DAY_INDEX, READS_CELL_DAY_KEY),
)
_BY_PRECISION = {ci.precision: ci for ci in CELL_INDEXES}


class Area(Protocol):
    def contains(self, lat: float, lon: float) -> bool:
        """True when the point is inside the area (its boundary included)."""
        ...

    def area_m2(self) -> float:
        """The area's size in square metres."""
        ...

    def cover(self, precision: int) -> set[str]:
        """Every geohash cell of `precision` that may hold a point of the area."""
        ...

    def describe(self) -> dict[str, Any]:
        """The area as the access log records it."""
        ...

    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees; every longitude when the area reaches a pole."""
        ...


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise InvalidRequest(f"the centre ({self.lat}, {self.lon}) is not a position on Earth")
        if not self.radius_m > 0 or math.isinf(self.radius_m):
            raise InvalidRequest("'radius_m' must be a positive number of metres")

    def contains(self, lat: float, lon: float) -> bool:
        return geohash.distance_m(self.lat, self.lon, lat, lon) <= self.radius_m + BOUNDARY_TOLERANCE_M

    def area_m2(self) -> float:
        return math.pi * self.radius_m**2

    def cover(self, precision: int) -> set[str]:
        return geohash.cover_circle(self.lat, self.lon, self.radius_m + BOUNDARY_TOLERANCE_M, precision)

    def describe(self) -> dict[str, Any]:
        return {"type": "circle", "lat": self.lat, "lon": self.lon, "radius_m": self.radius_m}

    def bbox(self) -> tuple[float, float, float, float]:
        dlat = (self.radius_m + BOUNDARY_TOLERANCE_M) / _METRES_PER_DEGREE
        south, north = max(-90.0, self.lat - dlat), min(90.0, self.lat + dlat)
        widest = max(abs(south), abs(north))
        if widest >= 89.9:
            return -180.0, south, 180.0, north
        dlon = dlat / math.cos(math.radians(widest))
        if dlon >= 180.0:
            return -180.0, south, 180.0, north
        return self.lon - dlon, south, self.lon + dlon, north


Ring = tuple[tuple[float, float], ...]  # (lon, lat) positions, closed (first == last)


def _in_ring(ring: Ring, lat: float, lon: float) -> bool:
    # Ray casting: count edges crossed by the ray from the point towards +longitude.
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat):
            cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < cross:
                inside = not inside
    return inside


def _segments_cross(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> bool:
    def orient(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2, d3, d4 = orient(c, d, a), orient(c, d, b), orient(a, b, c), orient(a, b, d)
    if d1 == d2 == d3 == d4 == 0:  # on one line: they meet only if their extents overlap
        return all(
            max(min(a[k], b[k]), min(c[k], d[k])) <= min(max(a[k], b[k]), max(c[k], d[k])) for k in (0, 1)
        )
    return (d1 * d2 <= 0) and (d3 * d4 <= 0)


def _edges(ring: Ring) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return list(itertools.pairwise(ring))


def _self_crossing(ring: Ring) -> bool:
    # A simple ring: no two edges meet except neighbours at their shared position.
    edges = _edges(ring)
    last = len(edges) - 1
    for i, (a, b) in enumerate(edges):
        for j in range(i + 1, len(edges)):
            c, d = edges[j]
            if j == i + 1:  # neighbours share a position; they may not fold back over each other
                if _collinear_back(a, b, d):
                    return True
                continue
            if i == 0 and j == last:  # the closing edge and the first share the first position
                if _collinear_back(c, a, b):
                    return True
                continue
            if _segments_cross(a, b, c, d):
                return True
    return False


def _collinear_back(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> bool:
    # r lies on the line p-q on p's side of q: the ring turns back along its own edge.
    cross = (q[0] - p[0]) * (r[1] - q[1]) - (q[1] - p[1]) * (r[0] - q[0])
    dot = (q[0] - p[0]) * (r[0] - q[0]) + (q[1] - p[1]) * (r[1] - q[1])
    return cross == 0 and dot < 0


def _rings_cross(one: Ring, other: Ring) -> bool:
    return any(_segments_cross(a, b, c, d) for a, b in _edges(one) for c, d in _edges(other))


@dataclass(frozen=True)
class Polygon:
    """A GeoJSON polygon: an exterior ring and optional holes, positions as (lon, lat)."""

    rings: tuple[Ring, ...]

    def __post_init__(self) -> None:
        if not self.rings:
            raise InvalidRequest("a polygon needs an exterior ring")
        for ring in self.rings:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise InvalidRequest(
                    "each polygon ring needs at least 4 positions and must end where it starts (GeoJSON)"
                )
            for lon, lat in ring:
                if not -90.0 <= lat <= 90.0 or not -180.0 <= lon <= 180.0:
                    raise InvalidRequest(f"[{lon}, {lat}] is not a position on Earth ([lon, lat])")
        if sum(len(ring) for ring in self.rings) > MAX_POSITIONS:
            raise InvalidRequest(f"a canvass polygon may have at most {MAX_POSITIONS} positions")
        # GeoJSON validity (RFC 7946 § 3.1.6): otherwise a bow-tie or a hole outside the
        # exterior nets a city down to a small area and passes the area limit.
        for ring in self.rings:
            if _self_crossing(ring):
                raise InvalidRequest("a polygon ring may not cross itself (a bow-tie is two polygons)")
        exterior, *holes = self.rings
        for n, hole in enumerate(holes):
            if _rings_cross(hole, exterior) or not all(
                _in_ring(exterior, lat, lon) for lon, lat in hole[:-1]
            ):
                raise InvalidRequest("each hole of a polygon must lie inside its exterior ring")
            for other in holes[n + 1 :]:
                if (
                    _rings_cross(hole, other)
                    or _in_ring(other, hole[0][1], hole[0][0])
                    or _in_ring(hole, other[0][1], other[0][0])
                ):
                    raise InvalidRequest("the holes of a polygon may not overlap")

    def contains(self, lat: float, lon: float) -> bool:
        exterior, *holes = self.rings
        return _in_ring(exterior, lat, lon) and not any(_in_ring(hole, lat, lon) for hole in holes)

    def _ring_area_m2(self, ring: Ring) -> float:
        # Shoelace on a local equirectangular projection: exact enough for city-sized areas.
        lat0 = math.radians(sum(lat for _, lat in ring) / len(ring))
        xs = [lon * _METRES_PER_DEGREE * math.cos(lat0) for lon, _ in ring]
        ys = [lat * _METRES_PER_DEGREE for _, lat in ring]
        twice = sum(xs[i] * ys[i + 1] - xs[i + 1] * ys[i] for i in range(len(ring) - 1))
        return abs(twice) / 2

    def area_m2(self) -> float:
        exterior, *holes = self.rings
        return max(0.0, self._ring_area_m2(exterior) - sum(self._ring_area_m2(h) for h in holes))

    def _touches(self, box: geohash.Cell) -> bool:
        exterior = self.rings[0]
        corners = (
            (box.lon_min, box.lat_min),
            (box.lon_max, box.lat_min),
            (box.lon_max, box.lat_max),
            (box.lon_min, box.lat_max),
        )
        if any(box.contains(lat, lon) for lon, lat in exterior):
            return True
        if any(_in_ring(exterior, lat, lon) for lon, lat in corners):
            return True
        edges = list(zip(corners, corners[1:] + corners[:1], strict=True))
        return any(_segments_cross(a, b, c, d) for a, b in itertools.pairwise(exterior) for c, d in edges)

    def cover(self, precision: int) -> set[str]:
        exterior = self.rings[0]
        lon_lo, lon_hi = min(x for x, _ in exterior), max(x for x, _ in exterior)
        lat_lo, lat_hi = min(y for _, y in exterior), max(y for _, y in exterior)
        probe = geohash.bounds(geohash.encode(lat_lo, lon_lo, precision))
        cell_h, cell_w = probe.lat_max - probe.lat_min, probe.lon_max - probe.lon_min
        cells: set[str] = set()
        row_lat = probe.lat_min
        while row_lat <= lat_hi:
            col_lon = probe.lon_min
            while col_lon <= lon_hi:
                box = geohash.Cell(row_lat, row_lat + cell_h, col_lon, col_lon + cell_w)
                if self._touches(box):
                    cells.add(geohash.encode(row_lat + cell_h / 2, col_lon + cell_w / 2, precision))
                col_lon += cell_w
            row_lat += cell_h
        return cells

    def describe(self) -> dict[str, Any]:
        return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in self.rings]}

    def bbox(self) -> tuple[float, float, float, float]:
        exterior = self.rings[0]
        lons, lats = [x for x, _ in exterior], [y for _, y in exterior]
        return min(lons), min(lats), max(lons), max(lats)


def polygon_from_geojson(data: Any) -> Polygon:
    """A Polygon from a GeoJSON Polygon geometry, or a Feature holding one; InvalidRequest if not."""
    geometry = data.get("geometry") if isinstance(data, dict) and data.get("type") == "Feature" else data
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise InvalidRequest("the area must be a GeoJSON Polygon (or a Feature with a Polygon geometry)")
    try:
        rings = tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in geometry["coordinates"])
    except (KeyError, TypeError, ValueError, IndexError):
        raise InvalidRequest("the polygon's coordinates must be rings of [lon, lat] positions") from None
    return Polygon(rings)


@dataclass(frozen=True)
class CanvassPlan:
    """Which index partitions a canvass queries: cells by days, newest day first."""

    precision: int
    cells: tuple[str, ...]
    days: tuple[str, ...]

    @property
    def partitions(self) -> list[tuple[CellIndex, str]]:
        """(index, partition key) for each cell-day; cells may be coarser than `precision`
        where a whole parent cell is covered (same items, fewer queries)."""
        return [(_BY_PRECISION[len(cell)], f"{cell}#{day}") for day in self.days for cell in self.cells]


def window_days(start: datetime, end: datetime) -> tuple[str, ...]:
    """The UTC days a window touches, newest first."""
    first, last = as_utc(start).date(), as_utc(end).date()
    count = (last - first).days
    return tuple((last - timedelta(days=n)).isoformat() for n in range(count + 1))


def check_window(start: datetime, end: datetime, limits: SearchLimits) -> None:
    """InvalidRequest when the window is reversed or longer than the configured limit."""
    if start > end:
        raise InvalidRequest("'from' is after 'to'")
    if end - start > timedelta(days=limits.canvass_max_days):
        raise InvalidRequest(
            f"a canvass window may span at most {limits.canvass_max_days} days "
            f"(asked: {(end - start) / timedelta(days=1):.1f} days); split it into shorter windows"
        )


def check_area(area: Area, limits: SearchLimits) -> None:
    """InvalidRequest when the area is empty or larger than the configured limit."""
    size_km2 = area.area_m2() / 1e6
    if size_km2 <= 0:
        raise InvalidRequest("the area is empty")
    if size_km2 > limits.canvass_max_area_km2:
        raise InvalidRequest(
            f"a canvass area may cover at most {limits.canvass_max_area_km2:g} km² (asked: {size_km2:.2f} km²); "
            "a canvass is for the surroundings of an incident"
        )


def check_service_area(area: Area, limits: SearchLimits) -> None:
    """InvalidRequest when the area reaches outside the service area (the department's
    jurisdiction): its bounding box's corners must lie inside it. Cheap: no cover is built."""
    service = limits.service_area
    west, south, east, north = area.bbox()
    corners = ((west, south), (east, south), (east, north), (west, north))
    if not all(_in_ring(service, lat, lon) for lon, lat in corners):
        raise InvalidRequest(
            "the canvass area reaches outside the service area (the department's jurisdiction): "
            "a canvass is for the surroundings of an incident within it"
        )


def estimate_cells(area: Area, precision: int) -> int:
    """An upper bound on the cells of the area's cover at `precision`, from its bounding box."""
    west, south, east, north = area.bbox()
    cell = geohash.bounds(
        geohash.encode(min(max(south, -90.0), 90.0), min(max(west, -180.0), 180.0), precision)
    )
    rows = math.ceil((north - south) / (cell.lat_max - cell.lat_min)) + 2
    cols = math.ceil((east - west) / (cell.lon_max - cell.lon_min)) + 2
    return rows * cols


def cells_area_km2(cells: set[str]) -> float:
    """The ground the cells cover (a cell is small enough to be a flat rectangle)."""
    total = 0.0
    for cell in cells:
        box = geohash.bounds(cell)
        mid = math.radians((box.lat_min + box.lat_max) / 2)
        total += (
            (box.lat_max - box.lat_min)
            * _METRES_PER_DEGREE
            * (box.lon_max - box.lon_min)
            * _METRES_PER_DEGREE
            * math.cos(mid)
        )
    return total / 1e6


def _merge_full_parents(cells: set[str]) -> set[str]:
    # A parent whose 32 children are all in the cover holds exactly the same reads: one query, not 32.
    by_parent: dict[str, set[str]] = defaultdict(set)
    for cell in cells:
        by_parent[cell[:-1]].add(cell)
    merged: set[str] = set()
    for parent, children in by_parent.items():
        if len(children) == len(geohash.BASE32) and len(parent) in _BY_PRECISION:
            merged.add(parent)
        else:
            merged |= children
    return merged


def plan_canvass(
    area: Area,
    start: datetime,
    end: datetime,
    limits: SearchLimits,
    indexes: Sequence[CellIndex] = CELL_INDEXES,
) -> CanvassPlan:
    """The cell-day partitions for the area and window, at the finest precision whose cover
    takes at most `MAX_QUERIES` index queries over the window's days (the coarsest otherwise).

    InvalidRequest, before any cover is built, for an area outside the service area or a cover
    that would pass `MAX_COVER_CELLS` cells; and for cells spanning more than `MAX_COVER_FACTOR`
    times the area limit."""
    check_window(start, end, limits)
    check_service_area(area, limits)
    check_area(area, limits)
    days = window_days(start, end)
    chosen: CellIndex | None = None
    cells: set[str] = set()
    for index in indexes:
        if estimate_cells(area, index.precision) > MAX_COVER_CELLS:
            continue  # too many cells to even build: try a coarser index
        cells = _merge_full_parents(area.cover(index.precision))
        chosen = index
        if len(cells) * len(days) <= MAX_QUERIES:
            break
    if chosen is None:
        raise InvalidRequest(
            f"the canvass area would need more than {MAX_COVER_CELLS} index cells: "
            "a canvass is for the surroundings of an incident"
        )
    queried_km2 = cells_area_km2(cells)
    if queried_km2 > MAX_COVER_FACTOR * limits.canvass_max_area_km2:
        raise InvalidRequest(
            f"the index cells this canvass would query cover {queried_km2:.0f} km², more than "
            f"{MAX_COVER_FACTOR} times the {limits.canvass_max_area_km2:g} km² limit: draw the area itself, "
            "not a large ring with a hole"
        )
    return CanvassPlan(precision=chosen.precision, cells=tuple(sorted(cells)), days=days)
