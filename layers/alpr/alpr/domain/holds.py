"""Legal holds: a case keeps a read, and its image and crop, past their retention.

A hold removes the read's TTL (`expires_at`) and puts an S3 Object Lock legal hold on the current
version of its image and crop, so neither the TTL sweep nor the bucket's lifecycle can destroy
them; it records the case, purpose category, reason, who and when. The locked versions are kept
with the read (`held_versions`): past the retention the lifecycle puts a delete marker over the
key, and the read's links then point at the locked version. Several cases may hold one read.
Releasing the last hold restores the schedule (capture + retention), which may already be past:
the read then goes with the next sweep. Every placing and release stays with the read
(`hold_history`).

Oversight (issue 22): a hold needs a supervisor's approval, from a supervisor of its organisation
other than the user who placed it, within APPROVAL_DAYS of placing; and it has a review date (the
configured `hold_review_days` after placing or renewing) by which the holder renews it. A hold that
misses either lapses: the scheduled review (`lapse_due_holds`) records the lapse in the access log,
then takes the hold off as a release would, so the read returns to its schedule. Until it lapses an
unapproved hold protects the read like any other. Each hold has an id, and the register of holds
(`HoldRegister`) finds a hold by id and the holds falling due.

Who may release: the user who placed the hold, or a supervisor of the hold's organisation, who
is then recorded as approving. Knowing a case number is not enough: a caller sees only the holds
of the case they work (`holds_for_case`); the others are counted, not named.

Order, so that a failure halfway errs on keeping: placing locks the objects before the TTL is
removed; releasing restores the TTL before the objects are unlocked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, Protocol, TypeVar, cast

from pydantic import BaseModel, Field

from alpr.domain.access import AccessRecord
from alpr.domain.errors import Conflict, Forbidden, NotFound
from alpr.domain.ids import derived_ulid, ulid_at
from alpr.domain.models import HoldEvent, LegalHold, Read, ReadResult, UtcDatetime, iso_utc
from alpr.domain.retention import Retention, expires_at, is_expired

# A concurrent change to the same read's holds is re-read and applied again this many times.
MAX_ATTEMPTS = 3
APPROVAL_DAYS = 7  # a supervisor approves a hold within this many days of its placing, or it lapses
DEFAULT_HOLD_REVIEW_DAYS = 365  # the review date's default distance: a year
LAPSE_ACTION = "holds:lapse"  # the access-log action of a lapse
LAPSED_BY = "hold-review"  # who a lapse's history event names: the scheduled review, not a person


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


class HoldRegister(Protocol):
    """The register of holds: one entry per hold, kept in step by `HoldStore.save_holds`."""

    def find_hold(self, hold_id: str) -> str | None:
        """The id of the read the hold is on, or None for an unknown hold."""
        ...

    def due_holds(self, now: datetime) -> list[str]:
        """Ids of the holds in force whose approval deadline or review date is at or before `now`."""
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
    review_days: int = DEFAULT_HOLD_REVIEW_DAYS,
) -> HoldState:
    """Hold a read for a case (again for the same case: nothing changes), pending a supervisor's
    approval, with its review date `review_days` away. NotFound when the read is absent or past its
    retention: data due for destruction cannot be held back afterwards."""
    for _ in range(MAX_ATTEMPTS):
        read = store.get_read(read_id)
        if read is None or is_expired(read.expires_at, now):
            raise NotFound(f"no read '{read_id}'")
        if any(h.case_number == case_number for h in read.legal_holds):
            return _state(read, read.legal_holds, read.hold_history, read.expires_at, now)
        # The first hold locks the objects; later ones find them locked already.
        versions = read.held_versions or {key: objects.lock(read.image_bucket, key) for key in _objects(read)}
        hold = LegalHold(
            hold_id=ulid_at(now),
            case_number=case_number,
            category=category,
            reason=reason,
            placed_by=by,
            organisation=organisation,
            placed_at=now,
            review_at=now + timedelta(days=review_days),
        )
        holds = [*read.legal_holds, hold]
        event = HoldEvent(
            action="placed", hold_id=hold.hold_id, case_number=case_number, reason=reason, by=by, at=now
        )
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
        event = HoldEvent(
            action="released",
            hold_id=hold.hold_id,
            case_number=case_number,
            reason=reason,
            by=by,
            at=now,
            approved_by=approved_by,
        )
        state = _take_off(store, objects, read, hold, event, retention, now)
        if state is not None:
            return state
    raise Conflict(f"the holds of read '{read_id}' changed while this one was released; try again")


def _take_off(
    store: HoldStore,
    objects: ObjectHolds,
    read: Read,
    hold: LegalHold,
    event: HoldEvent,
    retention: Retention,
    now: datetime,
) -> HoldState | None:
    """Take one hold off the read (released or lapsed); the last one restores the retention schedule
    and unlocks the image and crop. None when the read's holds changed meanwhile (read it again)."""
    holds = [h for h in read.legal_holds if h != hold]
    expires = None if holds else expires_at(read.captured_at, retention)
    history = [*read.hold_history, event]
    versions = read.held_versions if holds else {}
    if not store.save_holds(read, holds, history, expires, versions):
        return None
    if not holds:
        for key, version in read.held_versions.items():
            objects.unlock(read.image_bucket, key, version)
        _relock_if_held_again(store, objects, read.read_id)
    return _state(read, holds, history, expires, now)


