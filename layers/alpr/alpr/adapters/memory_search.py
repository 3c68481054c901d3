"""An in-memory search store: the searches' port over dicts, for unit tests.

It answers like DynamoDB does: an index query returns up to `limit` items of one
partition, newest first, and a position to continue from whenever it stopped at the
limit (even when nothing follows, as DynamoDB does). It counts the items each query
evaluated and the requests made, so tests can check what a search read.
"""

from __future__ import annotations

from alpr.adapters.memory import MemoryReadStore
from alpr.domain.reads import PageKey
from alpr.domain.search import PlateSighting
from alpr.models import Read
from alpr.names import READ_ID, READS_TIME_KEY


class MemorySearchStore(MemoryReadStore):
    def __init__(self) -> None:
        super().__init__()
        self.items_read = 0
        self.requests = 0
        self.dictionary_items_read = 0

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

    def get_read(self, read_id: str) -> Read | None:
        self.requests += 1
        return self.reads.get(read_id)
