"""Alerts: a hotlist hit as an officer receives it, and the disposition that closes it.

An alert says what was read and what is listed side by side (plate, state), how they met
(the match kind; only `exact` means the characters are the listed ones), where the list
comes from and how old it is, when and where the read was made and by which unit, a link
to the plate crop, and always the instruction to confirm through CLETS (policy 439.4(f)).

The notification (SNS: email, SMS, queues) carries none of that: only the alert's id, its list
category, a link to the alert and the CLETS line. The data is read through the signed-in, logged
`GET /v1/alerts/{id}`, and every notification is itself recorded in the access log (`alerts:notify`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Literal, Protocol

from pydantic import BaseModel, Field

from alpr.domain.access import AccessLog, AccessRecord
from alpr.domain.errors import InvalidRequest, NotFound
from alpr.domain.hotlist import LOCAL_SOURCE, Category
from alpr.domain.ids import derived_ulid
from alpr.domain.matching import Hit, MatchKind
from alpr.domain.models import Read, UtcDatetime, iso_utc
from alpr.domain.personnel import PersonnelRecord

CLETS_LINE: Final = "Confirm through CLETS before any enforcement action based solely on this alert"
ALERTS_PATH: Final = "/v1/alerts"
CLETS_WITHHELD: Final = (
    "state and federal (CLETS/NCIC) entry details are shown only with a CLETS authorisation on your "
    "Personnel record (policy 439.4(e))"
)
# What a hit says about a state or federal entry (NIC, ORI, OCA, the entry's text); the rest says
# that a hit exists, on which list, of what category, and how it matched.
STATE_FEDERAL_DETAILS: Final = ("plate_listed", "state_listed", "entry_id", "case_number", "vehicle")
NOTIFY_ACTION: Final = "alerts:notify"

KIND_WORDS: dict[MatchKind, str] = {
    MatchKind.EXACT: "the characters read are the listed plate",
    MatchKind.OCR_EQUIVALENT: (
        "OCR LOOK-ALIKE, NOT EXACT: the read differs from the listed plate in characters a camera "
        "confuses (0/O/D/Q, 1/I/L/T, 2/Z, 5/S, 6/G, 8/B); compare the image"
    ),
    MatchKind.WILDCARD: "PARTIAL PLATE: the read fits a partial-plate pattern, many plates do",
    MatchKind.WILDCARD_OCR_EQUIVALENT: (
        "PARTIAL PLATE, LOOK-ALIKE: the read fits a partial-plate pattern only after reading look-alike "
        "characters as each other"
    ),
    MatchKind.LOW_CONFIDENCE_READ: (
        "UNCERTAIN READ, NOT EXACT: the characters read equal the listed plate, but recognition marked "
        "the read low-confidence; compare the image"
    ),
}


class AlertStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DispositionKind(StrEnum):
    """How an alert was worked."""

    CONFIRMED_CLETS = "confirmed_clets"
    WRONG_STATE = "wrong_state"
    MISREAD = "misread"
    VEHICLE_NOT_PRESENT = "vehicle_not_present"
    DISMISSED = "dismissed"


class DispositionRequest(BaseModel):
    disposition: DispositionKind
    note: str | None = Field(default=None, max_length=1000)


class Disposition(BaseModel):
    """Who closed an alert, when, and how."""

    disposition: DispositionKind
    by: str
    at: UtcDatetime
    note: str | None = None


class Alert(BaseModel):
    """One hit of one read against one hotlist entry."""

    alert_id: str
    status: AlertStatus = AlertStatus.OPEN
    created_at: UtcDatetime
    match: MatchKind
    match_explained: str
    # The read
    read_id: str
    plate_read: str
    state_read: str | None
    read_confidence: float
    read_low_confidence: bool
    captured_at: UtcDatetime
    lat: float
    lon: float
    unit_id: str
    image_key: str
    crop_key: str | None
    read_link: str = Field(description="the API path of the read, with its image and crop links")
    # The entry and its list
    plate_listed: str | None = Field(description="null when withheld (see details_withheld)")
    state_listed: str | None
    source: str
    category: Category
    entry_id: str | None = Field(description="the NIC for NCIC entries; null when withheld")
    case_number: str | None = None
    vehicle: str | None = None
    details_withheld: str | None = Field(
        default=None, description="why the entry's state or federal details are not shown to this caller"
    )
    list_version: str
    list_refreshed_at: UtcDatetime
    list_age_hours: float
    stale: bool
    cautions: list[str]
    instruction: Literal["Confirm through CLETS before any enforcement action based solely on this alert"] = (
        CLETS_LINE
    )
    dispositions: list[Disposition] = Field(default_factory=list)
    notified: bool = False
    expires_at: int | None = Field(description="epoch seconds (DynamoDB TTL): the read's retention")


def clets_authorised(person: PersonnelRecord | None) -> bool:
    """Whether `person` may see state and federal hotlist details (a dated CLETS authorisation)."""
    return person is not None and person.clets_authorised_on is not None


def _state_federal(source: object) -> bool:
    return source != LOCAL_SOURCE  # every imported list comes through CLETS (NCIC, SVS, ...)


def alert_for(alert: Alert, authorised: bool) -> Alert:
    """The alert as a caller may see it: a state or federal entry's details only with CLETS authorisation."""
    if authorised or not _state_federal(alert.source):
        return alert
    return alert.model_copy(
        update=dict.fromkeys(STATE_FEDERAL_DETAILS) | {"details_withheld": CLETS_WITHHELD}
    )


