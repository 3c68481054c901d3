"""Wiring of legal holds: the domain's place and release on the process's Reads table and the
uploads bucket's Object Lock."""

from __future__ import annotations

from alpr.domain.access import Purpose
from alpr.domain.holds import HoldState, place_hold, release_hold
from alpr.domain.models import Caller
from alpr.domain.personnel import PersonnelRecord
from alpr.names import Group
from alpr.services.container import container


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
        supervisor=person is not None and Group.SUPERVISOR in person.roles,
        now=container().clock.now(),
        retention=container().config.retention,
    )
