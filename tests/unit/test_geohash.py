"""The geohash encoder: known cells and properties over the whole globe."""

import pytest
from hypothesis import given
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
