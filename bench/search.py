"""Searches over a synthetic year of a city: read amplification, requests and latency per kind.

Usage: .venv/bin/python bench/search.py [--reads N] [--runs N] [--seed N] [--fixed-share F]

Builds a year of reads (default 2,000,000) for a city grid of streets: 40 patrol cars, each
on its beat, and 10 fixed cameras at intersections; plates repeat with a long tail (Zipf-like).
The reads go straight into `ColumnarIndexStore`, an in-memory implementation of the
searches' store port (`alpr.domain.search.SearchStore`) that keeps each DynamoDB index as a
sorted array and counts exactly what DynamoDB would bill a Query for: every item the key
condition selects, up to Limit, with a LastEvaluatedKey whenever Limit was reached, and the
BatchGetItem requests (100 keys each) that fetch those reads from the table (the indexes keep
keys only), sent after the query that found them. The
searches are the production domain functions (`search_by_plate`, `search_pattern`,
`search_canvass`), run to the last page. Prints per kind: items read per item returned
(amplification), requests per search, median latency; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from alpr.domain import geohash
from alpr.domain.canvass import Circle, SearchLimits
from alpr.domain.clock import FixedClock
from alpr.domain.ids import derived_ulid
from alpr.domain.models import BoundingBox, PlateQuery, Read, iso_utc, parse_iso_utc
from alpr.domain.patterns import parse_pattern
from alpr.domain.plate_grams import grams_of, pattern_grams
from alpr.domain.reads import PageKey, search_by_plate
from alpr.domain.search import PlateSighting, Query, QueryResult, search_canvass, search_pattern
from alpr.names import (
    PLATE,
    READ_ID,
    READS_BY_CELL7_DAY_INDEX,
    READS_BY_CELL_DAY_INDEX,
    READS_BY_PLATE_INDEX,
    READS_TIME_KEY,
)

YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
EPOCH_DAY = date(1970, 1, 1)
# The city: Oakland-sized, about 11 km by 10 km, streets every ~220 m each way.
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = 37.75, 37.85, -122.30, -122.18
STREET_STEP_LAT, STREET_STEP_LON = 0.002, 0.0025
PATROL_UNITS, FIXED_UNITS = 40, 10
FIXED_SHARE = 0.25  # of all reads
DISTINCT_PLATES = 400_000
PAGE = 500
DAY_MS = 86_400_000
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def geohash_ints(lat: np.ndarray, lon: np.ndarray, precision: int) -> np.ndarray:
    """Geohash cells as integers (5 bits a character), vectorised; same cells as geohash.encode."""
    lat_lo, lat_hi = np.full(lat.shape, -90.0), np.full(lat.shape, 90.0)
    lon_lo, lon_hi = np.full(lon.shape, -180.0), np.full(lon.shape, 180.0)
    value = np.zeros(lat.shape, dtype=np.int64)
    for i in range(precision * 5):
        if i % 2 == 0:
            mid = (lon_lo + lon_hi) / 2
            bit = lon >= mid
            lon_lo = np.where(bit, mid, lon_lo)
            lon_hi = np.where(bit, lon_hi, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            bit = lat >= mid
            lat_lo = np.where(bit, mid, lat_lo)
            lat_hi = np.where(bit, lat_hi, mid)
        value = (value << 1) | bit.astype(np.int64)
    return value


def geohash_int(cell: str) -> int:
    value = 0
    for ch in cell:
        value = value << 5 | geohash.BASE32.index(ch)
    return value


def geohash_text(value: int, precision: int) -> str:
    return "".join(geohash.BASE32[(value >> (5 * k)) & 31] for k in range(precision - 1, -1, -1))


def _ms(text: str) -> int:
    return int(parse_iso_utc(text).timestamp() * 1000)


class ColumnarIndexStore:
    """The Reads table's indexes as sorted arrays; counts items and requests like DynamoDB bills them."""

    def __init__(
        self,
        t_ms: np.ndarray,
        lat: np.ndarray,
        lon: np.ndarray,
        plate: np.ndarray,
        unit: np.ndarray,
        plates: list[str],
    ) -> None:
        self.t_ms, self.lat, self.lon, self.plate, self.unit = t_ms, lat, lon, plate, unit
        self.plates = plates
        self.plate_ids = {p: i for i, p in enumerate(plates)}
        day = (t_ms // DAY_MS).astype(np.int64)
        self.partition_codes: dict[str, np.ndarray] = {}
        self.partition_rows: dict[str, np.ndarray] = {}
        for index, code in (
            (READS_BY_PLATE_INDEX, plate.astype(np.int64)),
            (READS_BY_CELL_DAY_INDEX, geohash_ints(lat, lon, 6) << 16 | day),
            (READS_BY_CELL7_DAY_INDEX, geohash_ints(lat, lon, 7) << 16 | day),
        ):
            order = np.argsort(code, kind="stable")  # rows are in time order: stable keeps it per partition
            self.partition_codes[index] = code[order]
            self.partition_rows[index] = order.astype(np.int32)
        # The Plates dictionary, as recognize keeps it.
        self.first_seen = np.full(len(plates), np.iinfo(np.int64).max)
        self.last_seen = np.full(len(plates), np.iinfo(np.int64).min)
        np.minimum.at(self.first_seen, plate, t_ms)
        np.maximum.at(self.last_seen, plate, t_ms)
        self.count = np.bincount(plate, minlength=len(plates))
        self.plate_array = np.array(plates)
        # The PlateGrams table: each folded trigram lists the plates (ever read) that contain it.
        self.grams: dict[str, list[int]] = defaultdict(list)
        for i in np.flatnonzero(self.count > 0):
            for gram in grams_of(plates[i]):
                self.grams[gram].append(int(i))
        self.reset()

    def reset(self) -> None:
        self.items_read = 0
        self.requests = 0
        self.dictionary_items = 0
        self.index_queries = 0  # queries and the fetches of what they found
        self.rounds = 0  # round trips of batches of index queries sent side by side

    def fanout(self, call: Callable[[Query], QueryResult], queries: Sequence[Query]) -> list[QueryResult]:
        """The searches' `Fanout` (the API runs a batch on threads): a batch takes as many round trips
        as its longest chain of a query and its fetches."""
        results, longest = [], 0
        for query in queries:
            before = self.index_queries
            results.append(call(query))
            longest = max(longest, self.index_queries - before)
        self.rounds += longest
        return results

    @property
    def round_trips(self) -> int:
        """Requests in sequence: the dictionary's, and the longest chain of each batch of index queries."""
        return self.requests - self.index_queries + self.rounds

    def _code(self, index: str, key: str) -> int | None:
        if index == READS_BY_PLATE_INDEX:
            return self.plate_ids.get(key)
        cell, day = key.split("#")
        return geohash_int(cell) << 16 | (date.fromisoformat(day) - EPOCH_DAY).days

    def read(self, row: int) -> Read:
        """One stored read, built the way recognize builds it."""
        at = datetime.fromtimestamp(int(self.t_ms[row]) / 1000, tz=UTC)
        read_id = derived_ulid(at, "bench", str(row))
        lat, lon = float(self.lat[row]), float(self.lon[row])
        return Read(
            read_id=read_id,
            plate=self.plates[int(self.plate[row])],
            state="CA",
            confidence=0.95,
            char_confidences=[0.95] * 7,
            low_confidence=False,
            captured_at=at,
            captured_key=f"{iso_utc(at)}#{read_id}",
            unit_id=f"unit-{int(self.unit[row]):02d}",
            lat=lat,
            lon=lon,
            cell_day=f"{geohash.encode(lat, lon, 6)}#{at.date().isoformat()}",
            cell7_day=f"{geohash.encode(lat, lon, 7)}#{at.date().isoformat()}",
            image_bucket="uploads",
            image_key=f"raw/unit-{int(self.unit[row]):02d}/{read_id}.jpg",
            box=BoundingBox(x=0, y=0, w=1, h=1),
            model_version="bench",
            expires_at=int(at.timestamp()) + 365 * 86_400 + 86_400,
            ingested_at=at,
        )

    # --- the SearchStore port -----------------------------------------------------------------

    def query_index(
        self, index: str, attribute: str, key: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        self.requests += 1
        self.index_queries += 1
        code = self._code(index, key)
        if code is None:
            return [], None
        codes, rows = self.partition_codes[index], self.partition_rows[index]
        lo, hi = np.searchsorted(codes, code, "left"), np.searchsorted(codes, code, "right")
        part = rows[lo:hi]
        times = self.t_ms[part]
        # Times are unique per read, so the time part of captured_key orders the partition.
        low_ms = _ms(low.split("#")[0])
        high_ms = _ms(high.split("#")[0])
        if start:
            high_ms = min(high_ms, _ms(start[READS_TIME_KEY].split("#")[0]) - 1)
        first, last = np.searchsorted(times, low_ms, "left"), np.searchsorted(times, high_ms, "right")
        chosen = part[max(first, last - limit) : last][::-1]  # newest first, at most `limit`
        self.items_read += len(chosen)  # what the key condition selected: what a Query is billed for
        fetches = math.ceil(len(chosen) / 100)  # BatchGetItem of the reads the query found
        self.requests += fetches
        self.index_queries += fetches
        reads = [self.read(int(row)) for row in chosen]
        if len(reads) < limit:
            return reads, None
        tail = reads[-1]
        return reads, {READ_ID: tail.read_id, attribute: key, READS_TIME_KEY: tail.captured_key}

    def query_by_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        return self.query_index(READS_BY_PLATE_INDEX, PLATE, plate, low, high, limit, start)

    def query_by_corrected_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        # The sparse corrections index: one billed request; the synthetic reads have no corrections.
        self.requests += 1
        self.index_queries += 1
        return [], None

    def plate_sightings(self, seen_from: str, seen_to: str, contains: str | None) -> list[PlateSighting]:
        # The dictionary holds the plates ever read; a Scan reads all of it, 1 MB a request.
        in_dictionary = self.count > 0
        size = int(in_dictionary.sum())
        self.dictionary_items += size
        self.requests += math.ceil(size * DICTIONARY_ITEM_BYTES / 1_048_576)
        keep = in_dictionary & (self.last_seen >= _ms(seen_from)) & (self.first_seen <= _ms(seen_to))
        if contains:
            keep &= np.char.find(self.plate_array, contains) >= 0
        return [self._sighting(int(i)) for i in np.flatnonzero(keep)]

    def plates_with_grams(self, grams: set[str]) -> set[str] | None:
        self.requests += math.ceil(len(grams) / 100)  # BatchGetItem
        self.dictionary_items += len(grams)
        found = [set(self.grams.get(gram, ())) for gram in grams]
        return {self.plates[i] for i in set.intersection(*found)} if found else set()

    def plate_entries(self, plates: Sequence[str]) -> list[PlateSighting]:
        self.requests += math.ceil(len(plates) / 100)  # BatchGetItem
        self.dictionary_items += len(plates)
        return [self._sighting(self.plate_ids[p]) for p in plates if self.count[self.plate_ids[p]] > 0]

    def _sighting(self, i: int) -> PlateSighting:
        return PlateSighting(
            plate=self.plates[i],
            first_seen=iso_utc(datetime.fromtimestamp(int(self.first_seen[i]) / 1000, tz=UTC)),
            last_seen=iso_utc(datetime.fromtimestamp(int(self.last_seen[i]) / 1000, tz=UTC)),
            count=int(self.count[i]),
        )

    def get_read(self, read_id: str) -> Read | None:
        raise NotImplementedError("the bench does not fetch single reads")

    def put_read(self, read: Read) -> bool:
        raise NotImplementedError("the bench loads its reads as arrays")


DICTIONARY_ITEM_BYTES = 70  # plate, first_seen, last_seen, count, with attribute names


def city(n: int, rng: np.random.Generator, fixed_share: float = FIXED_SHARE) -> tuple[np.ndarray, ...]:
    """n reads in a year: (time ms, lat, lon, plate index, unit), sorted by time, times unique."""
    fixed = int(n * fixed_share)
    patrol = n - fixed
    lat = np.empty(n)
    lon = np.empty(n)
    unit = np.empty(n, dtype=np.int16)
    # Patrol cars: each on a beat (8 x 5 beats), driving its streets.
    unit[:patrol] = rng.integers(0, PATROL_UNITS, patrol)
    beat_lat = LAT_MIN + (unit[:patrol] % 5) * (LAT_MAX - LAT_MIN) / 5
    beat_lon = LON_MIN + (unit[:patrol] // 5) * (LON_MAX - LON_MIN) / 8
    along_ns = rng.random(patrol) < 0.5
    street_lon = (
        beat_lon + np.floor(rng.random(patrol) * (LON_MAX - LON_MIN) / 8 / STREET_STEP_LON) * STREET_STEP_LON
    )
    street_lat = (
        beat_lat + np.floor(rng.random(patrol) * (LAT_MAX - LAT_MIN) / 5 / STREET_STEP_LAT) * STREET_STEP_LAT
    )
    lat[:patrol] = np.where(along_ns, beat_lat + rng.random(patrol) * (LAT_MAX - LAT_MIN) / 5, street_lat)
    lon[:patrol] = np.where(along_ns, street_lon, beat_lon + rng.random(patrol) * (LON_MAX - LON_MIN) / 8)
    # Fixed cameras at intersections.
    cams_lat = LAT_MIN + rng.integers(1, 49, FIXED_UNITS) * STREET_STEP_LAT
    cams_lon = LON_MIN + rng.integers(1, 47, FIXED_UNITS) * STREET_STEP_LON
    which = rng.integers(0, FIXED_UNITS, fixed)
    unit[patrol:] = PATROL_UNITS + which
    lat[patrol:] = cams_lat[which]
    lon[patrol:] = cams_lon[which]
    # GPS noise, a few metres.
    lat += rng.normal(0, 4 / 111_195, n)
    lon += rng.normal(0, 4 / (111_195 * math.cos(math.radians(37.8))), n)
    # Plates: a long tail (Zipf-like); commuters seen daily, most plates seen once or twice.
    weights = 1.0 / (np.arange(DISTINCT_PLATES) + 20.0) ** 1.1
    plate = rng.choice(DISTINCT_PLATES, size=n, p=weights / weights.sum()).astype(np.int32)
    # Times over the year, more by day than by night; unique and in order.
    year_ms = 365 * DAY_MS
    t = np.sort(rng.integers(0, year_ms, n)) + int(YEAR_START.timestamp() * 1000)
    t = np.maximum.accumulate(t - np.arange(n)) + np.arange(n)
    order = rng.permutation(n)  # positions and plates are independent of the time order
    return t, lat[order], lon[order], plate[order], unit[order]


def plate_texts(rng: np.random.Generator) -> list[str]:
    """Distinct California-style plates: digit, three letters, three digits."""
    letters = np.array(list(LETTERS))
    texts: list[str] = []
    seen: set[str] = set()
    while len(texts) < DISTINCT_PLATES:
        n = DISTINCT_PLATES
        first = rng.integers(1, 10, n).astype(str)
        middle = letters[rng.integers(0, len(LETTERS), (n, 3))]
        last = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
        batch = np.char.add(
            np.char.add(np.char.add(np.char.add(first, middle[:, 0]), middle[:, 1]), middle[:, 2]), last
        )
        for text in batch.tolist():
            if text not in seen and len(texts) < DISTINCT_PLATES:
                seen.add(text)
                texts.append(text)
    return texts


def partial(plate: str, rng: np.random.Generator) -> str:
    """What a witness remembers: a few characters lost, or only the start or the end."""
    kind = rng.integers(0, 3)
    if kind == 0:  # two characters missed
        chars = list(plate)
        for i in rng.choice(len(plate), 2, replace=False):
            chars[i] = "?"
        return "".join(chars)
    if kind == 1:
        return plate[:4] + "*"
    return "*" + plate[-4:]


Search = tuple[str, Callable[[], int]]  # (label, run to the last page -> reads returned)


def run(kind: str, searches: list[Search], store: ColumnarIndexStore) -> dict[str, Any]:
    """Run the searches; print totals (and per label); the kind's numbers for the JSON line."""
    # items read, returned, requests, dictionary items, round trips, searches
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    latencies: list[float] = []
    for label, search in searches:
        store.reset()
        started = time.perf_counter()
        got = search()
        latencies.append((time.perf_counter() - started) * 1000)
        for key in (kind, label):
            row = totals[key]
            row[0] += store.items_read
            row[1] += got
            row[2] += store.requests
            row[3] += store.dictionary_items
            row[4] += store.round_trips if store.rounds else store.requests
            row[5] += 1
    result: dict[str, Any] = {}
    for key, (read_items, returned, requests, dictionary, trips, n) in sorted(
        totals.items(), key=lambda kv: (kv[0] != kind, len(kv[0]), kv[0])
    ):
        numbers = {
            "amplification": round(read_items / returned, 3) if returned else None,
            "requests": round(requests / n, 1),
        }
        extra = f", dictionary items read {dictionary / n:,.0f}" if dictionary else ""
        extra += f", {trips / n:,.1f} round trips"
        if key == kind:
            result = {**numbers, "median_ms": round(statistics.median(latencies), 2)}
            numbers = result
        print(
            f"{key:10s} {n:4d} searches: {returned / n:9,.1f} reads returned, {read_items / n:9,.1f} index items "
            f"read per search{extra}; {numbers}",
            flush=True,
        )
    return result


def _pages(first: Callable[[str | None], Any]) -> int:
    token: str | None = None
    total = 0
    while True:
        page = first(token)
        total += len(page.items)
        token = page.next
        if not token:
            return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reads", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=100, help="searches of each kind")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--fixed-share", type=float, default=FIXED_SHARE, help="share of reads from the 10 fixed cameras"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    started = time.perf_counter()
    plates = plate_texts(rng)
    t, lat, lon, plate, unit = city(args.reads, rng, args.fixed_share)
    store = ColumnarIndexStore(t, lat, lon, plate, unit, plates)
    print(
        f"{args.reads:,} reads, {len(np.unique(plate)):,} distinct plates, {PATROL_UNITS + FIXED_UNITS} units, "
        f"indexes built in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    clock = FixedClock(datetime.fromtimestamp(int(t.max()) / 1000, tz=UTC) + timedelta(minutes=1))
    end = clock.now()
    limits = SearchLimits()
    sample = rng.integers(0, args.reads, args.runs * 3)  # searches start from real sightings

    def plate_search(row: int) -> Search:
        days = int(rng.choice([7, 30, 365]))
        query = dict(plate=plates[int(plate[row])], start=end - timedelta(days=days), end=end, limit=PAGE)
        return f"  {days} days", lambda: _pages(
            lambda token: search_by_plate(store, PlateQuery(**query, next=token), clock)
        )

    def pattern_search(row: int) -> Search:
        equivalents = bool(rng.random() < 0.25)
        pattern = parse_pattern(partial(plates[int(plate[row])], rng), equivalents=equivalents)
        start = end - timedelta(days=int(rng.choice([7, 30, 90])))
        label = f"  {'equivalents' if equivalents else 'as typed'}, {'trigrams' if pattern_grams(pattern) else 'scan'}"
        return label, lambda: _pages(
            lambda token: search_pattern(
                store, pattern, start, end, limit=PAGE, token=token, clock=clock, fanout=store.fanout
            )
        )

    def canvass_search(row: int) -> Search:
        radius = float(rng.choice([100.0, 200.0, 300.0, 500.0, 1000.0]))
        hours = int(rng.choice([2, 6, 24, 72]))
        at = datetime.fromtimestamp(int(t[row]) / 1000, tz=UTC)
        area = Circle(float(lat[row]), float(lon[row]), radius)
        start = at - timedelta(hours=hours / 2)

        def search() -> int:
            return _pages(
                lambda token: search_canvass(
                    store,
                    area,
                    start,
                    start + timedelta(hours=hours),
                    limits,
                    limit=PAGE,
                    token=token,
                    clock=clock,
                    fanout=store.fanout,
                )
            )

        return f"  r={radius:.0f} m", search

    results = {
        "reads": args.reads,
        "plate": run("plate", [plate_search(int(r)) for r in sample[: args.runs]], store),
        "pattern": run("pattern", [pattern_search(int(r)) for r in sample[args.runs : 2 * args.runs]], store),
        "canvass": run("canvass", [canvass_search(int(r)) for r in sample[2 * args.runs :]], store),
    }
    print(f"total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
