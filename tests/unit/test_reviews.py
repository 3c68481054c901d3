"""The weekly review's rules: a finding for every sampled access, notes where it matters, and the
`reviews` query in DuckDB beside the accesses judged (issue 21, item 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from alpr.adapters.audit_duckdb import REVIEW_COLUMNS, AuditDatabase
from alpr.domain.audit import named_query
from alpr.domain.reviews import (
    NO_SAMPLE,
    ReviewLine,
    ReviewRequest,
    review_key,
    review_lines,
    review_overdue,
    reviewed_window_end,
)
from tests.access_records import plate_search
from tests.fakes.access_log import MemoryAccessLog

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
A, B = "01KAAAAAAAAAAAAAAAAAAAAAAA", "01KBBBBBBBBBBBBBBBBBBBBBBB"


def request(sample: list[str], findings: list[dict[str, Any]], **window: str) -> ReviewRequest:
    days = {"from_day": "2026-11-23", "to_day": "2026-11-29", **window}
    return ReviewRequest.model_validate({**days, "sample": sample, "findings": findings})


def lines(review: ReviewRequest) -> list[ReviewLine]:
    return review_lines(
        review,
        review_id="01KREVIEW0000000000000000R",
        now=NOW,
        reviewer="sam",
        reviewer_name="Sam",
        organisation="PD",
    )


def test_every_sampled_access_has_one_finding_and_only_those() -> None:
    proper = {"finding": "proper"}
    with pytest.raises(ValidationError, match="needs a finding; none for " + B):
        request([A, B], [{"event_id": A, **proper}])
    with pytest.raises(ValidationError, match="outside the sample"):
        request([A], [{"event_id": A, **proper}, {"event_id": B, **proper}])
    with pytest.raises(ValidationError, match="two findings"):
        request([A], [{"event_id": A, **proper}, {"event_id": A, **proper}])
    assert request([A], [{"event_id": A, **proper}]).findings[0].finding == "proper"


@pytest.mark.parametrize("finding", ["question", "improper"])
def test_a_question_or_an_improper_finding_needs_a_note(finding: str) -> None:
    with pytest.raises(ValidationError, match="needs a note"):
        request([A], [{"event_id": A, "finding": finding, "note": "odd"}])
    review = request([A], [{"event_id": A, "finding": finding, "note": "no case on file for this"}])
    assert review.findings[0].note == "no case on file for this"


def test_a_finding_is_one_of_three_and_the_window_is_bounded() -> None:
    with pytest.raises(ValidationError):
        request([A], [{"event_id": A, "finding": "fine"}])
    with pytest.raises(ValidationError, match="before it starts"):
        request([], [], from_day="2026-11-29", to_day="2026-11-23")
    with pytest.raises(ValidationError, match="at most 31"):
        request([], [], from_day="2026-10-01", to_day="2026-11-29")


def test_the_review_is_a_line_per_access_and_one_line_when_nothing_was_sampled() -> None:
    review = request([B, A], [{"event_id": A, "finding": "proper"}, {"event_id": B, "finding": "proper"}])
    assert [(line.event_id, line.sample_size) for line in lines(review)] == [(B, 2), (A, 2)]
    (empty,) = lines(request([], []))
    assert (empty.event_id, empty.finding, empty.sample_size) == (None, NO_SAMPLE, 0)


def test_the_key_says_the_day_recorded_and_the_last_day_reviewed() -> None:
    key = review_key("01KREVIEW0000000000000000R", NOW, date(2026, 11, 29))
    assert key == "audit-reviews/dt=2026-12-01/2026-11-29-01KREVIEW0000000000000000R.json"
    assert reviewed_window_end(key) == date(2026, 11, 29)
    assert reviewed_window_end("audit-reviews/dt=2026-12-01/other.json") is None


def test_a_review_is_overdue_when_no_reviewed_window_ended_in_the_last_ten_days() -> None:
    today = date(2026, 12, 10)
    assert not review_overdue(date(2026, 11, 30), today)  # ten days ago: still in time
    assert review_overdue(date(2026, 11, 29), today)
    assert review_overdue(None, today)


def test_the_reviews_table_has_every_review_line_field_then_the_partition() -> None:
    assert list(REVIEW_COLUMNS) == [*ReviewLine.model_fields, "dt"]


def test_the_reviews_query_joins_findings_to_the_accesses_of_the_reviewed_window() -> None:
    # Given two searches last week and a review recorded this week
    searches = [plate_search(datetime(2026, 11, 24, 9, n, tzinfo=UTC), key=str(n)) for n in (1, 2)]
    first, second = (s.event_id for s in searches)
    review = request(
        [first, second],
        [
            {"event_id": first, "finding": "proper"},
            {"event_id": second, "finding": "improper", "note": "plate of a relative, no case"},
        ],
    )
    database = AuditDatabase()
    database.load_records(searches)
    database.load_reviews(lines(review))
    # When the reviews query runs for the day the review was recorded
    result = database.run(named_query("reviews"), {"from_day": "2026-12-01", "to_day": "2026-12-01"})
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    # Then each finding is beside its access; another day shows no review
    assert [(r["finding"], r["username"], r["plate"]) for r in rows] == [
        ("proper", "ivy", "7ABC123"),
        ("improper", "ivy", "7ABC123"),
    ]
    assert rows[1]["note"] == "plate of a relative, no case"
    assert not database.run(named_query("reviews"), {"from_day": "2026-12-02", "to_day": "2026-12-08"}).rows


def test_the_memory_log_keeps_reviews_and_fails_when_told() -> None:
    log = MemoryAccessLog()
    log.write_review("k", lines(request([], [])))
    assert list(log.reviews) == ["k"]
    log.fail = True
    with pytest.raises(Exception, match="unavailable"):
        log.write_review("k2", [])


def test_the_cli_asks_about_each_sampled_access_in_order_and_builds_the_review() -> None:
    from alpr.adapters.audit_duckdb import AuditResult
    from alpr.cli.audit import review_body
    from alpr.domain.reviews import Finding

    sample = AuditResult(["event_id", "username"], [(A, "ivy"), (B, "ivy")])
    asked: list[str] = []

    def ask(row: dict[str, Any]) -> tuple[Finding, str]:
        asked.append(row["event_id"])
        return (Finding.PROPER, "") if row["event_id"] == A else (Finding.IMPROPER, "no case on file at all")

    body = review_body(date(2026, 11, 23), date(2026, 11, 29), sample, ask)
    assert asked == [A, B]
    review = ReviewRequest.model_validate(body)  # what the API accepts
    assert review.sample == [A, B]
    assert [(f.event_id, f.finding.value) for f in review.findings] == [(A, "proper"), (B, "improper")]


def test_the_age_is_that_of_the_latest_window_reviewed_capped_past_the_limit() -> None:
    from alpr.domain.reviews import reviewed_window_age

    today = date(2026, 12, 10)
    assert reviewed_window_age([date(2026, 11, 29), date(2026, 12, 6)], today) == 4
    assert reviewed_window_age([date(2026, 11, 20)], today) == 11
    assert reviewed_window_age([], today) == 11
    assert reviewed_window_age([date(2026, 12, 12)], today) == 11  # a window not yet over counts for nothing
