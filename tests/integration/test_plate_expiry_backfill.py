"""The one-off backfill of the Plates dictionary's expiry, on moto: entries written before they
expired get their newest read's expiry (none while a read is held); a dry run writes nothing; a
second run finds nothing to do; the command pages through the table (issue 22, item 1's backfill)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from typer.testing import CliRunner

from alpr.adapters.dynamo import from_item, to_item
from alpr.cli.main import app
from alpr.domain.models import HoldEvent, LegalHold
from alpr.domain.retention import Retention, expires_at
from alpr.names import PLATE, TTL_ATTRIBUTE
from alpr.services import reads as reads_service
from alpr.services.container import container
from tests.integration.conftest import Stack
from tests.unit.test_search import a_read

NOW = datetime.now(UTC).replace(microsecond=0)
YEAR = Retention()


def entry(stack: Stack, plate: str) -> dict[str, Any]:
    return from_item(
        stack.dynamodb.get_item(TableName=stack.plates_table, Key=to_item({PLATE: plate}))["Item"]
    )


def as_before_expiry(stack: Stack, plate: str) -> None:
    """The entry as item 1 found it: no newest expiry, no TTL, no held reads."""
    stack.dynamodb.update_item(
        TableName=stack.plates_table,
        Key=to_item({PLATE: plate}),
        UpdateExpression=f"REMOVE newest_expiry, {TTL_ATTRIBUTE}, held_reads",
    )


def legacy_dictionary(stack: Stack) -> dict[str, Any]:
    store = container().read_store
    recent, old = (
        a_read("7RECENT", NOW - timedelta(days=10)),
        a_read("7RECENT", NOW - timedelta(days=300), n=1),
    )
    held = a_read("7HELD01", NOW - timedelta(days=200))
    current = a_read("7CURRNT", NOW - timedelta(days=1))
    for read in (recent, old, held, current):
        assert store.put_read(read)
    hold = LegalHold(
        case_number="26-004512",
        category="homicide",
        reason="kept for trial",
        placed_by="ivy",
        organisation="PD",
        placed_at=NOW - timedelta(days=100),
    )
    event = HoldEvent(
        action="placed", case_number="26-004512", reason="kept for trial", by="ivy", at=hold.placed_at
    )
    assert store.save_holds(held, [hold], [event], None, {})
    # A plate whose reads are all gone (TTL) while its entry stayed: last seen 400 days ago.
    stack.dynamodb.put_item(
        TableName=stack.plates_table,
        Item=to_item(
            {
                PLATE: "7GONE01",
                "first_seen": "2024-01-01T00:00:00.000Z",
                "last_seen": (NOW - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "count": 1,
            }
        ),
    )
    for plate in ("7RECENT", "7HELD01"):
        as_before_expiry(stack, plate)
    return {"recent": recent, "held": held, "current": current}


def test_a_dry_run_counts_and_writes_nothing_then_apply_gives_each_entry_its_expiry_and_again_changes_nothing(
    stack: Stack,
) -> None:
    reads = legacy_dictionary(stack)
    before = {p: entry(stack, p) for p in ("7RECENT", "7HELD01", "7GONE01", "7CURRNT")}

    counts = reads_service.backfill_plate_expiry(apply=False, page_size=2)
    assert counts.model_dump() == {
        "applied": False,
        "plates": 4,
        "up_to_date": 1,
        "to_update": 3,
        "held": 1,
        "past": 1,
        "updated": 0,
    }
    assert {p: entry(stack, p) for p in before} == before

    assert reads_service.backfill_plate_expiry(apply=True, page_size=1).updated == 3
    # The newest read's expiry, the TTL with it
    recent = entry(stack, "7RECENT")
    assert recent["newest_expiry"] == recent[TTL_ATTRIBUTE] == expires_at(reads["recent"].captured_at, YEAR)
    # A held read keeps its plate: no TTL, the read listed
    held = entry(stack, "7HELD01")
    assert TTL_ATTRIBUTE not in held and held["held_reads"] == {reads["held"].read_id}
    assert held["newest_expiry"] == expires_at(reads["held"].captured_at, YEAR)
    # A plate with no read left expires with its last sighting: already past, it goes at the next sweep
    gone = entry(stack, "7GONE01")
    assert gone[TTL_ATTRIBUTE] <= NOW.timestamp()
    # The entry that was up to date is as it was
    assert entry(stack, "7CURRNT") == before["7CURRNT"]

    again = reads_service.backfill_plate_expiry(apply=True)
    assert (again.up_to_date, again.to_update, again.updated) == (4, 0, 0)


def test_the_command_is_a_dry_run_unless_told_to_apply(stack: Stack) -> None:
    legacy_dictionary(stack)
    tables = ["--reads-table", stack.reads_table, "--plates-table", stack.plates_table]
    runner = CliRunner()
    dry = runner.invoke(app, ["admin", "backfill-plate-expiry", *tables])
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing written" in dry.output
    assert json.loads(dry.output.strip().splitlines()[-1])["to_update"] == 3
    assert "newest_expiry" not in entry(stack, "7RECENT")
    applied = runner.invoke(app, ["admin", "backfill-plate-expiry", *tables, "--apply"])
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.output.strip().splitlines()[-1])["updated"] == 3
    assert "newest_expiry" in entry(stack, "7RECENT")
