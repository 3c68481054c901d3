"""Wiring of legal holds: the domain's place and release on the process's Reads table and the
uploads bucket's Object Lock."""

from __future__ import annotations

from functools import cache

from alpr import service
from alpr.adapters import aws
from alpr.adapters.s3_links import S3ObjectHolds
from alpr.domain.access import Purpose
from alpr.domain.holds import HoldState, place_hold, release_hold
from alpr.domain.personnel import PersonnelRecord
from alpr.models import Caller
from alpr.names import Group
from alpr.settings import settings


@cache
def object_holds() -> S3ObjectHolds:
    return S3ObjectHolds(aws.s3)


def hold(caller: Caller, person: PersonnelRecord | None, purpose: Purpose, read_id: str) -> HoldState:
    """Hold a read for the case of the request's purpose; the purpose's words are the reason."""
    return place_hold(
        service.read_store(),
        object_holds(),
        read_id,
        case_number=purpose.case_number,
        category=purpose.category,
        reason=purpose.text,
        by=caller.username,
        organisation=person.organisation if person else "",
        now=service.clock().now(),
    )


def release(caller: Caller, person: PersonnelRecord | None, purpose: Purpose, read_id: str) -> HoldState:
    """Release the hold of the request's case (its placer, or a supervisor of its organisation);
    the purpose's words are the reason."""
    return release_hold(
        service.read_store(),
        object_holds(),
        read_id,
        case_number=purpose.case_number,
        reason=purpose.text,
        by=caller.username,
        organisation=person.organisation if person else "",
        supervisor=person is not None and Group.SUPERVISOR in person.roles,
        now=service.clock().now(),
        retention=settings().retention,
    )
