"""The Personnel registry in DynamoDB (and an in-memory fake of the same port, for unit tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from alpr.adapters.dynamo import from_item, to_item
from alpr.domain.models import iso_utc
from alpr.domain.personnel import PersonnelRecord, Status
from alpr.names import USERNAME

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoPersonnelStore:
    """One item per account, keyed by username."""

    def __init__(self, table: str, client: Callable[[], DynamoDBClient]) -> None:
        self.table = table
        self._client = client

    def get(self, username: str) -> PersonnelRecord | None:
        item = (
            self._client()
            .get_item(TableName=self.table, Key={USERNAME: {"S": username}}, ConsistentRead=True)
            .get("Item")
        )
        return PersonnelRecord.model_validate(from_item(item)) if item else None

    def put(self, record: PersonnelRecord) -> None:
        self._client().put_item(TableName=self.table, Item=to_item(record.model_dump(mode="json")))

    def all(self) -> list[PersonnelRecord]:
        records: list[PersonnelRecord] = []
        for page in self._client().get_paginator("scan").paginate(TableName=self.table, ConsistentRead=True):
            records.extend(PersonnelRecord.model_validate(from_item(item)) for item in page["Items"])
        return sorted(records, key=lambda r: r.username)

    def touch(self, username: str, at: datetime) -> None:
        self._client().update_item(
            TableName=self.table,
            Key={USERNAME: {"S": username}},
            UpdateExpression="SET last_active = :at",
            ConditionExpression="attribute_exists(#u)",
            ExpressionAttributeNames={"#u": USERNAME},
            ExpressionAttributeValues={":at": {"S": iso_utc(at)}},
        )

    def set_status(self, username: str, status: Status, reason: str, at: datetime, by: str) -> None:
        self._client().update_item(
            TableName=self.table,
            Key={USERNAME: {"S": username}},
            UpdateExpression="SET #s = :s, status_reason = :r, updated_at = :at, updated_by = :by",
            ConditionExpression="attribute_exists(#u)",
            ExpressionAttributeNames={"#s": "status", "#u": USERNAME},
            ExpressionAttributeValues={
                ":s": {"S": status.value},
                ":r": {"S": reason},
                ":at": {"S": iso_utc(at)},
                ":by": {"S": by},
            },
        )
