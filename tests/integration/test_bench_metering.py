"""bench/metering.py on moto: the calls a session makes and the DynamoDB units AWS would bill."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.unit.test_bench_cost import bench_module

metering = bench_module("metering")
REGION = "us-west-2"


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A table with one global secondary index of whole items, one whose index keeps keys only, a
    table without; a metered session."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        peek = boto3.client("dynamodb", region_name=REGION)
        for name, projection in (("indexed", "ALL"), ("keys_only", "KEYS_ONLY")):
            peek.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("id", "plate")],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                GlobalSecondaryIndexes=[
                    {
                        "IndexName": "by_plate",
                        "KeySchema": [{"AttributeName": "plate", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": projection},
                    }
                ],
            )
        peek.create_table(
            TableName="plain",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        )
        session = boto3.session.Session(region_name=REGION)
        meter = metering.Meter(peek=peek)
        meter.attach(session)
        yield meter, session.client("dynamodb")


def test_a_put_counts_the_table_and_its_index_by_kb(tables: Any) -> None:
    meter, client = tables
    big = "x" * 1500  # item over 1 KB: 2 units, and 2 more for the index's copy
    client.put_item(TableName="indexed", Item={"id": {"S": "1"}, "plate": {"S": "7ABC123"}, "b": {"S": big}})
    client.put_item(TableName="plain", Item={"id": {"S": "1"}})  # 1 unit
    assert meter.wru["ingest"] == 2 + 2 + 1
    assert meter.calls[("ingest", "dynamodb", "PutItem")] == 2


def test_a_keys_only_index_counts_its_copy_and_only_when_the_write_changes_it(tables: Any) -> None:
    meter, client = tables
    big = "x" * 1500
    item = {"id": {"S": "1"}, "plate": {"S": "7ABC123"}, "b": {"S": big}}
    client.put_item(TableName="keys_only", Item=item)  # 2 units, 1 for the index's keys
    assert meter.wru["ingest"] == 2 + 1
    client.put_item(
        TableName="keys_only", Item=item | {"b": {"S": big + "y"}}
    )  # the index's copy is unchanged
    assert meter.wru["ingest"] == 2 + 1 + 2
    client.put_item(TableName="keys_only", Item=item | {"plate": {"S": "4XYZ987"}})  # moved: delete and put
    assert meter.wru["ingest"] == 2 + 1 + 2 + 2 + 2
    (index,) = meter.indexes("keys_only")
    assert index.copy(item) == {"id": {"S": "1"}, "plate": {"S": "7ABC123"}}
    assert index.copy({"id": {"S": "2"}}) is None  # not in the index (no plate)


def test_a_transaction_counts_twice_and_a_failed_condition_still_counts(tables: Any) -> None:
    meter, client = tables
    item = {
        "Put": {
            "TableName": "plain",
            "Item": {"id": {"S": "1"}},
            "ConditionExpression": "attribute_not_exists(id)",
        }
    }
    client.transact_write_items(TransactItems=[item])
    with pytest.raises(ClientError):
        client.transact_write_items(TransactItems=[item])
    assert meter.wru["ingest"] == 2 + 2
    assert meter.calls[("ingest", "dynamodb", "TransactWriteItems")] == 2


def test_reads_count_half_units_when_eventually_consistent(tables: Any) -> None:
    meter, client = tables
    client.put_item(TableName="plain", Item={"id": {"S": "1"}})
    meter.phase = "search"
    client.get_item(TableName="plain", Key={"id": {"S": "1"}})
    client.get_item(TableName="plain", Key={"id": {"S": "1"}}, ConsistentRead=True)
    client.query(
        TableName="plain", KeyConditionExpression="id = :i", ExpressionAttributeValues={":i": {"S": "1"}}
    )
    assert meter.rru["search"] == 0.5 + 1 + 0.5
    assert meter.per("search", 2)["dynamodb:GetItem"] == 1.0


def test_s3_put_bytes_and_calls_are_counted(tables: Any) -> None:
    meter, _ = tables
    session = boto3.session.Session(region_name=REGION)
    meter.attach(session)
    s3 = session.client("s3")
    s3.create_bucket(Bucket="crops", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="crops", Key="a.jpg", Body=b"x" * 1234)
    assert meter.s3_put_bytes["ingest"] == 1234
    assert meter.calls[("ingest", "s3", "PutObject")] == 1
