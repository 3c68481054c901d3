"""Canvass areas: exact containment, covers that miss no read, limits refused with the reason."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain import geohash
from alpr.domain.canvass import (
    MAX_QUERIES,
    Circle,
    Polygon,
    SearchLimits,
    plan_canvass,
    polygon_from_geojson,
    window_days,
)
from alpr.domain.errors import InvalidRequest

CENTRE = (37.8044, -122.2712)  # Oakland
LIMITS = SearchLimits()
T0 = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)


def destination(lat: float, lon: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point `distance_m` from (lat, lon) along a great circle (the haversine's inverse)."""
    d = distance_m / geohash.EARTH_RADIUS_M
    b, p1, l1 = math.radians(bearing_deg), math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-122.275, 37.80], [-122.265, 37.80], [-122.265, 37.81], [-122.275, 37.81], [-122.275, 37.80]],
        [[-122.271, 37.804], [-122.269, 37.804], [-122.269, 37.806], [-122.271, 37.806], [-122.271, 37.804]],
    ],
}


@pytest.mark.parametrize("bearing", [0.0, 45.0, 90.0, 200.0, 333.3])
def test_a_read_exactly_on_the_radius_is_inside(bearing: float) -> None:
    lat, lon = destination(*CENTRE, bearing, 250.0)
    circle = Circle(*CENTRE, 250.0)
    assert circle.contains(lat, lon)
    assert not circle.contains(*destination(*CENTRE, bearing, 250.05))
    assert geohash.encode(lat, lon, 7) in circle.cover(7)


def test_polygon_with_a_hole() -> None:
    polygon = polygon_from_geojson({"type": "Feature", "geometry": SQUARE, "properties": {}})
    assert polygon.contains(37.802, -122.273)
    assert not polygon.contains(37.805, -122.270)  # in the hole
    assert not polygon.contains(37.811, -122.270)  # north of it
    assert 0.75e6 < polygon.area_m2() < 0.95e6  # ~0.88 km x 1.11 km minus the hole


@given(
    st.floats(min_value=-30, max_value=30),
    st.floats(min_value=-30, max_value=30),
    st.floats(min_value=20, max_value=1500),
)
def test_circle_cover_holds_every_point_of_the_circle(north_m: float, east_m: float, radius: float) -> None:
    # Given a point inside a circle, its cell is in the plan whatever precision is chosen
    lat, lon = destination(*CENTRE, math.degrees(math.atan2(east_m, north_m)) % 360, radius * 0.999)
    circle = Circle(*CENTRE, radius)
    plan = plan_canvass(circle, T0, T0 + timedelta(hours=1), LIMITS)
    assert any(geohash.encode(lat, lon, len(cell)) == cell for cell in plan.cells)


@given(st.floats(min_value=37.8, max_value=37.81), st.floats(min_value=-122.275, max_value=-122.265))
def test_polygon_cover_holds_every_point_of_the_polygon(lat: float, lon: float) -> None:
    polygon = polygon_from_geojson(SQUARE)
    if not polygon.contains(lat, lon):
        return
    plan = plan_canvass(polygon, T0, T0 + timedelta(hours=1), LIMITS)
    assert any(geohash.encode(lat, lon, len(cell)) == cell for cell in plan.cells)


def test_small_radius_uses_the_fine_index_and_large_the_coarse() -> None:
    small = plan_canvass(Circle(*CENTRE, 150), T0, T0 + timedelta(hours=2), LIMITS)
    large = plan_canvass(Circle(*CENTRE, 1500), T0, T0 + timedelta(hours=2), LIMITS)
    assert small.precision == 7 and len(small.cells) * len(small.days) <= MAX_QUERIES
    assert large.precision == 6