def hits_for(hits: Sequence[dict[str, Any]], authorised: bool) -> list[dict[str, Any]]:
    """A read's hotlist hits as a caller may see them (see `alert_for`)."""
    return [
        hit
        if authorised or not _state_federal(hit.get("source"))
        else {k: v for k, v in hit.items() if k not in STATE_FEDERAL_DETAILS}
        | {"details_withheld": CLETS_WITHHELD}
        for hit in hits
    ]


class AlertPage(BaseModel):
    items: list[Alert]
    next: str | None = None


def alert_id(read: Read, hit: Hit) -> str:
    """The same read and entry always give the same id: a redelivered upload never alerts twice."""
    return derived_ulid(read.captured_at, "alert", read.read_id, hit.list.source, hit.entry.entry_id)


def hit_summary(read: Read, hit: Hit) -> dict[str, str]:
    """What a read carries about one of its hits (searches show it beside the read)."""
    return {
        "alert_id": alert_id(read, hit),
        "source": hit.list.source,
        "entry_id": hit.entry.entry_id,
        "plate_listed": hit.entry.plate,
        "category": hit.entry.category.value,
        "match": hit.kind.value,
    }


def _vehicle(hit: Hit) -> str | None:
    entry = hit.entry
    parts = [entry.vehicle_year, entry.make, entry.model, entry.style, entry.color]
    text = " ".join(p for p in parts if p)
    return text or None


