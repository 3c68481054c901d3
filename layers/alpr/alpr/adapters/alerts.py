"""Alerts in the Alerts table (`by_status` index: open alerts newest first) and on the SNS topic."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from alpr.adapters.dynamo import _is_condition_failure, from_item, to_item
from alpr.domain.alerts import Alert, AlertStatus, Disposition
from alpr.names import ALERT_ID, ALERT_STATUS, ALERTS_BY_STATUS_INDEX, READ_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient


def _item(alert: Alert) -> dict[str, Any]:
    data = alert.model_dump(mode="json")
    if data.get("expires_at") is None:
        data.pop("expires_at", None)  # no TTL while a legal hold keeps the read
    return to_item(data)


def _alert(item: dict[str, Any]) -> Alert:
    return Alert.model_validate(from_item(item))


class DynamoAlertStore:
    def __init__(self, table: str, dynamodb: Callable[[], DynamoDBClient]) -> None:
        self.table = table
        self._dynamodb = dynamodb

    def put_alert(self, alert: Alert) -> bool:
        try:
            self._dynamodb().put_item(
                TableName=self.table,
                Item=_item(alert),
                ConditionExpression="attribute_not_exists(#id)",
                ExpressionAttributeNames={"#id": ALERT_ID},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def get_alert(self, alert_id: str) -> Alert | None:
        found = self._dynamodb().get_item(
            TableName=self.table, Key=to_item({ALERT_ID: alert_id}), ConsistentRead=True
        )
        return _alert(found["Item"]) if "Item" in found else None

    def mark_notified(self, alert_id: str) -> None:
        self._dynamodb().update_item(
            TableName=self.table,
            Key=to_item({ALERT_ID: alert_id}),
            UpdateExpression="SET notified = :yes",
            ExpressionAttributeValues=to_item({":yes": True}),
        )

    def list_alerts(
        self, status: AlertStatus, limit: int, start: dict[str, str] | None
    ) -> tuple[list[Alert], dict[str, str] | None]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": ALERTS_BY_STATUS_INDEX,
            "KeyConditionExpression": "#status = :status",
            "ExpressionAttributeNames": {"#status": ALERT_STATUS},
            "ExpressionAttributeValues": to_item({":status": status.value}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = to_item(start)
        response = self._dynamodb().query(**request)
        last = response.get("LastEvaluatedKey")
        alerts = [_alert(item) for item in response.get("Items", [])]
        return alerts, ({k: str(v) for k, v in from_item(last).items()} if last else None)

    def close(self, alert_id: str, disposition: Disposition) -> bool:
        try:
            self._dynamodb().update_item(
                TableName=self.table,
                Key=to_item({ALERT_ID: alert_id}),
                UpdateExpression="SET #status = :closed, dispositions = list_append(dispositions, :d)",
                ConditionExpression="#status = :open",
                ExpressionAttributeNames={"#status": ALERT_STATUS},
                ExpressionAttributeValues=to_item(
                    {
                        ":closed": AlertStatus.CLOSED.value,
                        ":open": AlertStatus.OPEN.value,
                        ":d": [disposition.model_dump(mode="json")],
                    }
                ),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True


class DynamoReadHits:
    """Writes a read's hotlist hits onto its item in the Reads table (searches return them)."""

    def __init__(self, reads_table: str, dynamodb: Callable[[], DynamoDBClient]) -> None:
        self.reads_table = reads_table
        self._dynamodb = dynamodb

    def note_hits(self, read_id: str, hits: list[dict[str, Any]]) -> None:
        try:
            self._dynamodb().update_item(
                TableName=self.reads_table,
                Key=to_item({READ_ID: read_id}),
                UpdateExpression="SET hotlist_hits = :hits",
                ConditionExpression="attribute_exists(#id)",  # never recreate a read that expired
                ExpressionAttributeNames={"#id": READ_ID},
                ExpressionAttributeValues=to_item({":hits": hits}),
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise


class SnsAlertNotifier:
    """Publishes the notification (alert id, category, link, CLETS line) and nothing of the alert's
    data: no JSON copy for machines either, they read `GET /v1/alerts/{id}` like people."""

    def __init__(self, topic_arn: str, sns: Callable[[], SNSClient]) -> None:
        self.topic_arn = topic_arn
        self._sns = sns

    def publish(self, alert: Alert, subject: str, body: str) -> list[str]:
        recipients = self.recipients()
        self._sns().publish(
            TopicArn=self.topic_arn,
            Subject=subject,
            Message=body,
            MessageAttributes={
                "alert_id": {"DataType": "String", "StringValue": alert.alert_id},
                "category": {"DataType": "String", "StringValue": alert.category.value},
            },
        )
        return recipients

    def recipients(self) -> list[str]:
        """The topic's subscriptions as `protocol:endpoint` (who a message reaches)."""
        found: list[str] = []
        for page in (
            self._sns().get_paginator("list_subscriptions_by_topic").paginate(TopicArn=self.topic_arn)
        ):
            found += [f"{s['Protocol']}:{s['Endpoint']}" for s in page.get("Subscriptions", [])]
        return sorted(found)
