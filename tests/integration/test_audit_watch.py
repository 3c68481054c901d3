"""The daily audit watch on moto: the age of the last reviewed window, from the reviews' keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.integration.conftest import FakeContext, Stack, load_handler
from tests.integration.gate_support import call, event

TODAY = datetime.now(UTC).date()


def _watch() -> dict[str, object]:
    result: dict[str, object] = load_handler("audit_watch").lambda_handler(
        {"source": "aws.events", "detail-type": "Scheduled Event"},
        FakeContext(aws_request_id=str(uuid.uuid4())),
    )
    return result


def _review(from_day: object, to_day: object) -> dict[str, object]:
    body = {"from_day": str(from_day), "to_day": str(to_day), "sample": [], "findings": []}
    return event("POST", "/v1/audit/reviews", username="supervisor", groups=["supervisor"], body=body)


def test_without_a_review_the_watch_reports_overdue(stack: Stack) -> None:
    assert _watch() == {"reviewed_window_age_days": 11, "overdue": True}


def test_a_review_of_last_week_keeps_the_watch_quiet_and_an_old_window_does_not(stack: Stack) -> None:
    # Given a review recorded today of a window that ended twelve days ago
    assert call("api", _review(TODAY - timedelta(days=18), TODAY - timedelta(days=12)))[0] == 200
    # Then the review is overdue still
    assert _watch() == {"reviewed_window_age_days": 11, "overdue": True}
    # When the window that ended three days ago is reviewed
    assert call("api", _review(TODAY - timedelta(days=9), TODAY - timedelta(days=3)))[0] == 200
    # Then the watch is quiet
    assert _watch() == {"reviewed_window_age_days": 3, "overdue": False}
