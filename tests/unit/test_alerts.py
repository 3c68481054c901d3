"""Alerts: what an officer is told, sent once per read and entry, closed only with a disposition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from alpr.domain.alerts import (
    CLETS_LINE,
    AlertStatus,
    DispositionKind,
    DispositionRequest,
    build_alert,
    dispose,
    officer_message,
    raise_alerts,
)
from alpr.domain.errors import InvalidRequest, NotFound
from alpr.domain.hotlist import Category, HotlistEntry, ListVersion
from alpr.domain.matching import CompiledList, Matcher
from alpr.domain.models import BoundingBox, Read
from tests.fakes.access_log import MemoryAccessLog
from tests.fakes.alerts import MemoryAlertStore

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MAX_AGE = timedelta(hours=24)
BASE_URL = "https://alpr.example.gov/prod"
LOGGED = {"access_log": MemoryAccessLog(), "base_url": BASE_URL}


def read(plate: str = "7ABC123", state: str | None = "CA", low: bool = False) -> Read:
    captured = NOW - timedelta(minutes=2)
    return Read(
        read_id="01JDREAD000000000000000000",
        plate=plate,
        state=state,
        confidence=0.62 if low else 0.97,
        char_confidences=[0.9] * len(plate),
        low_confidence=low,
        captured_at=captured,
        captured_key=f"{captured.isoformat()}#01JDREAD000000000000000000",
        unit_id="unit-01",
        lat=38.0194,
        lon=-122.1341,
        cell_day="9q9p3t#2026-11-29",
        image_bucket="uploads",
        image_key="raw/unit-01/2026/11/29/x.jpg",
        crop_key="crops/01JDREAD000000000000000000.jpg",
        box=BoundingBox(x=1, y=2, w=3, h=4),
        model_version="test",
        expires_at=int((NOW + timedelta(days=365)).timestamp()),
        ingested_at=NOW,
    )


def hits(
    plate: str,
    *,
    listed: str = "7ABC123",
    state: str | None = "CA",
    refreshed_hours_ago: float = 2,
    low=False,
):
    version = ListVersion(
        source="NCIC",
        version="v7",
        refreshed_at=NOW - timedelta(hours=refreshed_hours_ago),
        imported_at=NOW,
        entries=1,
    )
    entry = HotlistEntry(
        entry_id="V260001001",
        source="NCIC",
        plate=listed,
        state="CA",
        category=Category.STOLEN_VEHICLE,
        case_number="26-004417",
        make="HOND",
        color="BLK",
    )
    return Matcher([CompiledList.build(version, [entry])]).match(plate, state, low, NOW)


def test_an_exact_alert_carries_everything_an_officer_needs_and_the_clets_line():
    (hit,) = hits("7ABC123")
    alert = build_alert(read(), hit, now=NOW, max_age=MAX_AGE)
    subject, body = officer_message(alert)
    assert (alert.plate_read, alert.plate_listed, alert.state_read, alert.state_listed) == (
        "7ABC123",
        "7ABC123",
        "CA",
        "CA",
    )
    assert (alert.match.value, alert.source, alert.category.value, alert.stale) == (
        "exact",
        "NCIC",
        "stolen_vehicle",
        False,
    )
    assert alert.cautions == []
    assert subject.startswith("ALPR HIT 7ABC123 (CA) stolen vehicle")
    for fact in (
        "unit-01",
        "38.01940, -122.13410",
        "2.0 h old",
        "/v1/reads/01JDREAD",
        "26-004417",
        "HOND BLK",
    ):
        assert fact in body
    assert body.endswith(CLETS_LINE + ".")


def test_an_ocr_equivalent_alert_is_never_presented_as_exact():
    (hit,) = hits("7A8C1Z3")
    alert = build_alert(read("7A8C1Z3"), hit, now=NOW, max_age=MAX_AGE)
    subject, body = officer_message(alert)
    assert alert.match.value == "ocr_equivalent"
    assert subject.startswith("ALPR POSSIBLE HIT")
    assert "NOT EXACT" in body and "Plate listed:  7ABC123" in body


def test_a_low_confidence_read_is_a_possible_hit_that_says_so():
    (hit,) = hits("7ABC123", low=True)
    alert = build_alert(read(low=True), hit, now=NOW, max_age=MAX_AGE)
    assert alert.match.value == "low_confidence_read"
    assert officer_message(alert)[0].startswith("ALPR POSSIBLE HIT")
    assert any("UNCERTAIN READ" in c for c in alert.cautions)


def test_a_hit_on_a_stale_list_is_marked_stale():
    (hit,) = hits("7ABC123", refreshed_hours_ago=30)
    alert = build_alert(read(), hit, now=NOW, max_age=MAX_AGE)
    assert alert.stale and alert.list_age_hours == 30.0
    assert "STALE" in officer_message(alert)[0]
    assert any(c.startswith("STALE LIST: NCIC was refreshed 30 h ago") for c in alert.cautions)


def test_a_read_without_a_state_says_so():
    (hit,) = hits("7ABC123", state=None)
    alert = build_alert(read(state=None), hit, now=NOW, max_age=MAX_AGE)
    assert any("STATE NOT READ" in c for c in alert.cautions)


def test_a_redelivered_read_is_alerted_once():
    store = MemoryAlertStore()
    first = raise_alerts(store, store, read(), hits("7ABC123"), now=NOW, max_age=MAX_AGE, **LOGGED)
    again = raise_alerts(
        store, store, read(), hits("7ABC123"), now=NOW + timedelta(seconds=5), max_age=MAX_AGE, **LOGGED
    )
    assert len(first) == 1 and again == []
    assert len(store.published) == 1 and len(store.alerts) == 1


def test_an_alert_stored_but_not_sent_is_sent_on_redelivery():
    # Given an alert stored by an attempt that failed before publishing
    store = MemoryAlertStore()
    (hit,) = hits("7ABC123")
    store.put_alert(build_alert(read(), hit, now=NOW, max_age=MAX_AGE))
    # When the read is handled again
    sent = raise_alerts(store, store, read(), [hit], now=NOW, max_age=MAX_AGE, **LOGGED)
    # Then it is sent now, once
    assert len(sent) == 1 and len(store.published) == 1
    assert store.alerts[sent[0].alert_id].notified


def test_an_alert_closes_only_with_a_disposition_naming_who_and_when():
    store = MemoryAlertStore()
    (alert,) = raise_alerts(store, store, read(), hits("7ABC123"), now=NOW, max_age=MAX_AGE, **LOGGED)
    with pytest.raises(ValidationError):
        DispositionRequest.model_validate({})  # no disposition, no closing
    with pytest.raises(ValidationError):
        DispositionRequest.model_validate({"disposition": "closed"})
    closed = dispose(
        store,
        alert.alert_id,
        DispositionRequest(disposition=DispositionKind.MISREAD, note="plate is 7ABC128"),
        by="officer.diaz",
        now=NOW,
    )
    assert closed.status is AlertStatus.CLOSED
    assert [(d.disposition, d.by, d.at, d.note) for d in closed.dispositions] == [
        (DispositionKind.MISREAD, "officer.diaz", NOW, "plate is 7ABC128")
    ]
    with pytest.raises(InvalidRequest):
        dispose(
            store, alert.alert_id, DispositionRequest(disposition=DispositionKind.DISMISSED), by="x", now=NOW
        )
    with pytest.raises(NotFound):
        dispose(store, "nope", DispositionRequest(disposition=DispositionKind.DISMISSED), by="x", now=NOW)


def test_a_notification_carries_only_the_alert_id_its_category_a_link_and_the_clets_line():
    # Given a hit on a stolen vehicle, read by unit-01 at a place and time, on an entry with a case
    store, log = MemoryAlertStore(), MemoryAccessLog()
    # When it is raised
    (alert,) = raise_alerts(
        store, store, read(), hits("7ABC123"), now=NOW, max_age=MAX_AGE, access_log=log, base_url=BASE_URL
    )
    # Then the message says which alert, of what kind, where to open it, and to confirm through CLETS
    ((_, subject, body),) = store.published
    assert subject == f"ALPR alert {alert.alert_id}: stolen vehicle"
    assert body.splitlines() == [
        f"ALPR alert {alert.alert_id}: STOLEN VEHICLE.",
        f"Open it (sign-in required): {BASE_URL}/v1/alerts/{alert.alert_id}",
        CLETS_LINE + ".",
    ]
    # and nothing else: no plate, state, place, time, unit, entry or case
    for data in ("7ABC123", "CA", "unit-01", "38.0", "-122.1", "26-004417", "HOND", "NCIC", "12:0"):
        assert data not in subject + body


def test_every_notification_is_recorded_in_the_access_log_as_alerts_notify():
    store, log = MemoryAlertStore(), MemoryAccessLog()
    (alert,) = raise_alerts(
        store, store, read(), hits("7ABC123"), now=NOW, max_age=MAX_AGE, access_log=log, base_url=BASE_URL
    )
    (record,) = log.records
    assert (record.action, record.outcome, record.time, record.returned_ids) == (
        "alerts:notify",
        "allowed",
        NOW,
        [alert.alert_id],
    )
    assert record.query["alert_id"] == alert.alert_id and record.query["category"] == "stolen_vehicle"
    assert record.query["recipients"] == store.recipients  # who was notified
    assert "7ABC123" not in record.model_dump_json()  # the log names the alert, not its data


def test_a_notification_that_cannot_be_recorded_is_sent_again_on_redelivery():
    store, log = MemoryAlertStore(), MemoryAccessLog()
    log.fail = True
    with pytest.raises(Exception, match="access log"):
        raise_alerts(
            store, store, read(), hits("7ABC123"), now=NOW, max_age=MAX_AGE, access_log=log, base_url=BASE_URL
        )
    log.fail = False
    sent = raise_alerts(
        store, store, read(), hits("7ABC123"), now=NOW, max_age=MAX_AGE, access_log=log, base_url=BASE_URL
    )
    assert len(sent) == 1 and len(log.records) == 1
