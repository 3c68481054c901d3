"""The audit's DuckDB side on a moto server: records written by the one access-log writer,
read back one partition per day of the window, and the named queries run over them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from alpr.adapters.access_log import S3AccessLog, record_key
from alpr.adapters.audit_duckdb import S3AuditSource, partition_prefix
from alpr.domain.access import AccessRecord
from alpr.domain.audit import named_query
from tests.access_records import plate_search
from tests.integration.moto_server import moto_server

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REGION = "us-east-1"
FIRST, LAST = date(2026, 11, 23), date(2026, 11, 29)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Client]:
    """A moto server on a free port and an S3 client on it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    with moto_server() as endpoint:
        yield boto3.client("s3", endpoint_url=endpoint, region_name=REGION)


@pytest.fixture
def bucket(s3: S3Client) -> str:
    """An Object Lock access-log bucket, as the template makes it."""
    name = f"alpr-access-log-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def record(at: datetime, username: str = "ivy", plate: str = "7ABC123", **fields: Any) -> AccessRecord:
    return plate_search(at, key=f"{username}-{plate}", plate=plate, username=username, **fields)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_the_window_s_records_come_back_and_nothing_else(s3: S3Client, bucket: str) -> None:
    # Given records written by the access-log writer on the window's first and last days and around it
    log = S3AccessLog(bucket, cache(lambda: s3))
    inside = [
        record(at(FIRST, 0, 1)),
        record(at(FIRST, 12), username="sam", plate="8XYZ456"),
        record(at(LAST, 23, 59), outcome="refused", status=403, reason="no current training record"),
    ]
    outside = [record(at(FIRST - timedelta(days=1), 23, 59)), record(at(LAST + timedelta(days=1), 0, 0))]
    for each in inside + outside:
        log.write(each)
    # and an object in the next day's partition that is not JSON at all: reading it would fail
    s3.put_object(Bucket=bucket, Key=f"{partition_prefix(LAST + timedelta(days=1))}broken.json", Body=b"{")

    # When the window's records are loaded into DuckDB
    source = S3AuditSource(bucket, cache(lambda: s3))
    rows = list(source.records(FIRST, LAST))

    # Then exactly the window's records come back, each with its key's partition
    assert sorted(r["event_id"] for r, _ in rows) == sorted(r.event_id for r in inside)
    assert {dt for _, dt in rows} == {f"{FIRST}", f"{LAST}"}
    assert [AccessRecord.model_validate(r) for r, _ in rows] == sorted(inside, key=record_key)


def test_the_named_queries_answer_from_the_stored_records(s3: S3Client, bucket: str) -> None:
    # Given an allowed search of each of two plates and a refusal, stored in S3
    log = S3AccessLog(bucket, cache(lambda: s3))
    log.write(record(at(FIRST, 8)))
    log.write(record(at(FIRST, 9), username="sam", plate="8XYZ456", case_number="26-000777"))
    log.write(record(at(LAST, 10), username="untrained", outcome="refused", status=403, reason="no training"))
    log.write(record(at(LAST + timedelta(days=1), 1)))  # next week's

    # When the auditor runs the named queries over the week
    database = S3AuditSource(bucket, cache(lambda: s3)).database(FIRST, LAST)
    window = {"from_day": f"{FIRST}", "to_day": f"{LAST}", "plate": "7ABC123"}
    data = database.run(named_query("data-access"), window)
    refusals = database.run(named_query("refusals"), window)
    lookups = database.run(named_query("plate-lookups"), window)

    # Then each answers from the stored records of that week only
    columns = data.columns
    assert [
        (row[columns.index("username")], row[columns.index("plate")], row[columns.index("case_number")])
        for row in data.rows
    ] == [("ivy", "7ABC123", "26-004512"), ("sam", "8XYZ456", "26-000777")]
    assert [row[refusals.columns.index("reason")] for row in refusals.rows] == ["no training"]
    assert [
        (row[lookups.columns.index("username")], row[lookups.columns.index("outcome")])
        for row in lookups.rows
    ] == [("ivy", "allowed"), ("untrained", "refused")]