def build_alert(read: Read, hit: Hit, *, now: datetime, max_age: timedelta) -> Alert:
    """The alert for one hit; stale lists and uncertain matches are said in `cautions`."""
    age = hit.list.age(now)
    stale = hit.list.stale(now, max_age)
    cautions: list[str] = []
    if hit.kind is not MatchKind.EXACT:
        cautions.append(KIND_WORDS[hit.kind])
    if read.low_confidence and hit.kind is not MatchKind.LOW_CONFIDENCE_READ:
        cautions.append("UNCERTAIN READ: recognition marked this read low-confidence")
    if stale:
        cautions.append(
            f"STALE LIST: {hit.list.source} was refreshed {age.total_seconds() / 3600:.0f} h ago "
            f"(limit {max_age.total_seconds() / 3600:.0f} h); the vehicle may have been recovered"
        )
    if read.state is None:
        cautions.append("STATE NOT READ: the plate's state could not be read; check it against the listing")
    elif hit.entry.state is None:
        cautions.append("STATE NOT LISTED: the entry gives no state")
    return Alert(
        alert_id=alert_id(read, hit),
        created_at=now,
        match=hit.kind,
        match_explained=KIND_WORDS[hit.kind],
        read_id=read.read_id,
        plate_read=read.plate,
        state_read=read.state,
        read_confidence=read.confidence,
        read_low_confidence=read.low_confidence,
        captured_at=read.captured_at,
        lat=read.lat,
        lon=read.lon,
        unit_id=read.unit_id,
        image_key=read.image_key,
        crop_key=read.crop_key,
        read_link=f"/v1/reads/{read.read_id}",
        plate_listed=hit.entry.plate,
        state_listed=hit.entry.state,
        source=hit.list.source,
        category=hit.entry.category,
        entry_id=hit.entry.entry_id,
        case_number=hit.entry.case_number,
        vehicle=_vehicle(hit),
        list_version=hit.list.version,
        list_refreshed_at=hit.list.refreshed_at,
        list_age_hours=round(age.total_seconds() / 3600, 1),
        stale=stale,
        cautions=cautions,
        expires_at=read.expires_at,
    )


def officer_message(alert: Alert) -> tuple[str, str]:
    """(subject, body) of the alert as an officer reads it: the facts first, the CLETS line always."""
    kind = "HIT" if alert.match is MatchKind.EXACT else "POSSIBLE HIT"
    subject = (
        f"ALPR {kind} {alert.plate_read} ({alert.state_read or 'state ?'}) "
        f"{alert.category.value.replace('_', ' ')} [{alert.source}{', STALE' if alert.stale else ''}]"
    )[:100]
    lines = [
        f"ALPR {kind}: {alert.category.value.replace('_', ' ').upper()}",
        f"Plate read:    {alert.plate_read}  state {alert.state_read or 'not read'}  "
        f"(confidence {alert.read_confidence:.2f})",
        f"Plate listed:  {alert.plate_listed}  state {alert.state_listed or 'not listed'}"
        if not alert.details_withheld
        else f"Entry:         withheld: {alert.details_withheld}",
        f"Match:         {alert.match.value}: {alert.match_explained}",
        f"List:          {alert.source} version {alert.list_version}, refreshed "
        f"{alert.list_refreshed_at:%Y-%m-%d %H:%M}Z ({alert.list_age_hours:.1f} h old)"
        + (" STALE" if alert.stale else ""),
    ]
    if alert.entry_id:
        lines.append(
            f"Entry:         {alert.entry_id}" + (f", case {alert.case_number}" if alert.case_number else "")
        )
    if alert.vehicle:
        lines.append(f"Vehicle:       {alert.vehicle}")
    lines += [
        f"Seen:          {alert.captured_at:%Y-%m-%d %H:%M:%S}Z by {alert.unit_id} "
        f"at {alert.lat:.5f}, {alert.lon:.5f}",
        f"Image:         {alert.read_link} (crop {alert.crop_key or 'not stored'})",
        f"Alert:         {alert.alert_id}",
    ]
    lines += [f"CAUTION: {c}" for c in alert.cautions]
    lines.append(alert.instruction + ".")
    return subject, "\n".join(lines)


def alert_link(alert_id: str, base_url: str) -> str:
    """The alert in the API (sign-in required): what a notification points to."""
    return f"{base_url.rstrip('/')}{ALERTS_PATH}/{alert_id}"


