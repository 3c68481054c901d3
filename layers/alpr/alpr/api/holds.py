"""/v1/reads/{read_id}/hold (legal holds), /v1/holds/{hold_id}/approve and /renew (their oversight)
and /v1/exports (evidence export). The case, category and reason are the request's purpose (the
X-Purpose-* and X-Case-Number headers every data route requires); an approval is its own purpose."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.gate import Grant, current_grant, record_pending
from alpr.api.params import UlidPath
from alpr.domain.access import Purpose
from alpr.domain.errors import Unauthenticated
from alpr.domain.evidence import ExportReceipt, ExportRequest
from alpr.domain.holds import HoldState, HoldView, holds_for_case
from alpr.services import evidence as evidence_service
from alpr.services import holds as holds_service

router = Router()


def _grant() -> tuple[Grant, Purpose]:
    grant = current_grant()
    if grant is None or grant.purpose is None:  # the gate always sets both on these routes
        raise Unauthenticated("authentication required")
    return grant, grant.purpose


@router.post(
    "/v1/reads/<read_id>/hold",
    summary="Keep a read, its image and crop past their retention for the purpose's case",
    security=AUTHENTICATED,
)
def place_hold(read_id: UlidPath) -> HoldState:
    grant, purpose = _grant()
    state = holds_service.hold(grant.caller, grant.person, purpose, read_id)
    note_access(query={"hold": "place", "read_id": read_id}, returned_ids=[read_id])
    return holds_for_case(state, purpose.case_number)


@router.delete(
    "/v1/reads/<read_id>/hold",
    summary="Release the purpose's case's hold; the last one restores the retention schedule",
    security=AUTHENTICATED,
)
def release_hold(read_id: UlidPath) -> HoldState:
    grant, purpose = _grant()
    state = holds_service.release(grant.caller, grant.person, purpose, read_id)
    note_access(query={"hold": "release", "read_id": read_id}, returned_ids=[read_id])
    return holds_for_case(state, purpose.case_number)


@router.post(
    "/v1/holds/<hold_id>/approve",
    summary="A supervisor other than the holder approves a hold (within 7 days of its placing, or it lapses)",
    security=AUTHENTICATED,
)
def approve_hold(hold_id: UlidPath) -> HoldView:
    grant = current_grant()
    if grant is None:  # the gate always sets it on this route
        raise Unauthenticated("authentication required")
    view = holds_service.approve(grant.caller, grant.person, hold_id)
    note_access(query={"hold": "approve", "hold_id": hold_id, "read_id": view.read_id})
    return view


@router.post(
    "/v1/holds/<hold_id>/renew",
    summary="The holder renews a hold for its case by its review date (or it lapses): a new review date",
    security=AUTHENTICATED,
)
def renew_hold(hold_id: UlidPath) -> HoldView:
    grant, purpose = _grant()
    view = holds_service.renew(grant.caller, purpose, hold_id)
    note_access(query={"hold": "renew", "hold_id": hold_id, "read_id": view.read_id})
    return view


@router.post(
    "/v1/exports",
    summary="Book reads into evidence for the purpose's case: data, images, custody record, manifest",
    security=AUTHENTICATED,
)
def export_evidence(request: Annotated[ExportRequest, Body()]) -> ExportReceipt:
    grant, purpose = _grant()
    receipt = evidence_service.export(
        grant.caller,
        grant.person,
        purpose,
        request.read_ids,
        before_writing=lambda export_id, read_ids: record_pending({"export": export_id}, read_ids),
    )
    note_access(query={"export": receipt.export_id}, returned_ids=receipt.read_ids)
    return receipt
