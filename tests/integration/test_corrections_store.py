"""Corrections in the Reads table on moto: appended to the read's history, the read untouched, the
corrected plate found through the sparse corrections index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alpr.adapters.dynamo import DynamoReadStore
from alpr.domain.clock import FixedClock
from alpr.domain.corrections import CorrectionRequest, correction_of
from alpr.domain.models import PlateQuery
from alpr.domain.reads import search_by_plate
from tests.integration.conftest import Stack
from tests.unit.test_search import a_read

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_corrections_are_kept_in_order_and_the_latest_plate_is_searchable(stack: Stack) -> None:
    store = DynamoReadStore(stack.reads_table, stack.plates_table, lambda: stack.dynamodb)
    read = a_read("7ABC12B", NOW - timedelta(hours=1))
    store.put_read(read)
    first = correction_of(
        read, CorrectionRequest(plate="7ABC128", reason="the crop shows an 8"), by="sam", now=NOW
    )
    after_first = store.add_correction(read.read_id, first)
    assert after_first is not None
    second = correction_of(
        after_first,
        CorrectionRequest(plate="7ABC129", state="ca", reason="a clearer image shows a 9"),
        by="lee",
        now=NOW + timedelta(minutes=5),
    )
    store.add_correction(read.read_id, second)

    stored = store.get_read(read.read_id)
    assert stored is not None
    assert stored.model_dump(exclude={"corrections", "corrected_plate"}) == read.model_dump(
        exclude={"corrections", "corrected_plate"}
    )
    assert [(c.plate, c.state, c.by) for c in stored.corrections] == [
        ("7ABC128", None, "sam"),
        ("7ABC129", "CA", "lee"),
    ]
    window = {"start": NOW - timedelta(days=1), "end": NOW}
    found = search_by_plate(store, PlateQuery(plate="7ABC129", **window), FixedClock(NOW))
    assert [(r.read_id, r.plate, r.corrected_plate) for r in found.items] == [
        (read.read_id, "7ABC12B", "7ABC129")
    ]
    superseded = search_by_plate(store, PlateQuery(plate="7ABC128", **window), FixedClock(NOW))
    assert superseded.items == []


def test_correcting_a_read_that_is_not_there_changes_nothing(stack: Stack) -> None:
    store = DynamoReadStore(stack.reads_table, stack.plates_table, lambda: stack.dynamodb)
    read = a_read("7ABC12B", NOW)
    correction = correction_of(
        read, CorrectionRequest(plate="7ABC128", reason="the crop shows an 8"), by="sam", now=NOW
    )
    assert store.add_correction(read.read_id, correction) is None
    assert store.get_read(read.read_id) is None