def test_a_long_window_uses_coarser_cells_to_bound_the_queries() -> None:
    # Given a 1 km circle: fine cells for an evening, coarse ones for a week
    evening = plan_canvass(Circle(*CENTRE, 1000), T0 - timedelta(hours=4), T0, LIMITS)
    week = plan_canvass(Circle(*CENTRE, 1000), T0 - timedelta(days=7), T0, LIMITS)
    assert evening.precision == 7
    assert week.precision == 6
    assert len(week.partitions) <= MAX_QUERIES


def test_a_window_crossing_midnight_queries_both_days_newest_first() -> None:
    assert window_days(T0, T0 + timedelta(hours=3)) == ("2026-11-21", "2026-11-20")
    plan = plan_canvass(Circle(*CENTRE, 100), T0, T0 + timedelta(hours=3), LIMITS)
    assert [key.split("#")[1] for _, key in plan.partitions[:1]] == ["2026-11-21"]
    assert len(plan.partitions) == 2 * len(plan.cells)


def test_window_longer_than_the_limit_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidRequest, match="at most 7 days"):
        plan_canvass(Circle(*CENTRE, 100), T0, T0 + timedelta(days=7, seconds=1), LIMITS)
    with pytest.raises(InvalidRequest, match="at most 2 days"):
        plan_canvass(Circle(*CENTRE, 100), T0, T0 + timedelta(days=3), SearchLimits(canvass_max_days=2))


def test_reversed_window_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="'from' is after 'to'"):
        plan_canvass(Circle(*CENTRE, 100), T0, T0 - timedelta(hours=1), LIMITS)


def test_area_larger_than_the_limit_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidRequest, match=r"at most 10 km²"):
        plan_canvass(Circle(*CENTRE, 2000), T0, T0 + timedelta(hours=1), LIMITS)
    with pytest.raises(InvalidRequest, match=r"at most 0.5 km²"):
        plan_canvass(
            polygon_from_geojson(SQUARE), T0, T0 + timedelta(hours=1), SearchLimits(canvass_max_area_km2=0.5)
        )


@pytest.mark.parametrize(
    "geojson",
    [
        {"type": "Point", "coordinates": [-122.27, 37.8]},
        {"type": "Polygon", "coordinates": [[[-122.27, 37.8], [-122.26, 37.8], [-122.26, 37.81]]]},
        {
            "type": "Polygon",
            "coordinates": [[[-122.27, 37.8], [-122.26, 37.8], [-122.26, 37.81], [-122.2, 37.0]]],
        },
        {"type": "Polygon", "coordinates": [[[37.8, -222.27], [0, 0], [1, 1], [37.8, -222.27]]]},
        {"type": "Polygon", "coordinates": "nope"},
    ],
)
def test_malformed_polygons_are_refused(geojson: dict) -> None:
    with pytest.raises(InvalidRequest):
        polygon_from_geojson(geojson)


@pytest.mark.parametrize("radius", [0.0, -5.0, math.inf, math.nan])
def test_radius_must_be_positive(radius: float) -> None:
    with pytest.raises(InvalidRequest, match="radius_m"):
        Circle(*CENTRE, radius)


def test_full_parent_cells_are_queried_once() -> None:
    # Given a polygon that is exactly one geohash-6 cell
    cell = geohash.bounds("9q9p3t")
    ring = [
        [cell.lon_min + 1e-9, cell.lat_min + 1e-9],
        [cell.lon_max - 1e-9, cell.lat_min + 1e-9],
        [cell.lon_max - 1e-9, cell.lat_max - 1e-9],
        [cell.lon_min + 1e-9, cell.lat_max - 1e-9],
        [cell.lon_min + 1e-9, cell.lat_min + 1e-9],
    ]
    polygon = Polygon((tuple((lon, lat) for lon, lat in ring),))
    plan = plan_canvass(polygon, T0, T0 + timedelta(hours=1), LIMITS)
    assert plan.cells == ("9q9p3t",)


# --- issue 19, item 2: a polygon's area cannot be netted down by invalid rings -------------------

