"""The destruction record in S3 beside the access log, and the Reads table's census for it.

Tallies and reports are written once (`If-None-Match: *`, which the bucket's policy demands of every
put): a second write of the same key is refused with 412, which here means "already on record".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from alpr.adapters.dynamo import from_item
from alpr.domain.access import AccessLogUnavailable
from alpr.domain.retention_report import ReadState, ReportLine, Tally, tally_key
from alpr.names import RETENTION_TALLIES_PREFIX, TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


class S3RetentionRecords:
    def __init__(self, bucket: str, client: Callable[[], S3Client]) -> None:
        self.bucket = bucket
        self._client = client

    def _put_once(self, key: str, body: bytes) -> bool:
        if not self.bucket:
            raise AccessLogUnavailable("no access-log bucket is configured")
        try:
            self._client().put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType="application/x-ndjson", IfNoneMatch="*"
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                return False
            raise AccessLogUnavailable(f"{key} not written: {error}") from error
        except BotoCoreError as error:
            raise AccessLogUnavailable(f"{key} not written: {error}") from error
        return True

    def write_tally(self, tally: Tally) -> bool:
        return self._put_once(tally_key(tally), (tally.model_dump_json() + "\n").encode())

    def tallies(self, day: date) -> list[Tally]:
        paginator = self._client().get_paginator("list_objects_v2")
        prefix = f"{RETENTION_TALLIES_PREFIX}dt={day:%Y-%m-%d}/"
        keys = [
            obj["Key"]
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]
        return [
            Tally.model_validate_json(self._client().get_object(Bucket=self.bucket, Key=key)["Body"].read())
            for key in keys
        ]

    def write_report(self, key: str, lines: list[ReportLine]) -> bool:
        return self._put_once(key, b"".join((line.model_dump_json() + "\n").encode() for line in lines))


# Only what the census needs: no plate, no place.
_PROJECTION = "captured_at, #ttl, legal_holds, image_key, crop_key"


class DynamoReadCensus:
    def __init__(self, table: str, client: Callable[[], DynamoDBClient]) -> None:
        self.table = table
        self._client = client

    def read_states(self) -> Iterator[ReadState]:
        paginator = self._client().get_paginator("scan")
        pages: Iterable = paginator.paginate(
            TableName=self.table,
            ProjectionExpression=_PROJECTION,
            ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
        )
        for page in pages:
            for item in page["Items"]:
                read = from_item(item)
                if "captured_at" not in read:
                    continue  # not a read
                yield ReadState(
                    captured_at=read["captured_at"],
                    expires_at=read.get(TTL_ATTRIBUTE),
                    held=bool(read.get("legal_holds")),
                    image_key=read.get("image_key"),
                    crop_key=read.get("crop_key"),
                )
