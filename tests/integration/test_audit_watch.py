"""The daily audit watch on moto: the age of the last reviewed window, from the reviews' keys, and
the age of the last yearly account review, from its day partitions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from alpr.domain.account_reviews import AccountReviewRequest
from alpr.domain.clock import FixedClock
from alpr.domain.models import Caller
from alpr.local.stack import LOCAL_USERS
from alpr.services import reviews as review_service
from alpr.services.container import container
from tests.integration.conftest import FakeContext, Stack, load_handler
from tests.integration.gate_support import call, event

NOW = datetime.now(UTC)
TODAY = NOW.date()
WEEKLY = ("reviewed_window_age_days", "overdue")
YEARLY = ("account_review_age_days", "account_review_overdue")


def _run_watch() -> dict[str, object]:
    result: dict[str, object] = load_handler("audit_watch").lambda_handler(
        {"source": "aws.events", "detail-type": "Scheduled Event"},
        FakeContext(aws_request_id=str(uuid.uuid4())),
    )
    return result


def _watch(keys: tuple[str, ...] = WEEKLY) -> dict[str, object]:
    result = _run_watch()
    return {key: result[key] for key in keys}


def _review(from_day: object, to_day: object) -> dict[str, object]:
    body = {"from_day": str(from_day), "to_day": str(to_day), "sample": [], "findings": []}
    return event("POST", "/v1/audit/reviews", username="supervisor", groups=["supervisor"], body=body)


def test_without_a_review_the_watch_reports_the_weekly_and_the_yearly_overdue(stack: Stack) -> None:
    assert _run_watch() == {
        "reviewed_window_age_days": 11,
        "overdue": True,
        "account_review_age_days": 366,
        "account_review_overdue": True,
    }


def test_a_review_of_last_week_keeps_the_watch_quiet_and_an_old_window_does_not(stack: Stack) -> None:
    # Given a review recorded today of a window that ended twelve days ago
    assert call("api", _review(TODAY - timedelta(days=18), TODAY - timedelta(days=12)))[0] == 200
    # Then the review is overdue still
    assert _watch() == {"reviewed_window_age_days": 11, "overdue": True}
    # When the window that ended three days ago is reviewed
    assert call("api", _review(TODAY - timedelta(days=9), TODAY - timedelta(days=3)))[0] == 200
    # Then the watch is quiet
    assert _watch() == {"reviewed_window_age_days": 3, "overdue": False}


def _account_review_recorded(days_ago: int) -> None:
    """The commander's sign-off of every account, recorded `days_ago` days ago (the service's own
    writer, under a clock set back)."""
    container().clock = FixedClock(NOW - timedelta(days=days_ago))
    request = AccountReviewRequest.model_validate(
        {"findings": [{"username": u, "finding": "keep"} for u in LOCAL_USERS]}
    )
    review_service.record_account_review(
        Caller(username="commander", groups=frozenset({"commander"})), None, request
    )
    container().clock = FixedClock(NOW)


def test_an_account_review_of_400_days_ago_is_overdue_and_one_of_10_days_ago_is_not(stack: Stack) -> None:
    # Given the accounts last reviewed 400 days ago
    _account_review_recorded(400)
    # Then the yearly review is overdue
    assert _watch(YEARLY) == {"account_review_age_days": 400, "account_review_overdue": True}
    # When they are reviewed again ten days ago
    _account_review_recorded(10)
    # Then the watch is quiet about it, and a weekly review is not taken for it
    assert _watch(YEARLY) == {"account_review_age_days": 10, "account_review_overdue": False}
    assert _watch() == {"reviewed_window_age_days": 11, "overdue": True}
