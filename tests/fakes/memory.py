"""In-memory ports: the same contracts as the DynamoDB adapters, for tests and benchmarks."""

from __future__ import annotations

from alpr.domain.models import Correction, Read, iso_utc
from alpr.domain.reads import PageKey
from alpr.names import READS_TIME_KEY


class MemoryReadStore:
    """Reads in a dict, queried like the `by_plate` index (newest first, keyset paging)."""

    def __init__(self) -> None:
        self.reads: dict[str, Read] = {}
        self.plates: dict[str, dict[str, str | int]] = {}
        self.queries = 0

    def put_read(self, read: Read) -> bool:
        if read.read_id in self.reads:
            return False
        self.reads[read.read_id] = read
        seen = iso_utc(read.captured_at)
        entry = self.plates.setdefault(read.plate, {"first_seen": seen, "last_seen": seen, "count": 0})
        entry["first_seen"] = min(str(entry["first_seen"]), seen)
        entry["last_seen"] = max(str(entry["last_seen"]), seen)
        entry["count"] = int(entry["count"]) + 1
        return True

    def query_by_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        self.queries += 1
        return self._page(
            plate, [r for r in self.reads.values() if r.plate == plate], low, high, limit, start
        )

    def query_by_corrected_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        """The sparse corrections index (not counted in `queries`: the plate index's reads)."""
        corrected = [r for r in self.reads.values() if r.corrected_plate == plate]
        return self._page(plate, corrected, low, high, limit, start)

    def add_correction(self, read_id: str, correction: Correction) -> Read | None:
        read = self.reads.get(read_id)
        if read is None:
            return None
        corrected = read.model_copy(
            update={"corrections": [*read.corrections, correction], "corrected_plate": correction.plate}
        )
        self.reads[read_id] = corrected
        return corrected

    @staticmethod
    def _page(
        plate: str, reads: list[Read], low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        matches = sorted(
            (r for r in reads if low <= r.captured_key <= high),
            key=lambda r: r.captured_key,
            reverse=True,
        )
        if start:
            matches = [r for r in matches if r.captured_key < start[READS_TIME_KEY]]
        page = matches[:limit]
        more = len(matches) > limit
        last = page[-1] if page and more else None
        key = {"read_id": last.read_id, "plate": plate, READS_TIME_KEY: last.captured_key} if last else None
        return page, key
