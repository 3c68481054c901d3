"""Wiring of the weekly and the yearly account reviews: the domain's lines written beside the access
log, and their ages read back from the keys for the audit watch."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from alpr.domain.account_reviews import (
    AccountReviewReceipt,
    AccountReviewRequest,
    account_review_key,
    account_review_lines,
)
from alpr.domain.account_reviews import account_review_age as account_review_age_of
from alpr.domain.ids import new_ulid
from alpr.domain.models import Caller
from alpr.domain.personnel import PersonnelRecord
from alpr.domain.reviews import REVIEW_OVERDUE_DAYS, ReviewReceipt, ReviewRequest, review_key, review_lines
from alpr.domain.reviews import reviewed_window_age as reviewed_window_age_of
from alpr.services.container import container


def record_review(caller: Caller, person: PersonnelRecord | None, request: ReviewRequest) -> ReviewReceipt:
    """Store the supervisor's review (append-only, under the log's Object Lock); its receipt."""
    now = container().clock.now()
    review_id = new_ulid(container().clock)
    lines = review_lines(
        request,
        review_id=review_id,
        now=now,
        reviewer=caller.username,
        reviewer_name=person.full_name if person else None,
        organisation=person.organisation if person else None,
    )
    key = review_key(review_id, now, request.to_day)
    container().access_log.write_review(key, lines)
    return ReviewReceipt(
        review_id=review_id,
        key=key,
        from_day=request.from_day,
        to_day=request.to_day,
        sampled=len(request.sample),
        findings=dict(Counter(f.finding.value for f in request.findings)),
    )


def record_account_review(
    caller: Caller, person: PersonnelRecord | None, request: AccountReviewRequest
) -> AccountReviewReceipt:
    """Store the yearly account review: the registry as it stands now beside a finding per account."""
    now = container().clock.now()
    review_id = new_ulid(container().clock)
    lines = account_review_lines(
        request,
        container().personnel.all(),
        review_id=review_id,
        now=now,
        reviewer=caller.username,
        reviewer_name=person.full_name if person else None,
    )
    key = account_review_key(review_id, now)
    container().access_log.write_review(key, lines)
    return AccountReviewReceipt(
        review_id=review_id,
        key=key,
        accounts=len(lines),
        findings=dict(Counter(line.finding for line in lines)),
    )


def reviewed_window_age() -> int:
    """Days since the latest reviewed window ended (REVIEW_OVERDUE_DAYS + 1 when none in that time)."""
    today = container().clock.now().date()
    days = [today - timedelta(days=n) for n in range(REVIEW_OVERDUE_DAYS + 1)]
    ends = [end for day in days for end in container().access_log.reviewed_window_ends(day)]
    return reviewed_window_age_of(ends, today)


def account_review_age() -> int:
    """Days since the latest account review was recorded (ACCOUNT_REVIEW_OVERDUE_DAYS + 1 when none)."""
    return account_review_age_of(container().access_log.account_review_days(), container().clock.now().date())
