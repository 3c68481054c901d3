"""Reads: built from what the engine saw in an upload, stored once, searched by plate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from alpr.domain import geohash
from alpr.domain.clock import Clock
from alpr.domain.errors import InvalidRequest
from alpr.domain.ids import derived_ulid
from alpr.domain.models import (
    BoundingBox,
    Capture,
    PlateQuery,
    Read,
    ReadPage,
    ReadResult,
    as_utc,
    iso_utc,
)
from alpr.domain.paging import PageKey, decode_page, encode_page
from alpr.domain.plates import is_plate, normalize_plate
from alpr.domain.retention import Retention, expires_at, is_expired
from alpr.names import CROPS_PREFIX, READS_TIME_KEY

CELL_PRECISION = 6  # about 1.2 km by 0.6 km: a canvass covers a few cells per day
FINE_CELL_PRECISION = 7  # about 150 m square: small canvass radii (issue 5, docs/decisions.md)


class PlateReadingLike(Protocol):
    """What the recognition engine reports for one plate (alpr.recognition.PlateReading)."""

    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def char_confidences(self) -> Sequence[float]: ...
    @property
    def box(self) -> tuple[int, int, int, int]: ...
    @property
    def state(self) -> str | None: ...
    @property
    def low_confidence(self) -> bool: ...


INVALID_TOKEN = "the 'next' token is not valid for this search"


class ReadStore(Protocol):
    def put_read(self, read: Read) -> bool:
        """Store a read once; False (and no change anywhere) when it is already stored."""
        ...

    def query_by_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        """Reads of `plate` with `low <= captured_key <= high`, newest first, at most `limit`."""
        ...

    def query_by_corrected_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        """Reads a supervisor corrected to `plate`, as `query_by_plate` (issue 21)."""
        ...


def time_key(captured_at: datetime, read_id: str) -> str:
    """`<captured_at>#<read_id>`: sorts by capture time and is unique."""
    return f"{iso_utc(captured_at)}#{read_id}"


def cell_day(lat: float, lon: float, captured_at: datetime, precision: int = CELL_PRECISION) -> str:
    """`<geohash-6>#<YYYY-MM-DD>`: the canvass index's partition key (`precision` 7 for the fine one)."""
    return f"{geohash.encode(lat, lon, precision)}#{as_utc(captured_at).strftime('%Y-%m-%d')}"


def reads_from_image(
    capture: Capture,
    *,
    image_bucket: str,
    image_key: str,
    etag: str,
    readings: Sequence[PlateReadingLike],
    model_version: str,
    retention: Retention,
    clock: Clock,
) -> list[Read]:
    """One read per plate the engine found (unreadable texts are dropped).

    Read ids derive from bucket, key, etag and the plate's place in the image, so reading
    the same upload twice (a redelivered message) yields the same ids and no duplicates.
    """
    reads: list[Read] = []
    ingested_at = clock.now()
    for index, reading in enumerate(readings):
        plate = normalize_plate(reading.text)
        if not is_plate(plate):
            continue
        read_id = derived_ulid(capture.captured_at, image_bucket, image_key, etag, str(index))
        x, y, w, h = (int(v) for v in reading.box)
        reads.append(
            Read(
                read_id=read_id,
                plate=plate,
                state=reading.state,
                confidence=float(reading.confidence),
                char_confidences=[float(c) for c in reading.char_confidences],
                low_confidence=bool(reading.low_confidence),
                captured_at=capture.captured_at,
                captured_key=time_key(capture.captured_at, read_id),
                unit_id=capture.unit_id,
                lat=capture.lat,
                lon=capture.lon,
                heading=capture.heading,
                cell_day=cell_day(capture.lat, capture.lon, capture.captured_at),
                cell7_day=cell_day(capture.lat, capture.lon, capture.captured_at, FINE_CELL_PRECISION),
                image_bucket=image_bucket,
                image_key=image_key,
                box=BoundingBox(x=x, y=y, w=w, h=h),
                model_version=model_version,
                expires_at=expires_at(capture.captured_at, retention),
                ingested_at=ingested_at,
            )
        )
    return reads


def crop_key_for(read_id: str) -> str:
    """Where a read's plate crop is kept in the image bucket: `crops/<read_id>.jpg`."""
    return f"{CROPS_PREFIX}{read_id}.jpg"


def store_reads(store: ReadStore, reads: Sequence[Read]) -> list[Read]:
    """Store each read once; the reads newly stored (what hotlist matching should look at)."""
    return [read for read in reads if store.put_read(read)]


def encode_page_token(plate: str, key: PageKey) -> str:
    """An opaque token for the next page (the index position, bound to the plate searched)."""
    return encode_page(plate, key)


def decode_page_token(plate: str, token: str) -> PageKey:
    """The index position a token stands for; InvalidRequest when it is not one of ours for `plate`."""
    _, key = decode_page(plate, token, refusal=INVALID_TOKEN)
    if key is None:
        raise InvalidRequest(INVALID_TOKEN)
    return key


def search_by_plate(store: ReadStore, query: PlateQuery, clock: Clock) -> ReadPage:
    """Reads of a plate in the window, newest first, never one past its retention."""
    if query.start > query.end:
        raise InvalidRequest("'from' is after 'to'")
    low = iso_utc(query.start)
    high = iso_utc(query.end) + "#~"  # '~' sorts after every ULID character
    start = decode_page_token(query.plate, query.next) if query.next else None
    if start is not None and not low <= start.get(READS_TIME_KEY, "") <= high:
        # DynamoDB refuses a start key outside the key condition; say so instead of failing.
        raise InvalidRequest("the 'next' token belongs to another time window: repeat the search without it")
    now = clock.now()
    items: list[ReadResult] = []
    # Expired reads still in the table (TTL lags) are skipped, so keep reading until the page is full.
    while True:
        reads, start = store.query_by_plate(query.plate, low, high, query.limit - len(items), start)
        items.extend(
            ReadResult.model_validate(r.model_dump())
            for r in reads
            if not is_expired(r.expires_at, now) and (query.state is None or r.state in (None, query.state))
        )
        if start is None or len(items) >= query.limit:
            break
    if not query.next:
        # Reads a supervisor corrected to this plate (misreads are few): on the first page, each
        # showing its correction; a read corrected away from the plate stays in its own results.
        corrected, _ = store.query_by_corrected_plate(query.plate, low, high, query.limit, None)
        items = sorted(
            items
            + [
                ReadResult.model_validate(r.model_dump())
                for r in corrected
                if r.plate != query.plate
                and not is_expired(r.expires_at, now)
                and (query.state is None or r.state in (None, query.state))
            ],
            key=lambda r: r.captured_key,
            reverse=True,
        )
    return ReadPage(items=items, next=encode_page_token(query.plate, start) if start else None)
