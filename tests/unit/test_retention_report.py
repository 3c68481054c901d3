"""The retention report's rules: what counts as purged, held and due (policy 439.3.1(f))."""

from datetime import UTC, date, datetime, timedelta

import pytest

from alpr.domain.retention import Retention
from alpr.domain.retention_report import (
    TTL_PRINCIPAL,
    Census,
    CountedBy,
    Kind,
    ReadState,
    census,
    lifecycle_tallies,
    purged_by_kind,
    report_key,
    report_lines,
    stream_tallies,
    tally_key,
)

NOW = datetime(2027, 6, 2, 7, 0, tzinfo=UTC)
RETENTION = Retention(days=365)


def removal(event_id: str, at: datetime, *, by_ttl: bool = True, name: str = "REMOVE") -> dict:
    identity = {"type": "Service", "principalId": TTL_PRINCIPAL} if by_ttl else None
    record = {
        "eventID": event_id,
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"ApproximateCreationDateTime": at.timestamp(), "Keys": {"read_id": {"S": event_id}}},
    }
    return record | ({"userIdentity": identity} if identity else {})


def lifecycle(key: str, at: datetime, event: str = "LifecycleExpiration:Delete") -> dict:
    return {
        "eventName": event,
        "eventTime": at.isoformat().replace("+00:00", "Z"),
        "s3": {"object": {"key": key, "versionId": "v1", "sequencer": "0A"}},
    }


def test_only_removals_by_dynamodb_ttl_are_purges_counted_per_utc_day():
    late, early = datetime(2027, 6, 1, 23, 59, tzinfo=UTC), datetime(2027, 6, 2, 0, 1, tzinfo=UTC)
    tallies = stream_tallies(
        [
            removal("a", late),
            removal("b", late),
            removal("c", early),
            removal("d", late, by_ttl=False),  # a user's or a function's delete is not a purge
            removal("e", late, name="MODIFY"),  # a hold removing the TTL is not a purge
        ]
    )
    assert [(t.kind, t.day, t.purged) for t in tallies] == [
        (Kind.READS, date(2027, 6, 1), 2),
        (Kind.READS, date(2027, 6, 2), 1),
    ]


def test_a_batch_tallied_again_has_the_same_key_whatever_its_order():
    at = datetime(2027, 6, 1, 12, tzinfo=UTC)
    first = stream_tallies([removal("a", at), removal("b", at)])
    again = stream_tallies([removal("b", at), removal("a", at)])
    other = stream_tallies([removal("a", at), removal("c", at)])
    assert [tally_key(t) for t in first] == [tally_key(t) for t in again]
    assert tally_key(first[0]) != tally_key(other[0])
    assert tally_key(first[0]).startswith("retention-tallies/dt=2027-06-01/reads-")


def test_lifecycle_deletions_of_images_and_crops_count_delete_markers_and_other_keys_do_not():
    at = datetime(2027, 6, 1, 3, tzinfo=UTC)
    tallies = lifecycle_tallies(
        [
            lifecycle("raw/unit-01/2026/05/31/a.jpg", at),
            lifecycle("raw/unit-01/2026/05/31/b.jpg", at),
            lifecycle("crops/r1.jpg", at),
            lifecycle("crops/r2.jpg", at, "LifecycleExpiration:DeleteMarkerCreated"),  # still recoverable
            lifecycle("crops/r3.jpg", at, "ObjectRemoved:Delete"),  # a user's delete, not the schedule
            lifecycle("quarantine/x.jpg", at),
        ]
    )
    assert purged_by_kind(tallies) == {Kind.IMAGES: 2, Kind.CROPS: 1}


def test_census_counts_held_past_retention_with_their_objects_and_what_falls_due():
    year_ago = NOW - timedelta(days=400)
    reads = [
        # past retention, kept by a hold; two reads of one image
        ReadState(captured_at=year_ago, held=True, image_key="raw/i1.jpg", crop_key="crops/r1.jpg"),
        ReadState(captured_at=year_ago, held=True, image_key="raw/i1.jpg", crop_key="crops/r2.jpg"),
        # held but still within retention: not yet "kept past retention"
        ReadState(captured_at=NOW - timedelta(days=10), held=True, image_key="raw/i2.jpg"),
        ReadState(captured_at=NOW, expires_at=int((NOW + timedelta(hours=3)).timestamp())),
        ReadState(captured_at=NOW, expires_at=int((NOW + timedelta(days=6)).timestamp())),
        ReadState(captured_at=NOW, expires_at=int((NOW + timedelta(days=8)).timestamp())),
        ReadState(captured_at=NOW, expires_at=int((NOW - timedelta(hours=1)).timestamp())),  # sweep lags
    ]
    assert census(reads, NOW, RETENTION) == Census(
        reads_held=2, images_held=1, crops_held=2, due_next_day=1, due_next_7_days=2
    )


def test_the_report_has_a_line_per_kind_and_only_reads_have_due_counts():
    start = datetime(2027, 6, 1, tzinfo=UTC)
    lines = report_lines(
        period_start=start,
        period_end=start + timedelta(days=1),
        generated_at=NOW,
        purged={Kind.READS: 7, Kind.CROPS: 3},
        counted=Census(reads_held=2, images_held=1, crops_held=2, due_next_day=1, due_next_7_days=4),
        retention=RETENTION,
        counted_by=CountedBy.CLOUD,
    )
    assert [
        (line.kind, line.purged, line.held, line.due_next_day, line.due_next_7_days) for line in lines
    ] == [
        ("reads", 7, 2, 1, 4),
        ("images", 0, 1, None, None),
        ("crops", 3, 2, None, None),
    ]
    assert {line.retention_days for line in lines} == {365}


def test_a_daily_report_is_filed_under_the_day_it_reports():
    assert (
        report_key(datetime(2027, 6, 2, tzinfo=UTC))
        == "retention-reports/dt=2027-06-01/20270602T000000Z.json"
    )
    assert report_key(datetime(2027, 6, 2, 9, 30, tzinfo=UTC)).startswith("retention-reports/dt=2027-06-02/")


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="ends"):
        report_lines(
            period_start=NOW,
            period_end=NOW - timedelta(seconds=1),
            generated_at=NOW,
            purged={},
            counted=Census(),
            retention=RETENTION,
            counted_by=CountedBy.LOCAL,
        )