# --- oversight: approval within APPROVAL_DAYS, a review date, lapses ------------------------------


def approval_due(hold: LegalHold) -> datetime:
    """When an unapproved hold lapses."""
    return hold.placed_at + timedelta(days=APPROVAL_DAYS)


def due_at(hold: LegalHold) -> datetime | None:
    """When the hold lapses unless acted on: its approval deadline until approved, then its review
    date (None for a hold placed before holds were reviewed)."""
    return approval_due(hold) if hold.approved_by is None else hold.review_at


def lapse_reason(hold: LegalHold, now: datetime) -> str | None:
    """Why the hold has lapsed at `now`, or None while it is in force."""
    if not hold.hold_id:
        return None  # placed before holds had ids and reviews: kept until released
    if hold.approved_by is None and now >= approval_due(hold):
        return (
            f"not approved by a supervisor within {APPROVAL_DAYS} days of its placing "
            f"(due {iso_utc(approval_due(hold))})"
        )
    if hold.review_at is not None and now >= hold.review_at:
        return f"not renewed by its review date ({iso_utc(hold.review_at)})"
    return None


class HoldView(LegalHold):
    """One hold as its approver or holder sees it: its read, its state and its deadlines."""

    read_id: str
    state: Literal["pending", "approved"] = Field(
        description="pending until a supervisor approves it (it lapses if not approved by `approval_due`)"
    )
    approval_due: UtcDatetime


def hold_view(read_id: str, hold: LegalHold) -> HoldView:
    return HoldView(
        **hold.model_dump(),
        read_id=read_id,
        state="pending" if hold.approved_by is None else "approved",
        approval_due=approval_due(hold),
    )


def _hold_of(read: Read | None, hold_id: str) -> LegalHold | None:
    return next((h for h in (read.legal_holds if read else []) if h.hold_id == hold_id), None)


Amend = Callable[[LegalHold], tuple[LegalHold, HoldEvent | None]]


def _amend(store: HoldStore, register: HoldRegister, hold_id: str, amend: Amend) -> HoldView:
    """Apply `amend` to a hold in force (it raises when it may not, and returns no event when nothing
    changes) and save it with its event; NotFound for an unknown hold, Conflict for one released or
    lapsed."""
    read_id = register.find_hold(hold_id)
    if read_id is None:
        raise NotFound(f"no hold '{hold_id}'")
    for _ in range(MAX_ATTEMPTS):
        read = store.get_read(read_id)
        hold = _hold_of(read, hold_id)
        if read is None or hold is None:
            raise Conflict(f"hold '{hold_id}' is no longer in force: it was released or it lapsed")
        amended, event = amend(hold)
        if event is None:
            return hold_view(read_id, hold)
        holds = [amended if h.hold_id == hold_id else h for h in read.legal_holds]
        if store.save_holds(read, holds, [*read.hold_history, event], read.expires_at, read.held_versions):
            return hold_view(read_id, amended)
    raise Conflict(f"the holds of read '{read_id}' changed while hold '{hold_id}' was changed; try again")


def approve_hold(
    store: HoldStore,
    register: HoldRegister,
    hold_id: str,
    *,
    by: str,
    organisation: str,
    supervisor: bool,
    now: datetime,
) -> HoldView:
    """A supervisor of the hold's organisation, other than the user who placed it, approves it within
    APPROVAL_DAYS of its placing (again: nothing changes). Forbidden for anyone else; Conflict once
    the deadline has passed (the hold lapses)."""

    def approve(hold: LegalHold) -> tuple[LegalHold, HoldEvent | None]:
        if not supervisor or not organisation or organisation != hold.organisation:
            raise Forbidden(
                f"hold '{hold_id}' is approved by a supervisor of {hold.organisation or 'its organisation'}"
            )
        if by == hold.placed_by:
            raise Forbidden(f"hold '{hold_id}' is approved by a supervisor other than the user who placed it")
        if hold.approved_by is not None:
            return hold, None
        if lapse_reason(hold, now):
            raise Conflict(
                f"hold '{hold_id}' can no longer be approved: {lapse_reason(hold, now)}; it lapses"
            )
        event = HoldEvent(
            action="approved",
            hold_id=hold_id,
            case_number=hold.case_number,
            reason=f"approved within {APPROVAL_DAYS} days of its placing",
            by=by,
            at=now,
        )
        return hold.model_copy(update={"approved_by": by, "approved_at": now}), event

    return _amend(store, register, hold_id, approve)


