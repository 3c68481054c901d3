"""The one access-log writer: one JSON line per access, one S3 object per record.

Keys are `access-log/dt=YYYY-MM-DD/<time>-<event id>.json` (Hive-style partitions for Glue,
Athena and DuckDB). The bucket has Object Lock with a default retention, and the writer's
role may only PutObject under `access-log/`, so a record, once written, cannot be changed
or deleted by the API. See docs/decisions.md for why a direct put and not Firehose.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from alpr.domain.access import AccessLogUnavailable, AccessRecord
from alpr.domain.account_reviews import account_review_day
from alpr.domain.reviews import reviewed_window_end
from alpr.names import ACCESS_LOG_PREFIX, ACCOUNT_REVIEWS_PREFIX, AUDIT_REVIEWS_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def record_key(record: AccessRecord) -> str:
    """Where a record lives: its UTC day's partition, then time and id (so keys sort by time)."""
    at = record.time
    return f"{ACCESS_LOG_PREFIX}dt={at:%Y-%m-%d}/{at:%Y%m%dT%H%M%S}.{at.microsecond // 1000:03d}Z-{record.event_id}.json"


def record_line(record: AccessRecord) -> bytes:
    return (record.model_dump_json() + "\n").encode()


class S3AccessLog:
    """Writes each record as its own object before the response leaves."""

    def __init__(self, bucket: str, client: Callable[[], S3Client]) -> None:
        self.bucket = bucket
        self._client = client

    def write(self, record: AccessRecord) -> None:
        if not self.bucket:
            raise AccessLogUnavailable("no access-log bucket is configured")
        try:
            self._client().put_object(
                Bucket=self.bucket,
                Key=record_key(record),
                Body=record_line(record),
                ContentType="application/x-ndjson",
                IfNoneMatch="*",  # a record is never written over (the bucket policy demands it)
            )
        except (ClientError, BotoCoreError) as error:
            raise AccessLogUnavailable(f"access record {record.event_id} not written: {error}") from error

    def reviewed_window_ends(self, recorded_on: date) -> list[date]:
        """The last days of the windows reviewed in reviews recorded on one day (from the keys alone:
        the watch may list the reviews' prefix, never read the log)."""
        paginator = self._client().get_paginator("list_objects_v2")
        prefix = f"{AUDIT_REVIEWS_PREFIX}dt={recorded_on:%Y-%m-%d}/"
        keys = [
            obj["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]
        return [end for key in keys if (end := reviewed_window_end(key)) is not None]

    def account_review_days(self) -> list[date]:
        """The days account reviews were recorded, from their day partitions alone (a few a year: one
        listing of the prefix, folded at `/`; the watch never reads a review)."""
        paginator = self._client().get_paginator("list_objects_v2")
        partitions = [
            common["Prefix"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=ACCOUNT_REVIEWS_PREFIX, Delimiter="/")
            for common in page.get("CommonPrefixes", [])
        ]
        return [day for partition in partitions if (day := account_review_day(partition)) is not None]

    def write_review(self, key: str, lines: Sequence[BaseModel]) -> None:
        """A review (weekly: one JSON line per finding; yearly account review: one per account),
        beside the log (same bucket, same lock)."""
        if not self.bucket:
            raise AccessLogUnavailable("no access-log bucket is configured")
        try:
            self._client().put_object(
                Bucket=self.bucket,
                Key=key,
                Body=b"".join((line.model_dump_json() + "\n").encode() for line in lines),
                ContentType="application/x-ndjson",
            )
        except (ClientError, BotoCoreError) as error:
            raise AccessLogUnavailable(f"review {key} not written: {error}") from error
