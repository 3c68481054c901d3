"""Reads: built from engine output, stored once, searched newest first with an opaque token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpr.domain.clock import FixedClock
from alpr.domain.errors import InvalidRequest
from alpr.domain.models import Capture, PlateQuery, Read
from alpr.domain.reads import (
    decode_page_token,
    encode_page_token,
    reads_from_image,
    search_by_plate,
    store_reads,
)
from alpr.domain.retention import Retention
from tests.fakes.memory import MemoryReadStore

CAPTURED = datetime(2026, 11, 28, 23, 59, 30, 250000, tzinfo=UTC)
NOW = datetime(2026, 11, 29, 0, 0, 5, tzinfo=UTC)
CAPTURE = Capture(unit_id="unit-0042", captured_at=CAPTURED, lat=38.5816, lon=-121.4944, heading=92.5)
EARLY = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float = 0.95
    char_confidences: tuple[float, ...] = (0.9, 0.99, 0.95)
    box: tuple[int, int, int, int] = (10, 20, 120, 40)
    state: str | None = "CA"
    low_confidence: bool = False


def build(*readings: Reading, etag: str = "etag-1", capture: Capture = CAPTURE) -> list[Read]:
    return reads_from_image(
        capture,
        image_bucket="uploads",
        image_key="raw/unit-0042/2026/11/28/x.jpg",
        etag=etag,
        readings=readings,
        model_version="rec-1",
        retention=Retention(days=400),
        clock=FixedClock(NOW),
    )


def test_read_carries_capture_plate_and_keys() -> None:
    (read,) = build(Reading("7abc-123"))
    assert read.plate == "7ABC123"
    assert read.unit_id == "unit-0042" and read.heading == 92.5
    assert read.captured_key == f"2026-11-28T23:59:30.250Z#{read.read_id}"
    assert read.cell_day == "9qce7r#2026-11-28"
    assert read.expires_at == int((CAPTURED + timedelta(days=400)).timestamp())
    assert read.ingested_at == NOW
    assert read.box.model_dump() == {"x": 10, "y": 20, "w": 120, "h": 40}
    assert read.model_dump(mode="json")["captured_at"] == "2026-11-28T23:59:30.250Z"


def test_read_ids_are_ulids_of_the_capture_time_and_repeatable() -> None:
    first = build(Reading("7ABC123"), Reading("8XYZ999"))
    again = build(Reading("7ABC123"), Reading("8XYZ999"))
    other_upload = build(Reading("7ABC123"), Reading("8XYZ999"), etag="etag-2")
    assert [r.read_id for r in first] == [r.read_id for r in again]
    assert len({r.read_id for r in first + other_upload}) == 4
    assert all(len(r.read_id) == 26 for r in first)
    later = build(
        Reading("7ABC123"), capture=CAPTURE.model_copy(update={"captured_at": CAPTURED + timedelta(1)})
    )
    assert later[0].read_id > first[0].read_id  # ULIDs sort by capture time


def test_unreadable_text_makes_no_read() -> None:
    assert build(Reading(""), Reading("??"), Reading("TOOLONG123")) == []


def test_storing_twice_stores_once() -> None:
    store = MemoryReadStore()
    reads = build(Reading("7ABC123"))
    assert store_reads(store, reads) == reads
    assert store_reads(store, reads) == []
    assert store.plates["7ABC123"]["count"] == 1


def stored(*hours_ago: float, plate: str = "7ABC123", expires: int | None = None) -> MemoryReadStore:
    store = MemoryReadStore()
    for n, hours in enumerate(hours_ago):
        capture = CAPTURE.model_copy(update={"captured_at": NOW - timedelta(hours=hours)})
        (read,) = build(Reading(plate), etag=f"e{n}", capture=capture)
        store.put_read(read.model_copy(update={"expires_at": expires}) if expires else read)
    return store


def query(**changes: object) -> PlateQuery:
    return PlateQuery.model_validate({"plate": "7ABC123", "start": EARLY, "end": NOW, **changes})


def test_search_newest_first_within_window() -> None:
    store = stored(1, 5, 30, 2)
    page = search_by_plate(store, query(start=NOW - timedelta(hours=10)), FixedClock(NOW))
    assert [NOW - r.captured_at for r in page.items] == [timedelta(hours=h) for h in (1, 2, 5)]
    assert page.next is None


def test_window_bounds_are_inclusive() -> None:
    store = stored(3)
    at = NOW - timedelta(hours=3)
    assert len(search_by_plate(store, query(start=at, end=at), FixedClock(NOW)).items) == 1


def test_expired_reads_are_skipped_and_the_page_still_fills() -> None:
    store = stored(1, 2, 3, expires=int(NOW.timestamp()) - 1)
    for read in stored(4, 5).reads.values():
        store.put_read(read)
    page = search_by_plate(store, query(limit=2), FixedClock(NOW))
    assert [NOW - r.captured_at for r in page.items] == [timedelta(hours=4), timedelta(hours=5)]


def test_paging_visits_every_read_once() -> None:
    store = stored(*range(1, 8))
    seen: list[str] = []
    token = None
    while True:
        page = search_by_plate(store, query(limit=3, next=token), FixedClock(NOW))
        seen += [r.read_id for r in page.items]
        token = page.next
        if token is None:
            break
    assert len(seen) == len(set(seen)) == 7


def test_inverted_window_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        search_by_plate(MemoryReadStore(), query(start=NOW, end=NOW - timedelta(1)), FixedClock(NOW))


keys = st.dictionaries(
    st.sampled_from(["read_id", "plate", "captured_key"]), st.text(max_size=40), min_size=1
)


@given(st.text(min_size=1, max_size=8), keys)
def test_page_token_round_trip(plate: str, key: dict[str, str]) -> None:
    assert decode_page_token(plate, encode_page_token(plate, key)) == key


@pytest.mark.parametrize("token", ["", "!!!", "bm90IGpzb24", encode_page_token("8XYZ999", {"a": "b"})])
def test_foreign_token_is_refused(token: str) -> None:
    with pytest.raises(InvalidRequest):
        decode_page_token("7ABC123", token)


def test_token_from_another_window_is_refused() -> None:
    store = stored(1, 2, 30)
    page = search_by_plate(store, query(limit=1), FixedClock(NOW))
    assert page.next
    with pytest.raises(InvalidRequest, match="time window"):
        search_by_plate(store, query(limit=1, next=page.next, end=NOW - timedelta(hours=20)), FixedClock(NOW))
