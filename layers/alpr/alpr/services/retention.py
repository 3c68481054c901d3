"""Destruction on record: purges tallied as they happen, and the retention report over them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from alpr.domain.clock import Clock
from alpr.domain.retention import Retention
from alpr.domain.retention_report import (
    CountedBy,
    Kind,
    ReadCensus,
    ReportLine,
    RetentionRecords,
    census,
    lifecycle_tallies,
    purged_by_kind,
    report_key,
    report_lines,
    stream_tallies,
)


@dataclass
class RetentionReporter:
    reads: ReadCensus
    records: RetentionRecords
    retention: Retention
    clock: Clock

    def tally_stream(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Tally the reads DynamoDB TTL removed in a batch of the Reads stream; how many were new."""
        return sum(t.purged for t in stream_tallies(records) if self.records.write_tally(t))

    def tally_lifecycle(self, s3_records: Iterable[Mapping[str, Any]]) -> int:
        """Tally the images and crops the lifecycle deleted; how many were new."""
        return sum(t.purged for t in lifecycle_tallies(s3_records) if self.records.write_tally(t))

    def report(
        self, period_start: datetime, period_end: datetime, purged: Mapping[Kind, int], counted_by: CountedBy
    ) -> tuple[str, list[ReportLine]]:
        """Count what is held and due now, write the report; its key and lines."""
        now = self.clock.now()
        lines = report_lines(
            period_start=period_start,
            period_end=period_end,
            generated_at=now,
            purged=purged,
            counted=census(self.reads.read_states(), now, self.retention),
            retention=self.retention,
            counted_by=counted_by,
        )
        key = report_key(period_end)
        self.records.write_report(key, lines)
        return key, lines

    def daily(self, day: date | None = None) -> tuple[str, list[ReportLine]]:
        """The report of one UTC day (yesterday by default): the day's tallies summed."""
        day = day or self.clock.now().date() - timedelta(days=1)
        start = datetime.combine(day, time(), tzinfo=UTC)
        purged = purged_by_kind(self.records.tallies(day))
        return self.report(start, start + timedelta(days=1), purged, CountedBy.CLOUD)
