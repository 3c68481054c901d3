"""Legal holds: a case keeps a read, and its image and crop, past their retention.

A hold removes the read's TTL (`expires_at`) and puts an S3 Object Lock legal hold on the current
version of its image and crop, so neither the TTL sweep nor the bucket's lifecycle can destroy
them; it records the case, purpose category, reason, who and when. The locked versions are kept
with the read (`held_versions`): past the retention the lifecycle puts a delete marker over the
key, and the read's links then point at the locked version. Several cases may hold one read.
Releasing the last hold restores the schedule (capture + retention), which may already be past:
the read then goes with the next sweep. Every placing and release stays with the read
(`hold_history`).

Who may release: the user who placed the hold, or a supervisor of the hold's organisation, who
is then recorded as approving. Knowing a case number is not enough: a caller sees only the holds
of the case they work (`holds_for_case`); the others are counted, not named.

Order, so that a failure halfway errs on keeping: placing locks the objects before the TTL is
removed; releasing restores the TTL before the objects are unlocked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeVar, cast

from pydantic import BaseModel, Field

from alpr.domain.errors import Conflict, Forbidden, NotFound
from alpr.domain.models import HoldEvent, LegalHold, Read, ReadResult, UtcDatetime
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
    other_holds: int = Field(default=0, description="holds of other cases (not named)")


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

    def lock_version(self, bucket: str, key: str, version_id: str) -> None:
        """Put that version under legal hold (again: idempotent)."""
        ...

    def unlock(self, bucket: str, key: str, version_id: str) -> None: ...


def held_version(read: Read, key: str) -> str | None:
    """The version of the read's object `key` under legal hold, if held: fetch that one, since the
    lifecycle may have put a delete marker over the key past the read's retention."""
    return read.held_versions.get(key)


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
            # Again after the save: a release that saw the read unheld may have unlocked meanwhile.
            for key, version in versions.items():
                objects.lock_version(read.image_bucket, key, version)
            return _state(read, holds, history, None, now)
    raise Conflict(f"the holds of read '{read_id}' changed while this one was placed; try again")


def may_release(hold: LegalHold, by: str, *, organisation: str, supervisor: bool) -> str | None:
    """Who approves `by` releasing `hold`: nobody needed (None) for the user who placed it, the
    supervisor themselves for a supervisor of the hold's organisation; Forbidden otherwise."""
    if hold.placed_by == by:
        return None
    if supervisor and organisation and organisation == hold.organisation:
        return by
    raise Forbidden(
        f"the hold of case {hold.case_number} was placed by another user: only they, or a supervisor "
        "of their organisation, may release it"
    )


def _relock_if_held_again(store: HoldStore, objects: ObjectHolds, read_id: str) -> None:
    # A hold placed between our save and our unlock has locked the objects we just unlocked.
    again = store.get_read(read_id)
    if again is not None and again.legal_holds:
        for key, version in again.held_versions.items():
            objects.lock_version(again.image_bucket, key, version)


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
    organisation: str = "",
    supervisor: bool = False,
) -> HoldState:
    """Release a case's hold: by the user who placed it, or a supervisor of its organisation (then
    recorded as approving). The last one restores the read's retention schedule and unlocks its
    image and crop. NotFound when the read is not held for that case; Forbidden for anyone else."""
    for _ in range(MAX_ATTEMPTS):
        read = store.get_read(read_id)
        hold = next((h for h in (read.legal_holds if read else []) if h.case_number == case_number), None)
        if read is None or hold is None:
            raise NotFound(f"read '{read_id}' is not held for case {case_number}")
        approved_by = may_release(hold, by, organisation=organisation, supervisor=supervisor)
        holds = [h for h in read.legal_holds if h.case_number != case_number]
        expires = None if holds else expires_at(read.captured_at, retention)
        event = HoldEvent(
            action="released", case_number=case_number, reason=reason, by=by, at=now, approved_by=approved_by
        )
        history = [*read.hold_history, event]
        versions = read.held_versions if holds else {}
        if store.save_holds(read, holds, history, expires, versions):
            if not holds:
                for key, version in read.held_versions.items():
                    objects.unlock(read.image_bucket, key, version)
                _relock_if_held_again(store, objects, read_id)
            return _state(read, holds, history, expires, now)
    raise Conflict(f"the holds of read '{read_id}' changed while this one was released; try again")


Shown = TypeVar("Shown", bound=ReadResult | HoldState)


def holds_for_case(shown: Shown, case_number: str | None) -> Shown:
    """`shown` as a caller working `case_number` may see it: that case's holds and history; the
    other cases' holds only counted (a read's holds would otherwise name every case holding it)."""
    mine = [h for h in shown.legal_holds if h.case_number == case_number]
    update: dict[str, object] = {
        "legal_holds": mine,
        "hold_history": [e for e in shown.hold_history if e.case_number == case_number],
        "other_holds": len(shown.legal_holds) - len(mine),
    }
    if "held" in type(shown).model_fields:  # a read says it is held even when no hold is shown
        update["held"] = bool(shown.legal_holds)
    return cast(Shown, shown.model_copy(update=update))  # mypy widens a union-bound TypeVar's copy


def kept_only_by_hold(read: Read, now: datetime, retention: Retention) -> bool:
    """Past its retention and kept only because a case holds it (evidence, not searchable history)."""
    return bool(read.legal_holds) and retention.expiry(read.captured_at) <= now


def given_to_case(read: Read, case_number: str | None, now: datetime, retention: Retention) -> bool:
    """Whether a caller working `case_number` may be given the read: a read kept only by a hold
    only to a case holding it (policy 439.5; the evidence export reads it directly)."""
    if not kept_only_by_hold(read, now, retention):
        return True
    return case_number is not None and any(h.case_number == case_number for h in read.legal_holds)
