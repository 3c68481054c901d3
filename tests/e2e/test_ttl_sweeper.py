"""moto never expires TTL items; the local sweeper does, and spares items without the attribute; an
expired plate leaves the trigram index through the Plates table's stream, as in the cloud."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from alpr.adapters.dynamo import DynamoReadStore, from_item, to_item
from alpr.domain.models import HoldEvent, LegalHold
from alpr.domain.plate_grams import grams_of
from alpr.local.stack import TtlSweeper
from alpr.names import PLATE, PLATE_GRAM, TTL_ATTRIBUTE, Env
from tests.unit.test_search import a_read

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


def test_a_plate_last_read_past_retention_leaves_the_dictionary_and_its_trigrams_a_held_one_stays(stack, aws):
    # Given two plates last read 366 days ago, one of them with a read under a legal hold
    env = stack.deployment.shared_environment()
    dynamodb = aws("dynamodb")
    store = DynamoReadStore(
        env[Env.READS_TABLE.value],
        env[Env.PLATES_TABLE.value],
        lambda: dynamodb,
        env[Env.PLATE_GRAMS_TABLE.value],
    )
    suffix = uuid.uuid4().hex[:4].upper()
    expired, held = f"7Q{suffix}1", f"7Q{suffix}2"
    year_ago = datetime.now(UTC) - timedelta(days=366)
    for plate in (expired, held):
        store.put_read(a_read(plate, year_ago))
    read = a_read(held, year_ago)
    event = HoldEvent(
        action="placed", case_number="26-004512", reason="suspect vehicle", by="ivy", at=year_ago
    )
    hold = LegalHold(
        case_number="26-004512",
        category="homicide",
        reason="suspect vehicle",
        placed_by="ivy",
        organisation="PD",
        placed_at=year_ago,
    )
    assert store.save_holds(read, [hold], [event], None, {})
    # When the TTL sweep runs (as DynamoDB TTL does; the table's stream prunes the trigrams)
    TtlSweeper(stack._ttl_tables(stack.deployment.template), stack.endpoint_url).sweep()

    # Then the expired plate is gone from both tables, and the held one is in both
    def in_dictionary(plate: str) -> bool:
        return "Item" in dynamodb.get_item(TableName=store.plates_table, Key=to_item({PLATE: plate}))

    def in_grams(plate: str) -> bool:
        items = [
            dynamodb.get_item(TableName=store.grams_table, Key=to_item({PLATE_GRAM: gram})).get("Item")
            for gram in grams_of(plate)
        ]
        return all(item and plate in from_item(item).get("plates", ()) for item in items)

    assert not in_dictionary(expired) and not in_grams(expired)
    assert in_dictionary(held) and in_grams(held)
    assert any(plate == held for plate in store.plates_with_grams(grams_of(held)) or ())
