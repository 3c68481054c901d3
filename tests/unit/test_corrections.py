"""Correcting a misread (Civil Code § 1798.90.51(b)): the rules, on in-memory ports."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from alpr.domain.alerts import AlertStatus, DispositionKind, DispositionRequest, build_alert, dispose
from alpr.domain.clock import FixedClock
from alpr.domain.corrections import CorrectionRequest, close_alerts_as_misread, correction_of
from alpr.domain.errors import InvalidRequest
from alpr.domain.models import PlateQuery
from alpr.domain.reads import search_by_plate
from tests.fakes.alerts import MemoryAlertStore
from tests.fakes.memory import MemoryReadStore
from tests.unit.test_search import a_read

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
REASON = "the crop shows an 8, not a B"


@pytest.fixture
def alert_with_read():
    """A read with two alerts: one open, one already closed as confirmed through CLETS."""
    from tests.unit.test_alerts import MAX_AGE, hits
    from tests.unit.test_alerts import read as alerted_read

    store = MemoryAlertStore()
    read = alerted_read()
    (hit,) = hits("7ABC123")
    first = build_alert(read, hit, now=NOW - timedelta(hours=1), max_age=MAX_AGE)
    second = first.model_copy(update={"alert_id": first.alert_id + "X"})
    store.put_alert(first)
    store.put_alert(second)
    dispose(
        store,
        second.alert_id,
        DispositionRequest(disposition=DispositionKind.CONFIRMED_CLETS),
        by="officer.diaz",
        now=NOW,
    )
    read = read.model_copy(
        update={"hotlist_hits": [{"alert_id": first.alert_id}, {"alert_id": second.alert_id}]}
    )
    return store, read, first.alert_id, second.alert_id


def test_a_correction_needs_a_plate_and_a_reason_in_words():
    assert CorrectionRequest(plate="7abc 128", reason=REASON).plate == "7ABC128"
    with pytest.raises(ValidationError, match="words"):
        CorrectionRequest(plate="7ABC128", reason="wrong")
    with pytest.raises(ValidationError, match="not a plate"):
        CorrectionRequest(plate="7AB*", reason=REASON)


def test_the_read_stays_as_read_and_the_correction_says_who_when_why():
    store = MemoryReadStore()
    read = a_read("7ABC12B", NOW - timedelta(hours=1))
    store.put_read(read)
    correction = correction_of(read, CorrectionRequest(plate="7ABC128", reason=REASON), by="sam", now=NOW)
    corrected = store.add_correction(read.read_id, correction)
    assert corrected is not None
    assert (corrected.plate, corrected.confidence) == (read.plate, read.confidence)  # untouched
    assert corrected.corrected_plate == "7ABC128"
    (kept,) = corrected.corrections
    assert (kept.plate, kept.original_plate, kept.by, kept.at, kept.reason) == (
        "7ABC128",
        "7ABC12B",
        "sam",
        NOW,
        REASON,
    )


def test_a_correction_that_changes_nothing_is_refused():
    read = a_read("7ABC128", NOW)
    with pytest.raises(InvalidRequest, match="already"):
        correction_of(read, CorrectionRequest(plate="7ABC128", reason=REASON), by="sam", now=NOW)


def test_searches_for_either_plate_find_the_corrected_read_showing_its_correction():
    store = MemoryReadStore()
    read = a_read("7ABC12B", NOW - timedelta(hours=1))
    other = a_read("7ABC128", NOW - timedelta(hours=2))
    store.put_read(read)
    store.put_read(other)
    correction = correction_of(read, CorrectionRequest(plate="7ABC128", reason=REASON), by="sam", now=NOW)
    store.add_correction(read.read_id, correction)
    window = {"start": NOW - timedelta(days=1), "end": NOW}
    corrected_plate = search_by_plate(store, PlateQuery(plate="7ABC128", **window), FixedClock(NOW))
    read_plate = search_by_plate(store, PlateQuery(plate="7ABC12B", **window), FixedClock(NOW))
    assert [(r.read_id, r.corrected_plate) for r in corrected_plate.items] == [
        (read.read_id, "7ABC128"),  # newest first, marked as corrected
        (other.read_id, None),
    ]
    assert [(r.read_id, r.corrected_plate) for r in read_plate.items] == [(read.read_id, "7ABC128")]


def test_the_reads_open_alerts_close_as_misread_and_closed_ones_stay_as_they_were(alert_with_read):
    store, read, open_id, closed_id = alert_with_read
    correction = correction_of(read, CorrectionRequest(plate="7ABC128", reason=REASON), by="sam", now=NOW)
    assert close_alerts_as_misread(store, read, correction) == [open_id]
    closed = store.get_alert(open_id)
    assert closed is not None and closed.status is AlertStatus.CLOSED
    (disposition,) = closed.dispositions
    assert (disposition.disposition, disposition.by, disposition.at) == (DispositionKind.MISREAD, "sam", NOW)
    assert "7ABC128" in (disposition.note or "") and REASON in (disposition.note or "")
    earlier = store.get_alert(closed_id)
    assert earlier is not None and earlier.dispositions[0].disposition is DispositionKind.CONFIRMED_CLETS
