"""Wiring of legal holds: the domain's place, release, approval, renewal and lapse on the process's
Reads table, its register of holds and the uploads bucket's Object Lock."""

from __future__ import annotations

from alpr.domain.access import Purpose
from alpr.domain.holds import (
    HoldState,
    HoldView,
    Lapse,
    approve_hold,
    lapse_due_holds,
    lapse_record,
    place_hold,
    release_hold,
    renew_hold,
)
from alpr.domain.models import Caller
from alpr.domain.personnel import PersonnelRecord
from alpr.names import Group
from alpr.services.container import container


def _supervisor(person: PersonnelRecord | None) -> bool:
    return person is not None and Group.SUPERVISOR in person.roles


def hold(caller: Caller, person: PersonnelRecord | None, purpose: Purpose, read_id: str) -> HoldState:
    """Hold a read for the case of the request's purpose; the purpose's words are the reason."""
    return place_hold(
        container().read_store,
        container().object_holds,
        read_id,
        case_number=purpose.case_number,
        category=purpose.category,
        reason=purpose.text,
        by=caller.username,
        organisation=person.organisation if person else "",
        now=container().clock.now(),
        review_days=container().config.hold_review_days,
    )


def release(caller: Caller, person: PersonnelRecord | None, purpose: Purpose, read_id: str) -> HoldState:
    """Release the hold of the request's case (its placer, or a supervisor of its organisation);
    the purpose's words are the reason."""
    return release_hold(
        container().read_store,
        container().object_holds,
        read_id,
        case_number=purpose.case_number,
        reason=purpose.text,
        by=caller.username,
        organisation=person.organisation if person else "",
        supervisor=_supervisor(person),
        now=container().clock.now(),
        retention=container().config.retention,
    )


def approve(caller: Caller, person: PersonnelRecord | None, hold_id: str) -> HoldView:
    """A supervisor of the hold's organisation, not its holder, approves it."""
    store = container().read_store
    return approve_hold(
        store,
        store,
        hold_id,
        by=caller.username,
        organisation=person.organisation if person else "",
        supervisor=_supervisor(person),
        now=container().clock.now(),
    )


def renew(caller: Caller, purpose: Purpose, hold_id: str) -> HoldView:
    """The holder renews the hold for its case; the purpose's words say why it is still needed."""
    store = container().read_store
    return renew_hold(
        store,
        store,
        hold_id,
        case_number=purpose.case_number,
        reason=purpose.text,
        by=caller.username,
        now=container().clock.now(),
        review_days=container().config.hold_review_days,
    )


def lapse_due() -> list[Lapse]:
    """The daily review: every hold unapproved past its deadline or past its review date lapses,
    each recorded in the access log before it comes off."""
    store = container().read_store
    return lapse_due_holds(
        store,
        store,
        container().object_holds,
        now=container().clock.now(),
        retention=container().config.retention,
        record=lambda lapse: container().access_log.write(lapse_record(lapse)),
    )