def notification(alert: Alert, base_url: str) -> tuple[str, str]:
    """(subject, body) of the notification: the alert's id, its list category, a link to it and the
    CLETS line; no plate, place, time, unit, entry or case (those are read signed in, and logged)."""
    category = alert.category.value.replace("_", " ")
    subject = f"ALPR alert {alert.alert_id}: {category}"
    body = "\n".join(
        [
            f"ALPR alert {alert.alert_id}: {category.upper()}.",
            f"Open it (sign-in required): {alert_link(alert.alert_id, base_url)}",
            alert.instruction + ".",
        ]
    )
    return subject, body


def delivery_record(alert: Alert, recipients: Sequence[str], at: datetime) -> AccessRecord:
    """The access-log entry of one notification: which alert, of what category, to whom, when."""
    return AccessRecord(
        event_id=derived_ulid(at, NOTIFY_ACTION, alert.alert_id, iso_utc(at)),
        time=at,
        username=None,
        full_name=None,
        organisation=None,
        role=None,
        action=NOTIFY_ACTION,
        method="NOTIFY",
        route="recognize",
        query={"alert_id": alert.alert_id, "category": alert.category.value, "recipients": list(recipients)},
        returned_ids=[alert.alert_id],
        returned_count=1,
        purpose_category=None,
        case_number=None,
        purpose_text="hotlist hit notification: alert id, category and link only (policy 439.4(f))",
        outcome="allowed",
        reason=f"alert {alert.alert_id} notified to {len(recipients)} subscriber(s)",
        status=200,
        source_ip=None,
        request_id=alert.alert_id,
    )


class AlertStore(Protocol):
    def put_alert(self, alert: Alert) -> bool:
        """Store an alert once; False when it is already stored (a redelivered read)."""
        ...

    def get_alert(self, alert_id: str) -> Alert | None: ...

    def mark_notified(self, alert_id: str) -> None: ...

    def list_alerts(
        self, status: AlertStatus, limit: int, start: dict[str, str] | None
    ) -> tuple[list[Alert], dict[str, str] | None]:
        """Alerts with `status`, newest first."""
        ...

    def close(self, alert_id: str, disposition: Disposition) -> bool:
        """Close an open alert with its disposition; False when it is not open."""
        ...


class AlertNotifier(Protocol):
    def publish(self, alert: Alert, subject: str, body: str) -> list[str]:
        """Send the notification; who it was sent to (the subscriptions), for the delivery record."""
        ...


def raise_alerts(
    store: AlertStore,
    notifier: AlertNotifier,
    read: Read,
    hits: Sequence[Hit],
    *,
    now: datetime,
    max_age: timedelta,
    access_log: AccessLog,
    base_url: str,
) -> list[Alert]:
    """Store and send an alert per hit; the alerts sent now (a redelivery resends only unsent ones).

    Each notification is recorded (`alerts:notify`) before the alert counts as notified: if the
    record cannot be written the error propagates and a redelivery sends and records it again."""
    sent: list[Alert] = []
    for hit in hits:
        alert = build_alert(read, hit, now=now, max_age=max_age)
        if not store.put_alert(alert):
            stored = store.get_alert(alert.alert_id)
            if stored is None or stored.notified:
                continue
            alert = stored
        recipients = notifier.publish(alert, *notification(alert, base_url))
        access_log.write(delivery_record(alert, recipients, now))
        store.mark_notified(alert.alert_id)
        sent.append(alert)
    return sent


def dispose(
    store: AlertStore, alert_id: str, request: DispositionRequest, *, by: str, now: datetime
) -> Alert:
    """Close an alert with its disposition, who and when; an alert closes in no other way."""
    alert = store.get_alert(alert_id)
    if alert is None:
        raise NotFound(f"no alert '{alert_id}'")
    if alert.status is not AlertStatus.OPEN:
        raise InvalidRequest(f"alert '{alert_id}' is already closed")
    disposition = Disposition(disposition=request.disposition, by=by, at=now, note=request.note)
    if not store.close(alert_id, disposition):
        raise InvalidRequest(f"alert '{alert_id}' is already closed")
    closed = store.get_alert(alert_id)
    assert closed is not None
    return closed
