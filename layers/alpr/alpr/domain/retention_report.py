"""Destruction on record (policy 439.3.1(f), with the Custodian of Records): the retention report.

Each report covers a period (in the cloud one UTC day, written the next morning; locally the time
since the sweeper's previous report) and has one line per kind of ALPR data, `reads`, `images`
and `crops`:

- `purged`: how many were destroyed in the period, counted from the destruction itself, never
  inferred from dates. Reads: the Reads table stream's REMOVE records made by DynamoDB TTL (the
  service principal `dynamodb.amazonaws.com`; a delete by anyone else is not a purge). Images and
  crops: the uploads bucket's `s3:LifecycleExpiration:Delete` events (the version permanently gone,
  not the delete marker put over it a day earlier). Locally: what the TTL sweeper deleted (moto runs
  no lifecycle, so no image or crop is purged there).
- `held`: kept past their retention by a legal hold at the time of the report (reads whose
  retention is over and that carry a hold; their images and crops, which the hold locks).
- `due_next_day`, `due_next_7_days`: reads whose TTL falls within the next day and 7 days. Images
  and crops are expired by the bucket's lifecycle from their own age, which the report does not
  list (a bucket listing): null.

Every count is tallied as the destruction happens (`purge_tallies`), stored beside the access log
under the same Object Lock, and summed by the report: a retried batch writes the same tally key,
which exists already, so nothing is counted twice.

Pure domain: no boto3, no environment.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from alpr.domain.models import UtcDatetime, as_utc, parse_iso_utc
from alpr.domain.retention import Retention
from alpr.names import CROPS_PREFIX, RAW_PREFIX, RETENTION_REPORTS_PREFIX, RETENTION_TALLIES_PREFIX

TTL_PRINCIPAL = "dynamodb.amazonaws.com"  # the userIdentity of a REMOVE made by DynamoDB TTL
LIFECYCLE_DELETE = "LifecycleExpiration:Delete"  # S3's event for a version the lifecycle deleted


class Kind(StrEnum):
    READS = "reads"
    IMAGES = "images"
    CROPS = "crops"


class CountedBy(StrEnum):
    CLOUD = "dynamodb-ttl-stream, s3-lifecycle-events"
    LOCAL = "local-ttl-sweeper"


class Tally(BaseModel):
    """Purges of one kind on one UTC day, from one batch of destruction events."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    day: date
    purged: int
    batch: str  # a digest of the events' ids: the same batch gives the same tally key


class ReadState(BaseModel):
    """What the census needs of one read (a projection of its item)."""

    captured_at: UtcDatetime
    expires_at: int | None = None
    held: bool = False
    image_key: str | None = None
    crop_key: str | None = None


class Census(BaseModel):
    """Held and due counts of the Reads table at one moment."""

    reads_held: int = 0
    images_held: int = 0
    crops_held: int = 0
    due_next_day: int = 0
    due_next_7_days: int = 0


class ReportLine(BaseModel):
    """One kind's line of a report (the `retention_reports` table)."""

    period_start: UtcDatetime
    period_end: UtcDatetime
    generated_at: UtcDatetime
    kind: str
    purged: int
    held: int
    due_next_day: int | None
    due_next_7_days: int | None
    retention_days: int
    counted_by: str


def census(reads: Iterable[ReadState], now: datetime, retention: Retention) -> Census:
    """Held past retention (and their images and crops, distinct keys) and due within 1 and 7 days."""
    at = as_utc(now).timestamp()
    held = 0
    images: set[str] = set()
    crops: set[str] = set()
    day = week = 0
    for read in reads:
        if read.held and retention.expiry(read.captured_at) <= as_utc(now):
            held += 1
            images.update([read.image_key] if read.image_key else [])
            crops.update([read.crop_key] if read.crop_key else [])
        elif read.expires_at is not None and at < read.expires_at:
            day += read.expires_at <= at + timedelta(days=1).total_seconds()
            week += read.expires_at <= at + timedelta(days=7).total_seconds()
    return Census(
        reads_held=held,
        images_held=len(images),
        crops_held=len(crops),
        due_next_day=day,
        due_next_7_days=week,
    )


