"""Investigator searches answered from indexes: partial plates and canvass, and one read.

Both searches are "query these index partitions, newest first within each, keep what
passes": the partitions are the plates a pattern matches in the Plates dictionary
(`by_plate`) or the cell-days covering an area (`by_cell7_day` / `by_cell_day`). Reads are
never scanned. Pages carry an opaque token bound to the search that made them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from pydantic import Field

from alpr.domain.canvass import Area, CanvassPlan, SearchLimits, plan_canvass
from alpr.domain.clock import Clock
from alpr.domain.errors import InvalidRequest, NotFound
from alpr.domain.models import READ_DISCLAIMER, Read, ReadPage, ReadResult, UtcDatetime, iso_utc
from alpr.domain.paging import PageKey, decode_page, encode_page
from alpr.domain.patterns import PlatePattern
from alpr.domain.plate_grams import pattern_grams
from alpr.domain.retention import Retention, is_expired
from alpr.names import PLATE, READ_ID, READS_BY_PLATE_INDEX, READS_TIME_KEY

DEFAULT_RETENTION = Retention()
MAX_PATTERN_PLATES = 200  # a pattern matching more plates than this is too broad to be a lead


@dataclass(frozen=True)
class PlateSighting:
    """One entry of the Plates dictionary: a distinct plate and when it was first and last read."""

    plate: str
    first_seen: str
    last_seen: str
    count: int


class SearchStore(Protocol):
    """What the searches need from storage (DynamoDB in the cloud, dicts in tests and the bench)."""

    def query_index(
        self, index: str, attribute: str, key: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        """Reads in one index partition with `low <= captured_key <= high`, newest first."""
        ...

    def plate_sightings(self, seen_from: str, seen_to: str, contains: str | None) -> list[PlateSighting]:
        """Dictionary entries seen within [seen_from, seen_to] (and containing `contains`, if given)."""
        ...

    def plates_with_grams(self, grams: set[str]) -> set[str] | None:
        """Plates of the dictionary whose folded form contains every one of the trigrams
        (None when this store keeps no trigram index)."""
        ...

    def plate_entries(self, plates: Sequence[str]) -> list[PlateSighting]:
        """The dictionary entries of these plates (those that have one)."""
        ...

    def get_read(self, read_id: str) -> Read | None:
        """One read by id, or None."""
        ...


class ImageLinks(Protocol):
    def presign_get(self, bucket: str, key: str, expires_in: int, version_id: str | None = None) -> str:
        """A GET URL for one object (a given version of it), valid for `expires_in` seconds."""
        ...


class PatternPage(ReadPage):
    """Reads of the plates a partial plate matches, grouped by plate, newest first within each."""

    pattern: str
    equivalents: bool
    plates: list[str] = Field(description="the dictionary's plates that match, seen in the window")


class CanvassPage(ReadPage):
    """Reads inside an area and window, each page newest first; pages go from the newest day back."""

    area: dict[str, Any]
    precision: int = Field(description="geohash precision of the index cells queried")
    cells: int = Field(description="index cells covering the area")
    days: int = Field(description="UTC days the window touches")


class ReadDetail(ReadResult):
    """One read with short-lived links to its image and plate crop."""

    image_url: str
    crop_url: str | None = None
    urls_expire_at: UtcDatetime


MAX_FANOUT = 16
Query = tuple["Partition", PageKey | None]
QueryResult = tuple[list[Read], PageKey | None]
Fanout = Callable[[Callable[[Query], QueryResult], Sequence[Query]], list[QueryResult]]


def _query(store: SearchStore, low: str, high: str, limit: int, query: Query) -> QueryResult:
    part, start = query
    return store.query_index(part.index, part.attribute, part.key, low, high, limit, start)


def one_by_one(call: Callable[[Query], QueryResult], queries: Sequence[Query]) -> list[QueryResult]:
    """The queries one after another (a `Fanout` with no threads)."""
    return [call(query) for query in queries]


def threads(pool: Executor) -> Fanout:
    """A `Fanout` running each batch of queries side by side on `pool` (round trips overlap)."""

    def fanout(call: Callable[[Query], QueryResult], queries: Sequence[Query]) -> list[QueryResult]:
        # The first query of a search runs alone, in the caller's thread (it may create the client).
        return one_by_one(call, queries) if len(queries) <= 1 else list(pool.map(call, queries))

    return fanout


@dataclass(frozen=True)
class Partition:
    index: str
    attribute: str
    key: str


# --- paging --------------------------------------------------------------------------------------


def search_fingerprint(query: dict[str, Any]) -> str:
    """A short digest of what was searched: a token only continues the search that made it."""
    raw = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_cursor(fingerprint: str, partition: str, key: PageKey | None) -> str:
    return encode_page(fingerprint, key, partition)


def decode_cursor(fingerprint: str, token: str) -> tuple[str, PageKey | None]:
    """(partition, position in it) a token stands for; InvalidRequest when it is not for this search."""
    return decode_page(
        fingerprint,
        token,
        refusal="the 'next' token is not valid for this search: repeat the search without it",
    )


def collect(
    store: SearchStore,
    partitions: Sequence[Partition],
    window: tuple[datetime, datetime],
    limit: int,
    token: str | None,
    fingerprint: str,
    now: datetime,
    keep: Callable[[Read], bool] = lambda _: True,
    fanout: Fanout = one_by_one,
) -> tuple[list[ReadResult], str | None]:
    """Up to `limit` reads from the partitions in order, skipping reads past retention and
    those `keep` rejects; and the token for the rest (None when there is no more).

    Partitions are queried in batches that double while the page is not full (1, 2, 4 … up
    to `MAX_FANOUT`), through `fanout` (threads in the API, one by one elsewhere): a sparse
    canvass of a hundred cells costs a few round trips, not a hundred."""
    low, high = iso_utc(window[0]), iso_utc(window[1]) + "#~"  # '~' sorts after every ULID character
    position, start = 0, None
    if token:
        partition, start = decode_cursor(fingerprint, token)
        keys = [p.key for p in partitions]
        if partition not in keys:
            raise InvalidRequest(
                "the 'next' token no longer matches this search: repeat it without the token"
            )
        position = keys.index(partition)
        if start is not None and not low <= start.get(READS_TIME_KEY, "") <= high:
            # DynamoDB refuses a start key outside the key condition; say so instead of failing.
            raise InvalidRequest(
                "the 'next' token belongs to another time window: repeat the search without it"
            )
    items: list[ReadResult] = []
    batch = 1
    while position < len(partitions) and len(items) < limit:
        need = limit - len(items)
        chunk = partitions[position : position + batch]
        calls = [(part, start if n == 0 else None) for n, part in enumerate(chunk)]
        results = fanout(partial(_query, store, low, high, need), calls)
        for part, (reads, last) in zip(chunk, results, strict=True):
            for read in reads:
                if is_expired(read.expires_at, now) or not keep(read):
                    continue
                items.append(ReadResult.model_validate(read.model_dump()))
                if len(items) == limit:  # continue after this read next time
                    here = {
                        READ_ID: read.read_id,
                        part.attribute: part.key,
                        READS_TIME_KEY: read.captured_key,
                    }
                    return items, encode_cursor(fingerprint, part.key, here)
            if last is not None:  # more in this partition: the rest of the batch is read again later
                start = last
                break
            position, start = position + 1, None
        # Sparse areas leave most cells empty: query more of them at once, up to MAX_FANOUT.
        batch = min(batch * 2, MAX_FANOUT)
    if position >= len(partitions):
        return items, None
    return items, encode_cursor(fingerprint, partitions[position].key, start)


def _window(start: datetime, end: datetime) -> None:
    if start > end:
        raise InvalidRequest("'from' is after 'to'")


# --- partial plates ------------------------------------------------------------------------------


def matching_plates(store: SearchStore, pattern: PlatePattern, start: datetime, end: datetime) -> list[str]:
    """Plates of the dictionary that fit the pattern and were seen in the window, sorted.

    Three known characters in a row: candidates from the trigram index, then only the
    matching ones' entries. Otherwise a scan of the dictionary, filtered by the window.
    """
    low, high = iso_utc(start), iso_utc(end)
    grams = pattern_grams(pattern)
    indexed = store.plates_with_grams(grams) if grams else None
    if indexed is not None:
        candidates = sorted(p for p in indexed if pattern.matches(p))
        sightings = [
            s for s in store.plate_entries(candidates) if s.last_seen >= low and s.first_seen <= high
        ]
    else:
        runs = pattern.literal_runs
        # Without equivalents the longest known run must appear as typed: the store can filter on it.
        contains = runs[0] if runs and not pattern.equivalents else None
        sightings = store.plate_sightings(low, high, contains)
    plates = sorted(s.plate for s in sightings if pattern.matches(s.plate))
    if len(plates) > MAX_PATTERN_PLATES:
        raise InvalidRequest(
            f"pattern '{pattern.text}' matches {len(plates)} plates seen in the window (at most "
            f"{MAX_PATTERN_PLATES}): add known characters or narrow the window"
        )
    return plates


def search_pattern(
    store: SearchStore,
    pattern: PlatePattern,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    token: str | None,
    clock: Clock,
    retention: Retention = DEFAULT_RETENTION,
    fanout: Fanout = one_by_one,
) -> PatternPage:
    """Reads of every plate the pattern matches, from the dictionary then `by_plate`; never a scan of Reads.

    A plate last seen before the retention horizon is not listed, so its existence is not
    disclosed after its reads are due for deletion (the dictionary itself keeps no TTL).
    """
    _window(start, end)
    horizon = retention.horizon(clock.now())
    plates = matching_plates(store, pattern, max(start, horizon), end)
    # The window is not part of it: a default 'to' moves with the clock between pages.
    fingerprint = search_fingerprint({"pattern": pattern.text, "eq": pattern.equivalents})
    partitions = [Partition(READS_BY_PLATE_INDEX, PLATE, plate) for plate in plates]
    items, next_token = collect(
        store, partitions, (start, end), limit, token, fingerprint, clock.now(), fanout=fanout
    )
    return PatternPage(
        items=items, next=next_token, pattern=pattern.text, equivalents=pattern.equivalents, plates=plates
    )


# --- canvass -------------------------------------------------------------------------------------


def canvass_partitions(plan: CanvassPlan) -> list[Partition]:
    return [Partition(index.index, index.attribute, key) for index, key in plan.partitions]


def search_canvass(
    store: SearchStore,
    area: Area,
    start: datetime,
    end: datetime,
    limits: SearchLimits,
    *,
    limit: int,
    token: str | None,
    clock: Clock,
    fanout: Fanout = one_by_one,
) -> CanvassPage:
    """Every read inside the area and window, from the cell-day indexes, exactly filtered."""
    plan = plan_canvass(area, start, end, limits)
    fingerprint = search_fingerprint({"area": area.describe()})
    items, next_token = collect(
        store,
        canvass_partitions(plan),
        (start, end),
        limit,
        token,
        fingerprint,
        clock.now(),
        keep=lambda read: area.contains(read.lat, read.lon),
        fanout=fanout,
    )
    items.sort(key=lambda read: read.captured_key, reverse=True)  # a page spans cells of its days
    return CanvassPage(
        items=items,
        next=next_token,
        area=area.describe(),
        precision=plan.precision,
        cells=len(plan.cells),
        days=len(plan.days),
    )


# --- one read ------------------------------------------------------------------------------------


def read_detail(
    store: SearchStore, links: ImageLinks, read_id: str, clock: Clock, limits: SearchLimits
) -> ReadDetail:
    """The read with presigned links to its image and crop; NotFound when absent or past retention."""
    now = clock.now()
    read = store.get_read(read_id)
    if read is None or is_expired(read.expires_at, now):
        raise NotFound(f"no read '{read_id}'")
    seconds = limits.image_url_seconds
    return ReadDetail(
        **read.model_dump(),
        image_url=links.presign_get(
            read.image_bucket, read.image_key, seconds, read.held_versions.get(read.image_key)
        ),
        crop_url=links.presign_get(
            read.image_bucket, read.crop_key, seconds, read.held_versions.get(read.crop_key)
        )
        if read.crop_key
        else None,
        urls_expire_at=now + timedelta(seconds=seconds),
        disclaimer=READ_DISCLAIMER,
    )