CITY = [[-122.35, 37.70], [-122.15, 37.70], [-122.15, 37.88], [-122.35, 37.88], [-122.35, 37.70]]


def test_a_hole_outside_the_outer_ring_is_refused() -> None:
    # Given a city-sized ring and a "hole" of the same size beside it: the areas cancel
    beside = [[lon + 0.3, lat] for lon, lat in CITY]
    # Then the polygon is refused before its area is trusted
    with pytest.raises(InvalidRequest, match="hole"):
        polygon_from_geojson({"type": "Polygon", "coordinates": [CITY, beside]})


def test_a_bow_tie_ring_is_refused() -> None:
    # A ring whose edges cross: the shoelace areas of its two lobes cancel
    bow_tie = [[-122.35, 37.70], [-122.15, 37.88], [-122.15, 37.70], [-122.35, 37.88], [-122.35, 37.70]]
    with pytest.raises(InvalidRequest, match="cross"):
        polygon_from_geojson({"type": "Polygon", "coordinates": [bow_tie]})


def test_a_city_with_a_hole_that_nets_a_small_area_is_refused_by_the_cells_it_would_query() -> None:
    # Given a city ring with a hole inside it leaving a thin band under the area limit
    inner = [[-122.3499, 37.7001], [-122.1501, 37.7001], [-122.1501, 37.8799], [-122.3499, 37.8799]]
    polygon = polygon_from_geojson({"type": "Polygon", "coordinates": [CITY, [*inner, inner[0]]]})
    assert polygon.area_m2() / 1e6 < LIMITS.canvass_max_area_km2
    # Then the canvass is refused: its cover spans the whole city
    with pytest.raises(InvalidRequest, match="cells"):
        plan_canvass(polygon, T0, T0 + timedelta(hours=1), LIMITS)


def test_a_valid_polygon_with_a_hole_inside_is_still_accepted() -> None:
    assert plan_canvass(polygon_from_geojson(SQUARE), T0, T0 + timedelta(hours=1), LIMITS).cells


# --- issue 19, item 3: the service area bounds a canvass before any cover is computed ------------


@pytest.mark.timeout(5)
@pytest.mark.parametrize(
    ("lat", "lon", "radius"),
    [(-90.0, -180.0, 1.0), (89.9999, 0.0, 1000.0), (0.0, 0.0, 500.0), (40.7, -74.0, 300.0)],
)
def test_a_canvass_outside_the_service_area_is_refused_before_any_cover(
    lat: float, lon: float, radius: float
) -> None:
    with pytest.raises(InvalidRequest, match="service area"):
        plan_canvass(Circle(lat, lon, radius), T0, T0 + timedelta(hours=1), LIMITS)


def test_a_configured_service_area_replaces_the_default() -> None:
    # Given a department whose jurisdiction is a box around Oakland
    oakland = SearchLimits(
        service_area=(
            (-122.35, 37.70),
            (-122.15, 37.70),
            (-122.15, 37.88),
            (-122.35, 37.88),
            (-122.35, 37.70),
        )
    )
    # Then a canvass downtown is planned and one in San Jose is refused
    assert plan_canvass(Circle(*CENTRE, 300), T0, T0 + timedelta(hours=1), oakland).cells
    with pytest.raises(InvalidRequest, match="service area"):
        plan_canvass(Circle(37.3382, -121.8863, 300), T0, T0 + timedelta(hours=1), oakland)


@pytest.mark.timeout(5)
def test_a_cover_too_large_to_build_is_refused_before_it_is_built() -> None:
    # Given limits that let a huge area through (a misconfiguration), the cover is bounded in cells
    loose = SearchLimits(canvass_max_area_km2=1e9, canvass_max_days=1)
    with pytest.raises(InvalidRequest, match="cells"):
        plan_canvass(Circle(37.0, -119.5, 300_000), T0, T0 + timedelta(hours=1), loose)
