"""An in-memory search store: the searches' port over dicts, for unit tests.

It answers like DynamoDB does: an index query returns up to `limit` items of one
partition, newest first, and a position to continue from whenever it stopped at the
limit (even when nothing follows, as DynamoDB does). It counts the items each query
evaluated and the requests made, so tests can check what a search read.
"""

from __future__ import annotations

from collections.abc import Sequence

from alpr.domain.models import Read
from alpr.domain.plate_grams import grams_of
from alpr.domain.reads import PageKey
from alpr.domain.search import PlateSighting
from alpr.names import READ_ID, READS_TIME_KEY
from tests.fakes.memory import MemoryReadStore


class MemorySearchStore(MemoryReadStore):
    def __init__(self) -> None:
        super().__init__()
        self.items_read = 0
        self.requests = 0
        self.dictionary_items_read = 0
        self.grams: dict[str, set[str]] = {}

    def put_read(self, read: Read) -> bool:
        if read.plate not in self.plates:
            for gram in grams_of(read.plate):
                self.grams.setdefault(gram, set()).add(read.plate)
        return super().put_read(read)

    def query_index(
        self, index: str, attribute: str, key: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        self.requests += 1
        del index  # one index per attribute here
        matches = sorted(
            (
                r
                for r in self.reads.values()
                if getattr(r, attribute) == key and low <= r.captured_key <= high
            ),
            key=lambda r: r.captured_key,
            reverse=True,
        )
        if start:
            matches = [r for r in matches if r.captured_key < start[READS_TIME_KEY]]
        page = matches[:limit]
        self.items_read += len(page)
        if len(page) < limit:
            return page, None
        last = page[-1]
        return page, {READ_ID: last.read_id, attribute: key, READS_TIME_KEY: last.captured_key}

    def plate_sightings(self, seen_from: str, seen_to: str, contains: str | None) -> list[PlateSighting]:
        self.requests += 1
        self.dictionary_items_read += len(self.plates)
        return [
            PlateSighting(plate, str(e["first_seen"]), str(e["last_seen"]), int(e["count"]))
            for plate, e in self.plates.items()
            if str(e["last_seen"]) >= seen_from
            and str(e["first_seen"]) <= seen_to
            and (contains is None or contains in plate)
        ]

    def plates_with_grams(self, grams: set[str]) -> set[str] | None:
        self.requests += 1
        self.dictionary_items_read += len(grams)
        return set.intersection(*(self.grams.get(gram, set()) for gram in grams))

    def plate_entries(self, plates: Sequence[str]) -> list[PlateSighting]:
        self.requests += -(-len(plates) // 100)  # BatchGetItem: 100 keys a request
        self.dictionary_items_read += len(plates)
        return [
            PlateSighting(p, str(e["first_seen"]), str(e["last_seen"]), int(e["count"]))
            for p in plates
            if (e := self.plates.get(p))
        ]

    def get_read(self, read_id: str) -> Read | None:
        self.requests += 1
        return self.reads.get(read_id)
