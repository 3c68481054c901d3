"""The retention report on moto: purges tallied from the sample stream and lifecycle events, the
daily report in the audit bucket, and the `retention-reports` named query over it in DuckDB."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alpr.adapters.audit_duckdb import S3AuditSource
from alpr.adapters.dynamo import DynamoReadStore
from alpr.domain.audit import named_query
from alpr.domain.clock import FixedClock
from alpr.domain.models import HoldEvent, LegalHold
from alpr.names import RETENTION_REPORTS_PREFIX, RETENTION_TALLIES_PREFIX
from alpr.services.container import container
from tests.integration.conftest import FakeContext, Stack, load_event, load_handler
from tests.unit.test_search import a_read

REPORTED = date(2026, 11, 30)
MORNING = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def keys(stack: Stack, prefix: str) -> list[str]:
    listed = stack.s3.list_objects_v2(Bucket=stack.access_log_bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in listed.get("Contents", []))


def test_the_daily_report_sums_the_day_s_purges_counts_held_and_due_and_the_named_query_reads_it(
    stack: Stack, context: FakeContext
) -> None:
    store = DynamoReadStore(stack.reads_table, stack.plates_table, lambda: stack.dynamodb)
    # Given a read past its retention kept by a hold, one due tomorrow and one due in five days
    old = MORNING - timedelta(days=400)
    held = a_read("7HELD01", old)
    store.put_read(held)
    hold = LegalHold(
        case_number="26-004512",
        category="homicide",
        reason="suspect vehicle",
        placed_by="ivy",
        organisation="PD",
        placed_at=old,
    )
    event = HoldEvent(action="placed", case_number="26-004512", reason="suspect vehicle", by="ivy", at=old)
    assert store.save_holds(held, [hold], [event], None, {})
    store.put_read(a_read("7DUE001", MORNING - timedelta(days=365) + timedelta(hours=5)))
    store.put_read(a_read("7DUE005", MORNING - timedelta(days=365) + timedelta(days=5)))
    container().clock = FixedClock(MORNING)  # the handler's cold start keeps the process clock
    handler = load_handler("retention_report")

    # When the Reads stream's TTL removals and the lifecycle's deletions arrive (the stream's twice:
    # a retry), and then the daily schedule fires
    stream = load_event("retention_report/reads_stream_ttl_remove.json")
    assert handler.lambda_handler(stream, context) == {"reads_purged": 2}
    assert handler.lambda_handler(stream, context) == {"reads_purged": 0}
    lifecycle = load_event("retention_report/sqs_s3_lifecycle_delete.json")
    assert handler.lambda_handler(lifecycle, context) == {"objects_purged": 2}
    answer = handler.lambda_handler(load_event("retention_report/daily_schedule.json"), context)

    # Then one report for the day lands beside the log, and the named query reads it
    assert answer["purged"] == {"reads": 2, "images": 1, "crops": 1}
    assert keys(stack, RETENTION_REPORTS_PREFIX) == [
        f"{RETENTION_REPORTS_PREFIX}dt=2026-11-30/20261201T000000Z.json"
    ]
    assert len(keys(stack, RETENTION_TALLIES_PREFIX)) == 3  # reads, images, crops: one tally each
    query = named_query("retention-reports")
    database = S3AuditSource(stack.access_log_bucket, lambda: stack.s3).database(REPORTED, REPORTED)
    result = database.run(query, {"from_day": "2026-11-30", "to_day": "2026-11-30"})
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    assert [(r["kind"], r["purged"], r["held"], r["due_next_day"], r["due_next_7_days"]) for r in rows] == [
        ("reads", 2, 1, 1, 2),
        ("images", 1, 1, None, None),
        ("crops", 1, 1, None, None),
    ]
    assert {r["day"] for r in rows} == {"2026-11-30"}
    assert {r["counted_by"] for r in rows} == {"dynamodb-ttl-stream, s3-lifecycle-events"}

    # And the schedule firing again (EventBridge retries) writes nothing new
    handler.lambda_handler(load_event("retention_report/daily_schedule.json"), context)
    assert len(keys(stack, RETENTION_REPORTS_PREFIX)) == 1
