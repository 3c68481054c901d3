"""/v1/audit/reviews: the supervisor's weekly review of sampled accesses, on record.

The gate has checked the caller's role (`audit:review`, supervisors) and logs the call; the review
names accesses by their event id and returns no ALPR data.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.gate import current_grant
from alpr.domain.errors import Unauthenticated
from alpr.domain.reviews import ReviewReceipt, ReviewRequest
from alpr.services import reviews as review_service

router = Router()


@router.post(
    "/v1/audit/reviews",
    summary="Record a weekly review: the window, its sample, a finding (proper, question, improper) per access",
    security=AUTHENTICATED,
)
def record_review(request: Annotated[ReviewRequest, Body()]) -> ReviewReceipt:
    grant = current_grant()
    if grant is None:  # the gate always sets it on this route
        raise Unauthenticated("authentication required")
    receipt = review_service.record_review(grant.caller, grant.person, request)
    note_access(
        query={"review": receipt.review_id, "from_day": str(request.from_day), "to_day": str(request.to_day)},
        returned_ids=[receipt.review_id],
    )
    return receipt
