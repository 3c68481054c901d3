"""moto never expires TTL items; the local sweeper does, and spares items without the attribute."""

import uuid

import pytest

from alpr.local.stack import TtlSweeper
from alpr.names import TTL_ATTRIBUTE, Env

pytestmark = pytest.mark.e2e


def test_sweeper_deletes_expired_reads_and_keeps_held_ones(stack, aws):
    table = stack.deployment.shared_environment()[Env.READS_TABLE.value]
    dynamodb = aws("dynamodb")
    expired, current, held = (f"sweep-{uuid.uuid4().hex}" for _ in range(3))
    dynamodb.put_item(TableName=table, Item={"read_id": {"S": expired}, TTL_ATTRIBUTE: {"N": "1000"}})
    dynamodb.put_item(TableName=table, Item={"read_id": {"S": current}, TTL_ATTRIBUTE: {"N": "4000000000"}})
    dynamodb.put_item(TableName=table, Item={"read_id": {"S": held}})  # a legal hold removes the TTL
    TtlSweeper({table: TTL_ATTRIBUTE}, stack.endpoint_url).sweep(now=2000)
    remaining = {
        key: "Item" in dynamodb.get_item(TableName=table, Key={"read_id": {"S": key}})
        for key in (expired, current, held)
    }
    assert remaining == {expired: False, current: True, held: True}
