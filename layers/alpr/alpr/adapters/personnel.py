"""The Personnel registry and its account proposals in DynamoDB (in-memory fakes of the ports: tests/fakes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from alpr.adapters.dynamo import from_item, to_item
from alpr.domain.account_proposals import Proposal, ProposalStatus
from alpr.domain.errors import Conflict
from alpr.domain.models import iso_utc
from alpr.domain.personnel import PersonnelRecord, Status
from alpr.names import PROPOSAL_ID, USERNAME

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


class DynamoProposalStore:
    """One item per proposal, keyed by its id; a decision and the account it approves are one transaction."""

    def __init__(self, table: str, personnel_table: str, client: Callable[[], DynamoDBClient]) -> None:
        self.table = table
        self.personnel_table = personnel_table
        self._client = client

    def add(self, proposal: Proposal) -> None:
        self._client().put_item(
            TableName=self.table,
            Item=to_item(proposal.model_dump(mode="json")),
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": PROPOSAL_ID},
        )

    def get(self, proposal_id: str) -> Proposal | None:
        item = (
            self._client()
            .get_item(TableName=self.table, Key={PROPOSAL_ID: {"S": proposal_id}}, ConsistentRead=True)
            .get("Item")
        )
        return Proposal.model_validate(from_item(item)) if item else None

    def pending(self) -> list[Proposal]:
        # A small table (a department's account changes): a filtered scan, oldest first by ULID.
        found: list[Proposal] = []
        pages = (
            self._client()
            .get_paginator("scan")
            .paginate(
                TableName=self.table,
                ConsistentRead=True,
                FilterExpression="#s = :pending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":pending": {"S": ProposalStatus.PENDING.value}},
            )
        )
        for page in pages:
            found.extend(Proposal.model_validate(from_item(item)) for item in page["Items"])
        return sorted(found, key=lambda p: p.proposal_id)

    def decide(self, decided: Proposal, effect: PersonnelRecord | None) -> None:
        still_pending = {
            "TableName": self.table,
            "Item": to_item(decided.model_dump(mode="json")),
            "ConditionExpression": "#s = :pending",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":pending": {"S": ProposalStatus.PENDING.value}},
        }
        items: list[Any] = [{"Put": still_pending}]
        if effect is not None:
            items.append(
                {"Put": {"TableName": self.personnel_table, "Item": to_item(effect.model_dump(mode="json"))}}
            )
        try:
            self._client().transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict(f"proposal {decided.proposal_id} was decided meanwhile") from error
            raise