def report_lines(
    *,
    period_start: datetime,
    period_end: datetime,
    generated_at: datetime,
    purged: Mapping[Kind, int],
    counted: Census,
    retention: Retention,
    counted_by: CountedBy,
) -> list[ReportLine]:
    """The report: one line per kind, reads first."""
    if period_end < period_start:
        raise ValueError(f"the period ends ({period_end}) before it starts ({period_start})")
    common = {
        "period_start": period_start,
        "period_end": period_end,
        "generated_at": generated_at,
        "retention_days": retention.days,
        "counted_by": counted_by.value,
    }
    return [
        ReportLine(
            **common,
            kind=Kind.READS.value,
            purged=purged.get(Kind.READS, 0),
            held=counted.reads_held,
            due_next_day=counted.due_next_day,
            due_next_7_days=counted.due_next_7_days,
        ),
        ReportLine(
            **common,
            kind=Kind.IMAGES.value,
            purged=purged.get(Kind.IMAGES, 0),
            held=counted.images_held,
            due_next_day=None,
            due_next_7_days=None,
        ),
        ReportLine(
            **common,
            kind=Kind.CROPS.value,
            purged=purged.get(Kind.CROPS, 0),
            held=counted.crops_held,
            due_next_day=None,
            due_next_7_days=None,
        ),
    ]


def report_key(period_end: datetime) -> str:
    """retention-reports/dt=<day the period ends in>/<period end>.json: a daily report's key is fixed
    by its day (period end 00:00 of the next day goes to the day reported), so a retry finds it."""
    end = as_utc(period_end)
    day = (end - timedelta(microseconds=1)).date()
    return f"{RETENTION_REPORTS_PREFIX}dt={day:%Y-%m-%d}/{end:%Y%m%dT%H%M%S}Z.json"


def tally_key(tally: Tally) -> str:
    return f"{RETENTION_TALLIES_PREFIX}dt={tally.day:%Y-%m-%d}/{tally.kind.value}-{tally.batch}.json"


def _batch(ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:32]


def _tallies(events: Iterable[tuple[Kind, date, str]]) -> list[Tally]:
    by_day: dict[tuple[Kind, date], list[str]] = {}
    for kind, day, event_id in events:
        by_day.setdefault((kind, day), []).append(event_id)
    return [
        Tally(kind=kind, day=day, purged=len(ids), batch=_batch(ids))
        for (kind, day), ids in sorted(by_day.items())
    ]


def is_ttl_removal(record: Mapping[str, Any]) -> bool:
    """A stream record of an item DynamoDB TTL deleted (not one a user or function deleted)."""
    identity = record.get("userIdentity") or {}
    return (
        record.get("eventName") == "REMOVE"
        and identity.get("type") == "Service"
        and identity.get("principalId") == TTL_PRINCIPAL
    )


def stream_tallies(records: Iterable[Mapping[str, Any]]) -> list[Tally]:
    """Reads purged by TTL in a batch of the Reads stream, per UTC day of the removal."""
    return _tallies(
        (
            Kind.READS,
            datetime.fromtimestamp(float(record["dynamodb"]["ApproximateCreationDateTime"]), tz=UTC).date(),
            str(record["eventID"]),
        )
        for record in records
        if is_ttl_removal(record)
    )


def object_kind(key: str) -> Kind | None:
    """Images live under raw/, crops under crops/; anything else in the bucket is neither."""
    if key.startswith(RAW_PREFIX):
        return Kind.IMAGES
    if key.startswith(CROPS_PREFIX):
        return Kind.CROPS
    return None


def lifecycle_tallies(s3_records: Iterable[Mapping[str, Any]]) -> list[Tally]:
    """Images and crops the uploads bucket's lifecycle deleted, per UTC day of the deletion (S3 event
    records; a delete marker, a user's delete or a test event is not a purge)."""
    events = []
    for record in s3_records:
        if not str(record.get("eventName", "")).endswith(LIFECYCLE_DELETE):
            continue
        obj = record["s3"]["object"]
        kind = object_kind(obj["key"])
        if kind is None:
            continue
        identity = f"{obj['key']}#{obj.get('versionId', '')}#{obj.get('sequencer', '')}"
        events.append((kind, parse_iso_utc(record["eventTime"]).date(), identity))
    return _tallies(events)


def purged_by_kind(tallies: Iterable[Tally]) -> dict[Kind, int]:
    total: Counter[Kind] = Counter()
    for tally in tallies:
        total[tally.kind] += tally.purged
    return dict(total)


class RetentionRecords(Protocol):
    """The destruction record beside the access log (same bucket, same Object Lock)."""

    def write_tally(self, tally: Tally) -> bool:
        """Store a tally; False when the same batch was tallied already."""
        ...

    def tallies(self, day: date) -> list[Tally]: ...

    def write_report(self, key: str, lines: list[ReportLine]) -> bool:
        """Store a report; False when a report with that key exists already."""
        ...


class ReadCensus(Protocol):
    def read_states(self) -> Iterable[ReadState]:
        """Every read in the Reads table, as the census needs it."""
        ...