def renew_hold(
    store: HoldStore,
    register: HoldRegister,
    hold_id: str,
    *,
    case_number: str,
    reason: str,
    by: str,
    now: datetime,
    review_days: int,
) -> HoldView:
    """The user who placed an approved hold renews it by its review date, stating its case and why it
    is still needed: the next review date is `review_days` from now. Forbidden for anyone else or
    another case; Conflict before approval or once the review date has passed (the hold lapses)."""

    def renew(hold: LegalHold) -> tuple[LegalHold, HoldEvent | None]:
        if by != hold.placed_by or case_number != hold.case_number:
            raise Forbidden(f"hold '{hold_id}' is renewed by the user who placed it, for its case")
        if hold.approved_by is None:
            raise Conflict(f"hold '{hold_id}' awaits a supervisor's approval; it is renewed once approved")
        if lapse_reason(hold, now):
            raise Conflict(f"hold '{hold_id}' can no longer be renewed: {lapse_reason(hold, now)}; it lapses")
        review_at = now + timedelta(days=review_days)
        event = HoldEvent(
            action="renewed",
            hold_id=hold_id,
            case_number=hold.case_number,
            reason=f"{reason} (next review {iso_utc(review_at)})",
            by=by,
            at=now,
        )
        return hold.model_copy(update={"review_at": review_at}), event

    return _amend(store, register, hold_id, renew)


class Lapse(BaseModel):
    """A hold that lapsed: who held which read for which case, and why it lapsed."""

    hold_id: str
    read_id: str
    case_number: str
    category: str
    held_for: str = Field(description="the reason the hold was placed")
    placed_by: str
    organisation: str
    placed_at: UtcDatetime
    approved_by: str | None
    reason: str = Field(description="why it lapsed")
    at: UtcDatetime


def lapse_record(lapse: Lapse) -> AccessRecord:
    """The access-log entry of a lapse (written before the hold comes off: no lapse goes unrecorded)."""
    return AccessRecord(
        event_id=derived_ulid(lapse.at, LAPSE_ACTION, lapse.hold_id),
        time=lapse.at,
        username=None,
        full_name=None,
        organisation=lapse.organisation,
        role=None,
        action=LAPSE_ACTION,
        method="LAPSE",
        route=LAPSED_BY,
        query={
            "hold_id": lapse.hold_id,
            "read_id": lapse.read_id,
            "held_by": lapse.placed_by,
            "placed_at": iso_utc(lapse.placed_at),
            "approved_by": lapse.approved_by,
        },
        purpose_category=lapse.category,
        case_number=lapse.case_number,
        purpose_text=lapse.held_for,
        outcome="allowed",
        reason=f"hold {lapse.hold_id} on read {lapse.read_id} lapsed: {lapse.reason}",
        status=200,
        source_ip=None,
        request_id=lapse.hold_id,
    )


def lapse_hold(
    store: HoldStore,
    register: HoldRegister,
    objects: ObjectHolds,
    hold_id: str,
    *,
    now: datetime,
    retention: Retention,
    record: Callable[[Lapse], None],
) -> Lapse | None:
    """Lapse one hold if it is due: `record` it first (if that fails, the hold stays), then take it off
    as a release would. None when it is no longer due (approved, renewed or released meanwhile)."""
    read_id = register.find_hold(hold_id)
    recorded: Lapse | None = None
    for _ in range(MAX_ATTEMPTS):
        read = store.get_read(read_id) if read_id else None
        hold = _hold_of(read, hold_id)
        why = lapse_reason(hold, now) if hold else None
        if read is None or hold is None or why is None:
            return None
        lapse = Lapse(
            hold_id=hold_id,
            read_id=read.read_id,
            case_number=hold.case_number,
            category=hold.category,
            held_for=hold.reason,
            placed_by=hold.placed_by,
            organisation=hold.organisation,
            placed_at=hold.placed_at,
            approved_by=hold.approved_by,
            reason=why,
            at=now,
        )
        if recorded != lapse:
            record(lapse)
            recorded = lapse
        event = HoldEvent(
            action="lapsed", hold_id=hold_id, case_number=hold.case_number, reason=why, by=LAPSED_BY, at=now
        )
        if _take_off(store, objects, read, hold, event, retention, now) is not None:
            return lapse
    raise Conflict(f"the holds of read '{read_id}' changed while hold '{hold_id}' lapsed; it lapses next run")


def lapse_due_holds(
    store: HoldStore,
    register: HoldRegister,
    objects: ObjectHolds,
    *,
    now: datetime,
    retention: Retention,
    record: Callable[[Lapse], None],
) -> list[Lapse]:
    """Lapse every hold whose approval deadline or review date has passed (the daily review)."""
    lapses = (
        lapse_hold(store, register, objects, hold_id, now=now, retention=retention, record=record)
        for hold_id in register.due_holds(now)
    )
    return [lapse for lapse in lapses if lapse is not None]


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
