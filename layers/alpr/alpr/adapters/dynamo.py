"""DynamoDB adapters: the Reads table (with the Plates dictionary kept in step)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from alpr.domain.reads import PageKey
from alpr.domain.search import PlateSighting
from alpr.models import Read, iso_utc
from alpr.names import PLATE, READ_ID, READS_BY_PLATE_INDEX, READS_CELL7_DAY_KEY, READS_TIME_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    # DynamoDB has no float type: numbers go as Decimal, from their shortest repr.
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_dynamo(v) for v in value]
    return value


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict (floats allowed; None kept as NULL, so every field is there) as a DynamoDB item."""
    return {k: _serializer.serialize(v) for k, v in _to_dynamo(dict(data)).items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as a plain dict (whole numbers as int, others as float)."""
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def _is_condition_failure(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons", [])
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return False


def _read_item(read: Read) -> dict[str, Any]:
    data = read.model_dump(mode="json")
    # An index key may be absent (a sparse index) but never NULL: DynamoDB refuses the write.
    if data.get(READS_CELL7_DAY_KEY) is None:
        data.pop(READS_CELL7_DAY_KEY, None)
    return data


class DynamoReadStore:
    """Reads in the Reads table; each new read also counts in the Plates dictionary."""

    def __init__(self, reads_table: str, plates_table: str, client: Callable[[], DynamoDBClient]) -> None:
        self.reads_table = reads_table
        self.plates_table = plates_table
        self._client = client

    def put_read(self, read: Read) -> bool:
        client = self._client()
        seen = iso_utc(read.captured_at)
        # One transaction: the read is written only if new, and the plate's count moves with
        # it, so a redelivered upload neither duplicates the read nor counts it twice.
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.reads_table,
                            "Item": to_item(_read_item(read)),
                            "ConditionExpression": "attribute_not_exists(read_id)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.plates_table,
                            "Key": to_item({"plate": read.plate}),
                            "UpdateExpression": (
                                "SET first_seen = if_not_exists(first_seen, :t), "
                                "last_seen = if_not_exists(last_seen, :t) ADD #count :one"
                            ),
                            "ExpressionAttributeNames": {"#count": "count"},
                            "ExpressionAttributeValues": to_item({":t": seen, ":one": 1}),
                        }
                    },
                ]
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        # Uploads arrive out of order (a unit's outbox drains late): widen first/last seen
        # only when this read lies outside them. Both updates are idempotent.
        self._widen(read.plate, "last_seen", ">", seen)
        self._widen(read.plate, "first_seen", "<", seen)
        return True

    def _widen(self, plate: str, attribute: str, beyond: str, seen: str) -> None:
        try:
            self._client().update_item(
                TableName=self.plates_table,
                Key=to_item({"plate": plate}),
                UpdateExpression=f"SET {attribute} = :t",
                ConditionExpression=f":t {beyond} {attribute}",
                ExpressionAttributeValues=to_item({":t": seen}),
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    def query_by_plate(
        self, plate: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        return self.query_index(READS_BY_PLATE_INDEX, PLATE, plate, low, high, limit, start)

    # --- searches (issue 5): the SearchStore port -------------------------------------------

    def query_index(
        self, index: str, attribute: str, key: str, low: str, high: str, limit: int, start: PageKey | None
    ) -> tuple[list[Read], PageKey | None]:
        """One page of an index partition, newest first, within the time-key range."""
        request: dict[str, Any] = {
            "TableName": self.reads_table,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :key AND #tk BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#pk": attribute, "#tk": READS_TIME_KEY},
            "ExpressionAttributeValues": to_item({":key": key, ":low": low, ":high": high}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = to_item(start)
        response = self._client().query(**request)
        reads = [Read.model_validate(from_item(item)) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return reads, ({k: str(v) for k, v in from_item(last).items()} if last else None)

    def plate_sightings(self, seen_from: str, seen_to: str, contains: str | None) -> list[PlateSighting]:
        """The Plates dictionary entries seen in the window (a filtered scan of the small table)."""
        condition = "last_seen >= :from AND first_seen <= :to"
        values: dict[str, Any] = {":from": seen_from, ":to": seen_to}
        if contains:
            condition += " AND contains(#plate, :run)"
            values[":run"] = contains
        request: dict[str, Any] = {
            "TableName": self.plates_table,
            "ProjectionExpression": "#plate, first_seen, last_seen, #count",
            "FilterExpression": condition,
            "ExpressionAttributeNames": {"#plate": PLATE, "#count": "count"},
            "ExpressionAttributeValues": to_item(values),
        }
        sightings: list[PlateSighting] = []
        while True:
            response = self._client().scan(**request)
            for item in response.get("Items", []):
                entry = from_item(item)
                sightings.append(
                    PlateSighting(
                        plate=str(entry["plate"]),
                        first_seen=str(entry["first_seen"]),
                        last_seen=str(entry["last_seen"]),
                        count=int(entry.get("count", 0)),
                    )
                )
            last = response.get("LastEvaluatedKey")
            if not last:
                return sightings
            request["ExclusiveStartKey"] = last

    def get_read(self, read_id: str) -> Read | None:
        """One read by id, or None."""
        response = self._client().get_item(TableName=self.reads_table, Key=to_item({READ_ID: read_id}))
        item = response.get("Item")
        return Read.model_validate(from_item(item)) if item else None
