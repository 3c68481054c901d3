"""/v1/personnel: the Personnel registry, kept by administrators (a supervisor approves).

The gate has already checked the caller's role (`personnel:read` or `personnel:admin`)
and logged the call; these routes only do the registry's work.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.gate import access_policy, current_grant
from alpr.domain.errors import NotFound, Unauthenticated
from alpr.domain.personnel import (
    PersonnelChange,
    PersonnelRecord,
    StatusChange,
    TrainingRecord,
    change_status,
    record_training,
    save_person,
)
from alpr.services.container import container

router = Router()

Username = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._@+-]+$")]


def _admin() -> str:
    grant = current_grant()
    if grant is None:  # the gate always sets it on these routes
        raise Unauthenticated("authentication required")
    return grant.caller.username


@router.get("/v1/personnel", summary="Every account of the Personnel registry", security=AUTHENTICATED)
def list_personnel() -> list[PersonnelRecord]:
    people = container().personnel.all()
    note_access(returned_ids=[p.username for p in people])
    return people


@router.get("/v1/personnel/<username>", summary="One account", security=AUTHENTICATED)
def get_person(username: Username) -> PersonnelRecord:
    person = container().personnel.get(username)
    if person is None:
        raise NotFound(f"no account '{username}' in the Personnel registry")
    note_access(returned_ids=[username])
    return person


@router.put(
    "/v1/personnel/<username>",
    summary="Create or replace an account (a supervisor approves it)",
    security=AUTHENTICATED,
)
def put_person(username: Username, change: Annotated[PersonnelChange, Body()]) -> PersonnelRecord:
    person = save_person(container().personnel, _admin(), username, change, container().clock.now())
    note_access(query={"roles": [r.value for r in person.roles], "approved_by": person.approved_by})
    return person


@router.post("/v1/personnel/<username>/training", summary="Record completed training", security=AUTHENTICATED)
def post_training(username: Username, training: Annotated[TrainingRecord, Body()]) -> PersonnelRecord:
    person = record_training(
        container().personnel, _admin(), username, training, access_policy().standing, container().clock.now()
    )
    note_access(query={"training_completed": str(person.training_completed)})
    return person


@router.post(
    "/v1/personnel/<username>/status",
    summary="Suspend, separate or reactivate an account",
    security=AUTHENTICATED,
)
def post_status(username: Username, change: Annotated[StatusChange, Body()]) -> PersonnelRecord:
    person = change_status(container().personnel, _admin(), username, change, container().clock.now())
    note_access(query={"status": person.status.value, "reason": change.reason})
    return person
