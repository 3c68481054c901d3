"""Legal holds: a case keeps a read, and its image and crop, past their retention.

A hold removes the read's TTL (`expires_at`) and puts an S3 Object Lock legal hold on the current
version of its image and crop, so neither the TTL sweep nor the bucket's lifecycle can destroy
them; it records the case, purpose category, reason, who and when. The locked versions are kept
with the read (`held_versions`): past the retention the lifecycle puts a delete marker over the
key, and the read's links then point at the locked version. Several cases may hold one read.
Releasing the last hold restores the schedule (capture + retention), which may already be past:
the read then goes with the next sweep. Every placing and release stays with the read
(`hold_history`).

Order, so that a failure halfway errs on keeping: placing locks the objects before the TTL is
removed; releasing restores the TTL before the objects are unlocked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from alpr.domain.errors import Conflict, NotFound
from alpr.domain.models import HoldEvent, LegalHold, Read, UtcDatetime
from alpr.domain.retention import Retention, expires_at, is_expired

# A concurrent change to the same read's holds is re-read and applied again this many times.
MAX_ATTEMPTS = 3


class HoldState(BaseModel):
    """A read's holds after a change: who holds it, and when it now expires (null while held)."""

    read_id: str
    legal_holds: list[LegalHold]
    expires_at: int | None
    hold_history: list[HoldEvent]
    changed_at: UtcDatetime


class HoldStore(Protocol):
    def get_read(self, read_id: str) -> Read | None: ...

    def save_holds(
        self,
        read: Read,
        holds: list[LegalHold],
        history: list[HoldEvent],
        expires: int | None,
        versions: dict[str, str],
    ) -> bool:
        """Write holds, history, expiry and locked versions if the read's history is still
        `read`'s (else False)."""
        ...


class ObjectHolds(Protocol):
    def lock(self, bucket: str, key: str) -> str:
        """Put the object's current version under legal hold; its version id."""
        ...

    def unlock(self, bucket: str, key: str, version_id: str) -> None: ...


def _objects(read: Read) -> list[str]:
    return [key for key in (read.image_key, read.crop_key) if key]


def _state(
    read: Read, holds: list[LegalHold], history: list[HoldEvent], expires: int | None, now: datetime
) -> HoldState:
    return HoldState(
        read_id=read.read_id, legal_holds=holds, expires_at=expires, hold_history=history, changed_at=now
    )


def place_hold(
    store: HoldStore,
    objects: ObjectHolds,
    read_id: str,
    *,
    case_number: str,
    category: str,
    reason: str,
    by: str,
    organisation: str,
    now: datetime,
) -> HoldState:
    """Hold a read for a case (again for the same case: nothing changes). NotFound when the read is
    absent or past its retention: data due for destruction cannot be held back afterwards."""
    for _ in range(MAX_ATTEMPTS):
        read = store.get_read(read_id)
        if read is None or is_expired(read.expires_at, now):
            raise NotFound(f"no read '{read_id}'")
        if any(h.case_number == case_number for h in read.legal_holds):
            return _state(read, read.legal_holds, read.hold_history, read.expires_at, now)
        # The first hold locks the objects; later ones find them locked already.
        versions = read.held_versions or {key: objects.lock(read.image_bucket, key) for key in _objects(read)}
        hold = LegalHold(
            case_number=case_number,
            category=category,
            reason=reason,
            placed_by=by,
            organisation=organisation,
            placed_at=now,
        )
        holds = [*read.legal_holds, hold]
        event = HoldEvent(action="placed", case_number=case_number, reason=reason, by=by, at=now)
        history = [*read.hold_history, event]
        if store.save_holds(read, holds, history, None, versions):
            return _state(read, holds, history, None, now)
    raise Conflict(f"the holds of read '{read_id}' changed while this one was placed; try again")


def release_hold(
    store: HoldStore,
    objects: ObjectHolds,
    read_id: str,
    *,
    case_number: str,
    reason: str,
    by: str,
    now: datetime,
    retention: Retention,
) -> HoldState:
    """Release a case's hold. The last one restores the read's retention schedule and unlocks its
    image and crop. NotFound when the read is not held for that case."""
    for _ in range(MAX_ATTEMPTS):
        read = store.get_read(read_id)
        if read is None or not any(h.case_number == case_number for h in read.legal_holds):
            raise NotFound(f"read '{read_id}' is not held for case {case_number}")
        holds = [h for h in read.legal_holds if h.case_number != case_number]
        expires = None if holds else expires_at(read.captured_at, retention)
        event = HoldEvent(action="released", case_number=case_number, reason=reason, by=by, at=now)
        history = [*read.hold_history, event]
        versions = read.held_versions if holds else {}
        if store.save_holds(read, holds, history, expires, versions):
            if not holds:
                for key, version in read.held_versions.items():
                    objects.unlock(read.image_bucket, key, version)
            return _state(read, holds, history, expires, now)
    raise Conflict(f"the holds of read '{read_id}' changed while this one was released; try again")


def kept_only_by_hold(read: Read, now: datetime, retention: Retention) -> bool:
    """Past its retention and kept only because a case holds it (evidence, not searchable history)."""
    return bool(read.legal_holds) and retention.expiry(read.captured_at) <= now


def shown_to_case(read: Read, case_number: str | None, now: datetime, retention: Retention) -> bool:
    """Whether a caller working `case_number` may be given the read: a read kept only by a hold
    only to a case holding it (policy 439.5; the evidence export reads it directly)."""
    if not kept_only_by_hold(read, now, retention):
        return True
    return case_number is not None and any(h.case_number == case_number for h in read.legal_holds)
