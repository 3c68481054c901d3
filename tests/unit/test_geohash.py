"""The geohash encoder: known cells and properties over the whole globe."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpr.domain import geohash

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
precisions = st.integers(min_value=1, max_value=geohash.MAX_PRECISION)


@pytest.mark.parametrize(
    ("lat", "lon", "precision", "expected"),
    [
        (42.6, -5.6, 5, "ezs42"),  # the example of the original geohash description
        (57.64911, 10.40744, 11, "u4pruydqqvj"),
        (37.7749, -122.4194, 7, "9q8yyk8"),  # San Francisco City Hall area
        (-90.0, -180.0, 4, "0000"),
        (90.0, 180.0, 4, "zzzz"),
    ],
)
def test_known_cells(lat: float, lon: float, precision: int, expected: str) -> None:
    assert geohash.encode(lat, lon, precision) == expected


@given(latitudes, longitudes, precisions)
def test_point_lies_in_its_cell(lat: float, lon: float, precision: int) -> None:
    assert geohash.bounds(geohash.encode(lat, lon, precision)).contains(lat, lon)


@given(latitudes, longitudes, precisions, precisions)
def test_shorter_hash_is_a_prefix(lat: float, lon: float, a: int, b: int) -> None:
    short, long = sorted((a, b))
    assert geohash.encode(lat, lon, long).startswith(geohash.encode(lat, lon, short))


@given(latitudes, longitudes, precisions)
def test_centre_encodes_to_the_same_cell(lat: float, lon: float, precision: int) -> None:
    cell = geohash.encode(lat, lon, precision)
    assert geohash.encode(*geohash.center(cell), precision) == cell


@given(latitudes, longitudes, precisions)
def test_cell_size_halves_per_bit(lat: float, lon: float, precision: int) -> None:
    cell = geohash.bounds(geohash.encode(lat, lon, precision))
    lon_bits = (5 * precision + 1) // 2
    lat_bits = 5 * precision // 2
    assert cell.lon_max - cell.lon_min == pytest.approx(360 / 2**lon_bits)
    assert cell.lat_max - cell.lat_min == pytest.approx(180 / 2**lat_bits)


@given(latitudes, longitudes, precisions)
def test_alphabet_and_length(lat: float, lon: float, precision: int) -> None:
    cell = geohash.encode(lat, lon, precision)
    assert len(cell) == precision
    assert set(cell) <= set(geohash.BASE32)


@pytest.mark.parametrize(("lat", "lon", "precision"), [(91, 0, 6), (0, 181, 6), (0, 0, 0), (0, 0, 13)])
def test_out_of_range_is_refused(lat: float, lon: float, precision: int) -> None:
    with pytest.raises(ValueError):
        geohash.encode(lat, lon, precision)


@pytest.mark.parametrize("text", ["", "ab!", "a" * 13])
def test_bad_hash_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        geohash.bounds(text)


def destination(lat: float, lon: float, bearing_deg: float, distance: float) -> tuple[float, float]:
    """The point `distance` metres from (lat, lon) along `bearing_deg` on the sphere."""
    delta = distance / geohash.EARTH_RADIUS_M
    theta, phi1, lam1 = math.radians(bearing_deg), math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lam2 = lam1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lam2) + 540) % 360 - 180


city_latitudes = st.floats(min_value=-70, max_value=70, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    city_latitudes,
    longitudes,
    st.floats(min_value=1, max_value=3000),
    st.integers(min_value=4, max_value=6),
    st.floats(min_value=0, max_value=360),
    st.floats(min_value=0, max_value=0.999),
)
def test_cover_holds_every_point_of_the_circle(
    lat: float, lon: float, radius: float, precision: int, bearing: float, fraction: float
) -> None:
    point = destination(lat, lon, bearing, radius * fraction)
    assert geohash.encode(*point, precision) in geohash.cover_circle(lat, lon, radius, precision)


@settings(max_examples=40, deadline=None)
@given(city_latitudes, longitudes, st.floats(min_value=1, max_value=3000))
def test_cover_has_no_cell_out_of_reach(lat: float, lon: float, radius: float) -> None:
    cells = geohash.cover_circle(lat, lon, radius, 6)
    assert geohash.encode(lat, lon, 6) in cells
    for cell in cells:
        box = geohash.bounds(cell)
        nearest_lat = min(max(lat, box.lat_min), box.lat_max)
        nearest_lon = min(max(lon, box.lon_min), box.lon_max)
        # Away from the antimeridian the nearest point of a cell is a plain clamp.
        if box.lon_min - 1 < lon < box.lon_max + 1:
            assert geohash.distance_m(lat, lon, nearest_lat, nearest_lon) <= radius + 1e-6


def test_cover_across_the_antimeridian() -> None:
    cells = geohash.cover_circle(0.0, 179.999, 1000, 6)
    assert any(geohash.bounds(c).lon_min < 0 for c in cells)
    assert any(geohash.bounds(c).lon_max > 0 for c in cells)


def test_distance() -> None:
    # One degree of latitude is about 111.2 km.
    assert geohash.distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)
