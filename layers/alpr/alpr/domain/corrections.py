"""Correcting data errors (Civil Code § 1798.90.51(b), accuracy): a supervisor marks a read as
misread and records the plate it shows.

The read itself stays as recognition stored it (plate, confidence, image, crop): a correction is an
annotation kept with it, who, when, why and the plate, and every correction stays in its history
(a later one supersedes an earlier one). The current corrected plate is indexed, so a search for
it finds the read, marked as corrected; a search for the plate first read finds it too, showing the
correction. Hotlist alerts raised on a corrected read are closed with the disposition `misread`.

Pure domain: no boto3, no environment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alpr.domain.alerts import AlertStatus, AlertStore, DispositionKind, DispositionRequest, dispose
from alpr.domain.errors import InvalidRequest
from alpr.domain.models import Correction, Read
from alpr.domain.plates import plate_for_search

MIN_REASON_WORDS = 3


class CorrectionRequest(BaseModel):
    """`POST /v1/reads/{read_id}/corrections`: the plate the image shows, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plate: str = Field(min_length=1, max_length=16, description="the plate the image shows, e.g. 7ABC123")
    state: str | None = Field(default=None, pattern="^[A-Za-z]{2}$", description="its state, if legible")
    reason: str = Field(max_length=1000, description="what was misread and how the correct plate is known")

    @field_validator("plate")
    @classmethod
    def a_plate(cls, value: str) -> str:
        try:
            return plate_for_search(value)
        except InvalidRequest as error:  # a validation error (422) like any other field's
            raise ValueError(str(error)) from None

    @field_validator("state")
    @classmethod
    def upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @field_validator("reason")
    @classmethod
    def explained(cls, value: str) -> str:
        if len(value.split()) < MIN_REASON_WORDS:
            raise ValueError(f"say why in at least {MIN_REASON_WORDS} words (what the image shows)")
        return value.strip()


def correction_of(read: Read, request: CorrectionRequest, *, by: str, now: datetime) -> Correction:
    """The correction of `read` as requested; InvalidRequest when it would change nothing."""
    current = read.corrected_plate or read.plate
    if request.plate == current:
        raise InvalidRequest(f"the read already stands as {current}: nothing to correct")
    return Correction(
        plate=request.plate,
        state=request.state,
        reason=request.reason,
        by=by,
        at=now,
        original_plate=read.plate,
    )


def alert_ids(read: Read) -> list[str]:
    """The alerts raised on a read (recognize records each hit's alert id with the read)."""
    return [str(hit["alert_id"]) for hit in read.hotlist_hits if hit.get("alert_id")]


def close_alerts_as_misread(store: AlertStore, read: Read, correction: Correction) -> list[str]:
    """Close the read's open alerts with the disposition `misread` (by the corrector, at the
    correction's time, its plate and reason as the note); the ids closed now."""
    note = f"read corrected from {correction.original_plate} to {correction.plate}: {correction.reason}"
    closed = []
    for alert_id in alert_ids(read):
        alert = store.get_alert(alert_id)
        if alert is None or alert.status is not AlertStatus.OPEN:
            continue
        request = DispositionRequest(disposition=DispositionKind.MISREAD, note=note[:1000])
        try:
            dispose(store, alert_id, request, by=correction.by, now=correction.at)
        except InvalidRequest:  # closed by someone else meanwhile
            continue
        closed.append(alert_id)
    return closed


class CorrectionReceipt(BaseModel):
    """What the correction did: the read's id, the correction, the alerts closed as misread."""

    read_id: str
    correction: Correction
    alerts_closed: list[str]


class CorrectionStore(Protocol):
    def add_correction(self, read_id: str, correction: Correction) -> Read | None:
        """Append the correction to the read's history and index its plate; None when no such read."""
        ...
