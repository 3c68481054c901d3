"""Hotlist storage: version pointers and local entries in the Hotlist table, compiled lists in S3.

Items of the Hotlist table (`pk`, `sk`):
- `sources` / `<SOURCE>`: the current version of a source's list (ListVersion): the one item a
  recognize container reads per batch to learn whether a list changed;
- `source#LOCAL` / `entry#<entry_id>`: a local entry, with `ocr_key` (its plate folded) for plain
  plates, so the `ocr_key` index finds it by look-alike.
Compiled list versions are objects `snapshots/<SOURCE>/<version>.snapshot` in the hotlist bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from alpr.adapters.dynamo import _is_condition_failure, from_item, to_item
from alpr.domain.confusables import ocr_key
from alpr.domain.hotlist import LOCAL_SOURCE, HotlistEntry, ListVersion, VersionConflict
from alpr.names import (
    HOTLIST_LOCAL_PK,
    HOTLIST_OCR_KEY,
    HOTLIST_PK,
    HOTLIST_SK,
    HOTLIST_SNAPSHOT_PREFIX,
    HOTLIST_SOURCES_PK,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

ENTRY_PREFIX = "entry#"
REMOVED_PREFIX = "removed#"  # a removed local entry, kept with who removed it (not matched, not listed)


def snapshot_key(source: str, version: str) -> str:
    return f"{HOTLIST_SNAPSHOT_PREFIX}{source}/{version}.snapshot"


def _pointer_key(source: str) -> dict[str, Any]:
    return to_item({HOTLIST_PK: HOTLIST_SOURCES_PK, HOTLIST_SK: source})


def _entry_key(entry_id: str) -> dict[str, Any]:
    return to_item({HOTLIST_PK: HOTLIST_LOCAL_PK, HOTLIST_SK: ENTRY_PREFIX + entry_id})


def _version(item: dict[str, Any]) -> ListVersion:
    return ListVersion.model_validate(from_item(item))


def _entry(item: dict[str, Any]) -> HotlistEntry:
    return HotlistEntry.model_validate(from_item(item))


class DynamoHotlistStore:
    """The HotlistStore port on DynamoDB (pointers, local entries) and S3 (compiled lists)."""

    def __init__(
        self,
        table: str,
        bucket: str,
        dynamodb: Callable[[], DynamoDBClient],
        s3: Callable[[], S3Client],
    ) -> None:
        self.table = table
        self.bucket = bucket
        self._dynamodb = dynamodb
        self._s3 = s3

    def current_versions(self) -> list[ListVersion]:
        response = self._dynamodb().query(
            TableName=self.table,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": HOTLIST_PK},
            ExpressionAttributeValues=to_item({":pk": HOTLIST_SOURCES_PK}),
            ConsistentRead=True,
        )
        return [_version(item) for item in response.get("Items", [])]

    def current_version(self, source: str) -> ListVersion | None:
        item = self._dynamodb().get_item(TableName=self.table, Key=_pointer_key(source), ConsistentRead=True)
        return _version(item["Item"]) if "Item" in item else None

    def put_snapshot(self, source: str, version: str, data: bytes) -> str:
        key = snapshot_key(source, version)
        self._s3().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/octet-stream")
        return key

    def get_snapshot(self, key: str) -> bytes:
        return self._s3().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def delete_snapshots(self, source: str, keep: Sequence[str]) -> int:
        keep_keys = {snapshot_key(source, version) for version in keep}
        stale: list[str] = []
        paginator = self._s3().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{HOTLIST_SNAPSHOT_PREFIX}{source}/"):
            stale += [o["Key"] for o in page.get("Contents", []) if o["Key"] not in keep_keys]
        for start in range(0, len(stale), 1000):
            self._s3().delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in stale[start : start + 1000]], "Quiet": True},
            )
        return len(stale)

    def flip(self, new: ListVersion, expected: str | None) -> None:
        item = {HOTLIST_PK: HOTLIST_SOURCES_PK, HOTLIST_SK: new.source, **new.model_dump(mode="json")}
        condition: dict[str, Any] = (
            {
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": HOTLIST_PK},
            }
            if expected is None
            else {
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": to_item({":expected": expected}),
            }
        )
        try:
            self._dynamodb().put_item(TableName=self.table, Item=to_item(item), **condition)
        except ClientError as error:
            if _is_condition_failure(error):
                raise VersionConflict(
                    f"another import of {new.source} finished first; import the file again"
                ) from None
            raise

    def _pointer_update(self, version: ListVersion, change: int) -> Any:
        return {
            "Update": {
                "TableName": self.table,
                "Key": _pointer_key(LOCAL_SOURCE),
                "UpdateExpression": (
                    "SET #source = :source, #version = :version, refreshed_at = :at, imported_at = :at "
                    "ADD entries :change"
                ),
                "ExpressionAttributeNames": {"#source": "source", "#version": "version"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":source": LOCAL_SOURCE,
                        ":version": version.version,
                        ":at": version.model_dump(mode="json")["refreshed_at"],
                        ":change": change,
                    }
                ),
            }
        }

    def put_local_entry(self, entry: HotlistEntry, version: ListVersion) -> None:
        data = entry.model_dump(mode="json")
        item = {HOTLIST_PK: HOTLIST_LOCAL_PK, HOTLIST_SK: ENTRY_PREFIX + entry.entry_id, **data}
        if not entry.is_pattern:
            item[HOTLIST_OCR_KEY] = ocr_key(entry.plate)  # sparse index: plain plates only
        self._dynamodb().transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table, "Item": to_item(item)}},
                self._pointer_update(version, 1),
            ]
        )

    def delete_local_entry(
        self, entry_id: str, version: ListVersion, removed: HotlistEntry
    ) -> HotlistEntry | None:
        found = self._dynamodb().get_item(TableName=self.table, Key=_entry_key(entry_id), ConsistentRead=True)
        if "Item" not in found:
            return None
        kept = {
            HOTLIST_PK: HOTLIST_LOCAL_PK,
            HOTLIST_SK: REMOVED_PREFIX + entry_id,
            **removed.model_dump(mode="json"),
        }
        try:
            self._dynamodb().transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": self.table, "Item": to_item(kept)}},
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": _entry_key(entry_id),
                            "ConditionExpression": "attribute_exists(#pk)",
                            "ExpressionAttributeNames": {"#pk": HOTLIST_PK},
                        }
                    },
                    self._pointer_update(version, -1),
                ]
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return None  # removed by someone else meanwhile
            raise
        return _entry(found["Item"])

    def removed_entries(self) -> list[HotlistEntry]:
        """Local entries removed, each with who removed it and when."""
        response = self._dynamodb().query(
            TableName=self.table,
            KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": HOTLIST_PK, "#sk": HOTLIST_SK},
            ExpressionAttributeValues=to_item({":pk": HOTLIST_LOCAL_PK, ":prefix": REMOVED_PREFIX}),
            ConsistentRead=True,
        )
        return [_entry(item) for item in response.get("Items", [])]

    def local_entries(self) -> list[HotlistEntry]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": HOTLIST_PK, "#sk": HOTLIST_SK},
            "ExpressionAttributeValues": to_item({":pk": HOTLIST_LOCAL_PK, ":prefix": ENTRY_PREFIX}),
            "ConsistentRead": True,
        }
        entries: list[HotlistEntry] = []
        while True:
            response = self._dynamodb().query(**request)
            entries += [_entry(item) for item in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return entries
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
