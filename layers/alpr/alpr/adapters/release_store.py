"""The ReleaseRequests table: each request as one item, written with optimistic locking.

The item keeps the whole record as JSON (`record`) plus the fields auditors filter on
(`status`, `received_at`, `agency_name`, `jurisdiction`, `decision`) as attributes, and
the Step Functions task token encrypted with KMS (`task_token`, binary), which no API
response ever includes. No TTL: requests stay on file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from alpr.domain.errors import InvalidRequest
from alpr.domain.models import iso_utc
from alpr.domain.release import ReleaseRequest, ReleaseStatus, StaleRequest
from alpr.names import REQUEST_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TASK_TOKEN = "task_token"


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _item(request: ReleaseRequest, version: int) -> dict[str, Any]:
    record = request.model_copy(update={"version": version})
    return {
        REQUEST_ID: {"S": request.request_id},
        "status": {"S": request.status.value},
        "version": {"N": str(version)},
        "received_at": {"S": iso_utc(request.received_at)},
        "agency_name": {"S": request.form.agency_name or "-"},
        "jurisdiction": {"S": request.form.jurisdiction.value},
        "decision": {"S": request.decision.decision if request.decision else "-"},
        "record": {"S": record.model_dump_json()},
    }


class DynamoReleaseStore:
    def __init__(self, table: str, client: Callable[[], DynamoDBClient]) -> None:
        self.table = table
        self._client = client

    def create(self, request: ReleaseRequest) -> None:
        try:
            self._client().put_item(
                TableName=self.table,
                Item=_item(request, 1),
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": REQUEST_ID},
            )
        except ClientError as error:
            if _condition_failed(error):
                raise InvalidRequest(f"release request {request.request_id} already exists") from None
            raise
        request.version = 1

    def get(self, request_id: str) -> ReleaseRequest | None:
        item = (
            self._client()
            .get_item(TableName=self.table, Key={REQUEST_ID: {"S": request_id}}, ConsistentRead=True)
            .get("Item")
        )
        if item is None:
            return None
        return ReleaseRequest.model_validate_json(item["record"]["S"])

    def all(self, status: ReleaseStatus | None = None) -> list[ReleaseRequest]:
        # A register of requests, not of reads: a scan stays small (hundreds a year).
        request: dict[str, Any] = {"TableName": self.table, "ProjectionExpression": "#r"}
        names = {"#r": "record"}
        if status is not None:
            request["FilterExpression"] = "#s = :s"
            request["ExpressionAttributeValues"] = {":s": {"S": status.value}}
            names["#s"] = "status"
        request["ExpressionAttributeNames"] = names
        found = [
            ReleaseRequest.model_validate_json(item["record"]["S"])
            for page in self._client().get_paginator("scan").paginate(**request)
            for item in page.get("Items", [])
        ]
        return sorted(found, key=lambda r: r.received_at, reverse=True)

    def save(self, request: ReleaseRequest) -> ReleaseRequest:
        version = request.version + 1
        item = _item(request, version)
        # Update every attribute but the key, keeping the encrypted task token as it is.
        names = {f"#a{i}": key for i, key in enumerate(k for k in item if k != REQUEST_ID)}
        values = {f":a{i}": item[key] for i, key in enumerate(k for k in item if k != REQUEST_ID)}
        try:
            self._client().update_item(
                TableName=self.table,
                Key={REQUEST_ID: item[REQUEST_ID]},
                UpdateExpression="SET " + ", ".join(f"{n} = {n.replace('#', ':')}" for n in names),
                ConditionExpression="#v = :expected",
                ExpressionAttributeNames={**names, "#v": "version"},
                ExpressionAttributeValues={**values, ":expected": {"N": str(request.version)}},
            )
        except ClientError as error:
            if _condition_failed(error):
                raise StaleRequest(
                    f"release request {request.request_id} was changed by someone else; nothing was written"
                ) from None
            raise
        return request.model_copy(update={"version": version})

    def put_task_token(self, request_id: str, ciphertext: bytes) -> None:
        self._client().update_item(
            TableName=self.table,
            Key={REQUEST_ID: {"S": request_id}},
            UpdateExpression="SET #t = :t",
            ConditionExpression="attribute_exists(#id)",
            ExpressionAttributeNames={"#t": TASK_TOKEN, "#id": REQUEST_ID},
            ExpressionAttributeValues={":t": {"B": ciphertext}},
        )

    def task_token(self, request_id: str) -> bytes | None:
        item = (
            self._client()
            .get_item(
                TableName=self.table,
                Key={REQUEST_ID: {"S": request_id}},
                ProjectionExpression="#t",
                ExpressionAttributeNames={"#t": TASK_TOKEN},
                ConsistentRead=True,
            )
            .get("Item")
        )
        if not item or TASK_TOKEN not in item:
            return None
        value: bytes = item[TASK_TOKEN]["B"]
        return value
