"""/v1/audit/reviews and /v1/audit/account-reviews: the supervisor's weekly review of sampled
accesses and the commander's yearly review of every account, on record.

The gate has checked the caller's role (`audit:review`, supervisors; `audit:account-review`,
commanders) and logs the call; the reviews name accesses by their event id and accounts by their
username, and return no ALPR data.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.gate import Grant, current_grant
from alpr.domain.account_reviews import AccountReviewReceipt, AccountReviewRequest
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
    grant = _grant()
    receipt = review_service.record_review(grant.caller, grant.person, request)
    note_access(
        query={"review": receipt.review_id, "from_day": str(request.from_day), "to_day": str(request.to_day)},
        returned_ids=[receipt.review_id],
    )
    return receipt


@router.post(
    "/v1/audit/account-reviews",
    summary="Record the yearly account review: a finding (keep, change, disable) for every account, "
    "beside the account as it stands",
    security=AUTHENTICATED,
)
def record_account_review(request: Annotated[AccountReviewRequest, Body()]) -> AccountReviewReceipt:
    grant = _grant()
    receipt = review_service.record_account_review(grant.caller, grant.person, request)
    note_access(
        query={"account_review": receipt.review_id, "accounts": receipt.accounts},
        returned_ids=[receipt.review_id],
    )
    return receipt


def _grant() -> Grant:
    grant = current_grant()
    if grant is None:  # the gate always sets it on these routes
        raise Unauthenticated("authentication required")
    return grant
