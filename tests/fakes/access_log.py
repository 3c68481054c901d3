"""The in-memory AccessLog for unit tests: the port of alpr.adapters.access_log, in dicts."""

from __future__ import annotations

from alpr.domain.access import AccessLogUnavailable, AccessRecord
from alpr.domain.reviews import ReviewLine


class MemoryAccessLog:
    """The same port in memory (unit tests); `fail` makes every write fail."""

    def __init__(self) -> None:
        self.records: list[AccessRecord] = []
        self.reviews: dict[str, list[ReviewLine]] = {}
        self.fail = False

    def write(self, record: AccessRecord) -> None:
        if self.fail:
            raise AccessLogUnavailable("access log unavailable (fault injected)")
        self.records.append(record)

    def write_review(self, key: str, lines: list[ReviewLine]) -> None:
        if self.fail:
            raise AccessLogUnavailable("access log unavailable (fault injected)")
        self.reviews[key] = lines
