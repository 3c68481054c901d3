"""Partial-plate and canvass searches over the in-memory store: what they return and what they read."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from alpr.domain.canvass import Area, Circle, SearchLimits, polygon_from_geojson
from alpr.domain.clock import FixedClock
from alpr.domain.errors import InvalidRequest, NotFound
from alpr.domain.ids import derived_ulid
from alpr.domain.models import BoundingBox, Read
from alpr.domain.patterns import parse_pattern
from alpr.domain.reads import FINE_CELL_PRECISION, cell_day, time_key
from alpr.domain.search import (
    MAX_FANOUT,
    MAX_PATTERN_PLATES,
    CanvassPage,
    PatternPage,
    one_by_one,
    read_detail,
    search_canvass,
    search_pattern,
    threads,
)
from tests.fakes.memory_search import MemorySearchStore
from tests.unit.test_canvass import CENTRE, destination

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)
LIMITS = SearchLimits()
EVER = datetime(2020, 1, 1, tzinfo=UTC)


def a_read(
    plate: str,
    at: datetime,
    lat: float = CENTRE[0],
    lon: float = CENTRE[1],
    *,
    n: int = 0,
    expired: bool = False,
) -> Read:
    read_id = derived_ulid(at, plate, str(lat), str(lon), str(n))
    return Read(
        read_id=read_id,
        plate=plate,
        state="CA",
        confidence=0.93,
        char_confidences=[0.93] * len(plate),
        low_confidence=False,
        captured_at=at,
        captured_key=time_key(at, read_id),
        unit_id="unit-07",
        lat=lat,
        lon=lon,
        cell_day=cell_day(lat, lon, at),
        cell7_day=cell_day(lat, lon, at, FINE_CELL_PRECISION),
        image_bucket="uploads",
        image_key=f"raw/unit-07/{read_id}.jpg",
        crop_key=f"crops/{read_id}.jpg",
        box=BoundingBox(x=1, y=2, w=3, h=4),
        model_version="test",
        expires_at=int((NOW - timedelta(seconds=1)).timestamp())
        if expired
        else int((at + timedelta(days=365)).timestamp()),
        ingested_at=at,
    )


def store_of(*reads: Read) -> MemorySearchStore:
    store = MemorySearchStore()
    for read in reads:
        store.put_read(read)
    return store


def find(
    store: MemorySearchStore,
    text: str,
    start: datetime = EVER,
    *,
    limit: int = 50,
    token: str | None = None,
    eq: bool = False,
) -> PatternPage:
    return search_pattern(
        store, parse_pattern(text, equivalents=eq), start, NOW, limit=limit, token=token, clock=CLOCK
    )


def canvass(
    store: MemorySearchStore,
    area: Area,
    start: datetime,
    end: datetime = NOW,
    *,
    limit: int = 50,
    token: str | None = None,
) -> CanvassPage:
    return search_canvass(store, area, start, end, LIMITS, limit=limit, token=token, clock=CLOCK)


# --- partial plates ---


def test_pattern_returns_reads_of_every_matching_plate_and_no_other() -> None:
    store = store_of(
        a_read("7ABC123", NOW - timedelta(hours=1)),
        a_read("7ABC123", NOW - timedelta(hours=3)),
        a_read("7ABD123", NOW - timedelta(hours=2)),
        a_read("7XBC123", NOW - timedelta(hours=2)),
    )
    page = find(store, "7AB?123")
    assert page.plates == ["7ABC123", "7ABD123"]
    assert [r.plate for r in page.items] == ["7ABC123", "7ABC123", "7ABD123"]
    assert page.items[0].captured_at > page.items[1].captured_at
    assert page.next is None
    # And Reads were read only through the index, item for item what came back
    assert store.items_read == 3


def test_pattern_with_equivalents_finds_a_misread() -> None:
    store = store_of(a_read("7A8C0I2", NOW - timedelta(hours=1)))
    assert find(store, "7AB*O12").items == []
    page = find(store, "7AB*O12", eq=True)
    assert page.plates == ["7A8C0I2"]


def test_pattern_skips_plates_not_seen_in_the_window() -> None:
    store = store_of(a_read("7ABC123", NOW - timedelta(days=30)), a_read("7ABD123", NOW - timedelta(hours=1)))
    page = find(store, "7AB?123", NOW - timedelta(days=1))
    assert page.plates == ["7ABD123"]
    assert store.requests == 3  # trigram lookup, the matching plates' entries, one index query


def test_pattern_with_three_known_in_a_row_reads_the_trigram_index_not_the_dictionary() -> None:
    # Given a dictionary of many plates
    store = store_of(*(a_read(f"{n % 9 + 1}XY{n:04d}", NOW - timedelta(hours=1)) for n in range(300)))
    store.put_read(a_read("7ABC123", NOW - timedelta(hours=1)))
    # When a pattern pins 'ABC' in a row, one trigram item and one dictionary entry are read
    assert find(store, "?ABC*").plates == ["7ABC123"]
    assert store.dictionary_items_read == 1 + 1
    # And a pattern without three known characters in a row scans the whole dictionary
    store.dictionary_items_read = 0
    assert find(store, "7A?C?23").plates == ["7ABC123"]
    assert store.dictionary_items_read == len(store.plates)


def test_pattern_does_not_disclose_a_plate_last_seen_before_the_retention_horizon() -> None:
    # Given a plate whose only read is past retention (the dictionary keeps the plate)
    store = store_of(a_read("7ABC123", NOW - timedelta(days=400)), a_read("7ABD123", NOW - timedelta(days=3)))
    # When searching since forever
    page = find(store, "7AB?123")
    # Then only the plate seen within retention is named
    assert page.plates == ["7ABD123"]


def test_pattern_matching_too_many_plates_is_refused() -> None:
    store = store_of(
        *(a_read(f"9QQ{n:04d}", NOW - timedelta(hours=1)) for n in range(MAX_PATTERN_PLATES + 1))
    )
    with pytest.raises(InvalidRequest, match="narrow the window"):
        find(store, "9QQ*")


def test_pattern_pages_cover_every_read_once() -> None:
    reads = [
        a_read(plate, NOW - timedelta(minutes=m)) for plate in ("7ABC123", "7ABD123") for m in range(1, 6)
    ]
    store = store_of(*reads)
    seen: list[str] = []
    token = None
    for _ in range(20):
        page = find(store, "7AB?123", limit=3, token=token)
        seen += [r.read_id for r in page.items]
        assert len(page.items) <= 3
        token = page.next
        if token is None:
            break
    assert sorted(seen) == sorted(r.read_id for r in reads)
    assert len(seen) == len(set(seen))


def test_a_token_from_another_search_is_refused() -> None:
    store = store_of(*(a_read("7ABC123", NOW - timedelta(minutes=m)) for m in range(1, 4)))
    page = find(store, "7AB?123", limit=1)
    assert page.next
    with pytest.raises(InvalidRequest, match="'next' token"):
        find(store, "7ABC12?", limit=1, token=page.next)
    with pytest.raises(InvalidRequest, match="'next' token"):
        find(store, "7AB?123", limit=1, token="garbage")


def test_read_past_retention_is_never_returned() -> None:
    store = store_of(
        a_read("7ABC123", NOW - timedelta(hours=1), expired=True), a_read("7ABC123", NOW - timedelta(hours=2))
    )
    page = find(store, "7AB?123")
    assert len(page.items) == 1
    found = canvass(store, Circle(*CENTRE, 100), NOW - timedelta(hours=5))
    assert [r.read_id for r in found.items] == [r.read_id for r in page.items]


# --- canvass ---


def test_canvass_returns_reads_inside_the_circle_and_window_only() -> None:
    inside = a_read("1AAA111", NOW - timedelta(hours=1), *destination(*CENTRE, 10, 250.0))  # on the edge
    outside = a_read("2BBB222", NOW - timedelta(hours=1), *destination(*CENTRE, 10, 251.0))
    far = a_read("3CCC333", NOW - timedelta(hours=1), *destination(*CENTRE, 10, 5000.0))
    early = a_read("4DDD444", NOW - timedelta(hours=30), *CENTRE)
    store = store_of(inside, outside, far, early)
    page = canvass(store, Circle(*CENTRE, 250.0), NOW - timedelta(hours=6))
    assert [r.plate for r in page.items] == ["1AAA111"]
    assert page.precision == 7
    assert store.items_read <= 2  # the far and early reads are not even read


def test_canvass_window_crossing_midnight() -> None:
    before = a_read("1AAA111", datetime(2026, 11, 27, 23, 50, tzinfo=UTC))
    after = a_read("2BBB222", datetime(2026, 11, 28, 0, 10, tzinfo=UTC))
    too_early = a_read("3CCC333", datetime(2026, 11, 27, 23, 20, tzinfo=UTC))
    store = store_of(before, after, too_early)
    page = canvass(
        store,
        Circle(*CENTRE, 100),
        datetime(2026, 11, 27, 23, 30, tzinfo=UTC),
        datetime(2026, 11, 28, 0, 30, tzinfo=UTC),
    )
    assert [r.plate for r in page.items] == ["2BBB222", "1AAA111"]
    assert page.days == 2


def test_canvass_in_a_polygon() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [
            [[-122.275, 37.80], [-122.265, 37.80], [-122.265, 37.81], [-122.275, 37.81], [-122.275, 37.80]]
        ],
    }
    store = store_of(
        a_read("1AAA111", NOW - timedelta(hours=1), 37.805, -122.27),
        a_read("2BBB222", NOW - timedelta(hours=1), 37.811, -122.27),
        a_read("3CCC333", NOW - timedelta(hours=1), 37.805, -122.2649),
    )
    page = canvass(store, polygon_from_geojson(square), NOW - timedelta(hours=2))
    assert [r.plate for r in page.items] == ["1AAA111"]


def test_canvass_pages_and_empty_results() -> None:
    reads = [
        a_read(f"1AA{n:04d}", NOW - timedelta(minutes=n + 1), *destination(*CENTRE, n * 36, 80.0))
        for n in range(7)
    ]
    store = store_of(*reads)
    seen: list[str] = []
    token = None
    for _ in range(20):
        page = canvass(store, Circle(*CENTRE, 100), NOW - timedelta(hours=1), limit=2, token=token)
        seen += [r.read_id for r in page.items]
        token = page.next
        if not token:
            break
    assert sorted(seen) == sorted(r.read_id for r in reads)
    empty = canvass(store, Circle(37.0, -120.0, 100), NOW - timedelta(hours=1), limit=2)
    assert empty.items == [] and empty.next is None


# --- one read ---


class Links:
    def presign_get(self, bucket: str, key: str, expires_in: int, version_id: str | None = None) -> str:
        version = f"&versionId={version_id}" if version_id else ""
        return f"https://{bucket}.s3/{key}?X-Amz-Expires={expires_in}{version}"


def test_read_detail_links_image_and_crop() -> None:
    read = a_read("7ABC123", NOW - timedelta(hours=1))
    detail = read_detail(store_of(read), Links(), read.read_id, CLOCK, LIMITS)
    assert detail.image_url.endswith(f"{read.image_key}?X-Amz-Expires=300")
    assert detail.crop_url and "crops/" in detail.crop_url
    assert detail.urls_expire_at == NOW + timedelta(seconds=300)
    assert detail.disclaimer.startswith("An ALPR read is not an identification")


def test_read_detail_of_a_missing_or_expired_read_is_not_found() -> None:
    expired = a_read("7ABC123", NOW - timedelta(hours=1), expired=True)
    store = store_of(expired)
    for read_id in (expired.read_id, "01NOSUCHREAD0000000000000"):
        with pytest.raises(NotFound):
            read_detail(store, Links(), read_id, CLOCK, LIMITS)


def test_a_canvass_page_is_newest_first_across_cells() -> None:
    # Given reads in two cells of the same day, interleaved in time
    west = [
        a_read(f"1WW{n:04d}", NOW - timedelta(minutes=10 * n + 5), *destination(*CENTRE, 270, 120.0))
        for n in range(3)
    ]
    east = [
        a_read(f"2EE{n:04d}", NOW - timedelta(minutes=10 * n), *destination(*CENTRE, 90, 120.0))
        for n in range(3)
    ]
    page = canvass(store_of(*west, *east), Circle(*CENTRE, 200), NOW - timedelta(hours=1))
    times = [r.captured_at for r in page.items]
    assert len(times) == 6 and times == sorted(times, reverse=True)


def test_sparse_canvass_queries_cells_in_growing_batches_with_the_same_result() -> None:
    # Given two reads in a 1 km circle, most of whose cells are empty
    reads = [
        a_read(f"1AA{n:04d}", NOW - timedelta(minutes=n + 1), *destination(*CENTRE, 90 * n, 600.0))
        for n in range(2)
    ]
    store = store_of(*reads)
    batches: list[int] = []

    def spy(call, queries):  # a Fanout that records how many queries go out together
        batches.append(len(queries))
        return one_by_one(call, queries)

    area = Circle(*CENTRE, 1000)
    batched = search_canvass(
        store, area, NOW - timedelta(hours=1), NOW, LIMITS, limit=50, token=None, clock=CLOCK, fanout=spy
    )
    # Then the batches double up to the cap, every cell is queried once, and the reads are the same
    assert batches[:5] == [1, 2, 4, 8, 16] and max(batches) == MAX_FANOUT
    assert sum(batches) == batched.cells * batched.days
    assert {r.read_id for r in batched.items} == {r.read_id for r in reads}


def test_threaded_fanout_pages_like_one_by_one() -> None:
    fanout = threads(ThreadPoolExecutor(max_workers=4))
    reads = [
        a_read(f"1AA{n:04d}", NOW - timedelta(minutes=n + 1), *destination(*CENTRE, n * 36, 300.0))
        for n in range(10)
    ]
    store = store_of(*reads)
    seen: list[str] = []
    token = None
    for _ in range(20):
        page = search_canvass(
            store,
            Circle(*CENTRE, 400),
            NOW - timedelta(hours=1),
            NOW,
            LIMITS,
            limit=3,
            token=token,
            clock=CLOCK,
            fanout=fanout,
        )
        seen += [r.read_id for r in page.items]
        token = page.next
        if not token:
            break
    assert sorted(seen) == sorted(r.read_id for r in reads)
