"""moto never expires TTL items; the local sweeper does, and spares items without the attribute; an
expired plate leaves the trigram index through the Plates table's stream, as in the cloud; the
sweeper writes the retention report beside the access log, as the cloud's daily function does."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from alpr.adapters.audit_duckdb import S3AuditSource
from alpr.adapters.dynamo import DynamoReadStore, from_item, to_item
from alpr.domain.audit import named_query
from alpr.domain.ids import ulid_at
from alpr.domain.models import HoldEvent, LegalHold
from alpr.domain.plate_grams import grams_of
from alpr.local.stack import TtlSweeper
from alpr.names import (
    ACCESS_LOG_PREFIX,
    HOLD_ID,
    PLATE,
    PLATE_GRAM,
    RETENTION_REPORTS_PREFIX,
    TTL_ATTRIBUTE,
    Env,
    Output,
)
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


def test_the_sweeper_writes_the_retention_report_beside_the_access_log_and_the_named_query_reads_it(
    stack, aws
):
    # Given a read past its retention (and the sweeper the local stack runs, with its report)
    env = stack.deployment.shared_environment()
    dynamodb, s3 = aws("dynamodb"), aws("s3")
    store = DynamoReadStore(env[Env.READS_TABLE.value], env[Env.PLATES_TABLE.value], lambda: dynamodb)
    store.put_read(a_read(f"7R{uuid.uuid4().hex[:4].upper()}9", datetime.now(UTC) - timedelta(days=400)))
    report = stack.sweep_report()
    sweeper = TtlSweeper(stack._ttl_tables(stack.deployment.template), stack.endpoint_url, report=report)

    # When it sweeps
    assert sweeper.sweep() >= 1

    # Then its report is in the access-log bucket, a line per kind, the read among the purged
    bucket = env[Env.ACCESS_LOG_BUCKET.value]
    assert report.last_key and report.last_key.startswith(RETENTION_REPORTS_PREFIX)
    body = s3.get_object(Bucket=bucket, Key=report.last_key)["Body"].read()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["kind"] for line in lines] == ["reads", "images", "crops"]
    assert lines[0]["purged"] >= 1 and lines[0]["counted_by"] == "local-ttl-sweeper"
    # And `alpr audit query retention-reports` (DuckDB over the same files) shows it
    today = datetime.now(UTC).date()
    result = (
        S3AuditSource(bucket, lambda: s3)
        .database(today, today)
        .run(named_query("retention-reports"), {"from_day": today.isoformat(), "to_day": today.isoformat()})
    )
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    assert any(
        row["kind"] == "reads"
        and row["purged"] == lines[0]["purged"]
        and row["period_end"] == lines[0]["period_end"]
        for row in rows
    )


def test_the_sweeper_runs_the_hold_review_an_unapproved_hold_lapses_logged_and_its_read_past_retention_goes(
    stack, aws
):
    # Given a read captured 400 days ago, kept only by a hold placed 8 days ago and never approved
    env = stack.deployment.shared_environment()
    dynamodb, s3 = aws("dynamodb"), aws("s3")
    store = DynamoReadStore(
        env[Env.READS_TABLE.value],
        env[Env.PLATES_TABLE.value],
        lambda: dynamodb,
        env[Env.PLATE_GRAMS_TABLE.value],
        env[Env.HOLDS_TABLE.value],
    )
    now = datetime.now(UTC)
    read = a_read(f"7L{uuid.uuid4().hex[:4].upper()}1", now - timedelta(days=400))
    store.put_read(read)
    placed = now - timedelta(days=8)
    hold = LegalHold(
        hold_id=ulid_at(placed),
        case_number="26-004512",
        category="homicide",
        reason="suspect vehicle",
        placed_by="investigator",
        organisation="PD",
        placed_at=placed,
        review_at=placed + timedelta(days=365),
    )
    event = HoldEvent(
        action="placed",
        hold_id=hold.hold_id,
        case_number=hold.case_number,
        reason=hold.reason,
        by="investigator",
        at=placed,
    )
    assert store.save_holds(read, [hold], [event], None, {})
    assert store.due_holds(now) == [hold.hold_id]
    # When the local sweep runs (the hold review first, as the cloud's daily schedule)
    TtlSweeper(
        stack._ttl_tables(stack.deployment.template), stack.endpoint_url, scheduled=stack._scheduled()
    ).sweep()
    # Then the hold lapsed, the lapse is in the access log, and the read past its retention is gone
    assert store.get_read(read.read_id) is None
    assert (
        from_item(
            dynamodb.get_item(TableName=store.holds_table, Key=to_item({HOLD_ID: hold.hold_id}))["Item"]
        )["state"]
        == "lapsed"
    )
    bucket = stack.outputs()[Output.ACCESS_LOG_BUCKET.value]
    records = [
        json.loads(line)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=ACCESS_LOG_PREFIX)
        for obj in page.get("Contents", [])
        for line in s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().splitlines()
    ]
    (lapse,) = [r for r in records if r["action"] == "holds:lapse" and r["query"]["hold_id"] == hold.hold_id]
    assert lapse["query"]["held_by"] == "investigator" and lapse["query"]["read_id"] == read.read_id
    assert "not approved by a supervisor within 7 days" in lapse["reason"]
