"""Investigator searches over real HTTP on the local stack: partial plate, canvass, one read's links."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from alpr.client.http import AlprClient, ApiError, UnitCapture
from alpr.client.search import as_geojson, canvass_circle, canvass_polygon, get_read, search_pattern
from alpr.demo.synth import render_scene
from tests.e2e.test_walking_skeleton import unique_plate

pytestmark = pytest.mark.e2e

SCENE = (38.06100, -122.22800)  # away from the other e2e tests' positions
FAR = (38.07900, -122.22800)  # 2 km north


@pytest.fixture(scope="module")
def sightings(unit: AlprClient, investigator: AlprClient) -> dict[str, dict]:
    """Two rendered plates uploaded and read, one at the scene, one 2 km away: {plate read: read}.

    Found by position, not by the rendered text, so a misread character cannot fail the setup.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    keys = {}
    for seed, position in enumerate((SCENE, FAR)):
        image, _ = render_scene(unique_plate(), "CA", seed=11 + seed)
        capture = UnitCapture(
            captured_at=now - timedelta(minutes=10), lat=position[0], lon=position[1], heading=0.0
        )
        keys[unit.upload(image, capture)] = position
    reads: dict[str, dict] = {}
    deadline = time.monotonic() + 90
    while len(reads) < len(keys) and time.monotonic() < deadline:
        for key, position in keys.items():
            found = [
                r for r in canvass_circle(investigator, *position, 30.0)["items"] if r["image_key"] == key
            ]
            if found:
                reads[found[0]["plate"]] = found[0]
        time.sleep(0.5)
    assert len(reads) == len(keys), "recognition did not read both uploads"
    return dict(sorted(reads.items(), key=lambda item: item[1]["lat"]))  # the scene (south) first


def test_partial_plate_finds_the_plate(investigator: AlprClient, sightings: dict) -> None:
    plate = next(iter(sightings))
    pattern = plate[:3] + "?" + plate[4:] if len(plate) >= 5 else plate[:3] + "*"
    result = search_pattern(investigator, pattern)
    assert plate in result["plates"]
    assert {r["read_id"] for r in result["items"]} >= {sightings[plate]["read_id"]}
    assert all("not an identification" in r["disclaimer"] and "hotlist_hits" in r for r in result["items"])


def test_too_broad_pattern_is_refused(investigator: AlprClient) -> None:
    with pytest.raises(ApiError) as refused:
        search_pattern(investigator, "7*")
    assert refused.value.status == 400 and "known characters" in refused.value.body["message"]


def test_canvass_circle_finds_the_scene_only(investigator: AlprClient, sightings: dict) -> None:
    scene_plate, far_plate = list(sightings)
    result = canvass_circle(investigator, *SCENE, 300.0)
    plates = {r["plate"] for r in result["items"]}
    assert scene_plate in plates and far_plate not in plates
    geojson = as_geojson(result)
    assert geojson["features"][0]["properties"]["radius_m"] == 300.0
    assert [SCENE[1], SCENE[0]] in [f["geometry"]["coordinates"] for f in geojson["features"][1:]]


def test_canvass_polygon_finds_the_far_plate_only(investigator: AlprClient, sightings: dict) -> None:
    scene_plate, far_plate = list(sightings)
    lat, lon = FAR
    ring = [
        [lon - 0.002, lat - 0.002],
        [lon + 0.002, lat - 0.002],
        [lon + 0.002, lat + 0.002],
        [lon - 0.002, lat + 0.002],
    ]
    result = canvass_polygon(investigator, {"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    plates = {r["plate"] for r in result["items"]}
    assert far_plate in plates and scene_plate not in plates


def test_canvass_window_longer_than_a_week_is_refused(investigator: AlprClient) -> None:
    with pytest.raises(ApiError) as refused:
        canvass_circle(investigator, *SCENE, 300.0, start=datetime.now(UTC) - timedelta(days=8))
    assert refused.value.status == 400 and "at most 7 days" in refused.value.body["message"]


def test_one_read_links_its_image_and_crop(investigator: AlprClient, sightings: dict) -> None:
    read = next(iter(sightings.values()))
    detail = get_read(investigator, read["read_id"])
    assert detail["plate"] == read["plate"]
    image = requests.get(detail["image_url"], timeout=10)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"  # the uploaded JPEG
    crop = requests.get(detail["crop_url"], timeout=10)  # recognize stores it at crops/<read_id>.jpg
    assert crop.status_code == 200 and crop.content[:2] == b"\xff\xd8"


def test_the_image_route_redirects_to_the_image_and_the_crop(
    investigator: AlprClient, sightings: dict
) -> None:
    read = next(iter(sightings.values()))
    detail = get_read(investigator, read["read_id"])
    image = investigator.read_image(read["read_id"])
    assert image == requests.get(detail["image_url"], timeout=10).content
    crop = investigator.read_image(read["read_id"], crop=True)
    assert crop == requests.get(detail["crop_url"], timeout=10).content and crop != image
