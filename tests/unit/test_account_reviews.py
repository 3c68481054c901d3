"""The yearly account review's rules: a finding for every account of the registry, a note unless kept,
the registry as it stood beside each finding, and the `account-reviews` query in DuckDB (issue 21)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from alpr.adapters.audit_duckdb import ACCOUNT_REVIEW_COLUMNS, AuditDatabase
from alpr.domain.account_reviews import (
    ACCOUNT_REVIEW_OVERDUE_DAYS,
    AccountReviewLine,
    AccountReviewRequest,
    account_review_age,
    account_review_day,
    account_review_key,
    account_review_lines,
)
from alpr.domain.audit import named_query
from alpr.domain.errors import InvalidRequest
from alpr.domain.personnel import PersonnelRecord, Status
from alpr.names import Group

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


def account(username: str, roles: list[Group], **changes: object) -> PersonnelRecord:
    return PersonnelRecord(
        username=username,
        full_name=username.title(),
        job_title="Detective",
        organisation="PD",
        roles=roles,
        training_completed=date(2026, 1, 5),
        approved_by="sam",
        approved_at=NOW - timedelta(days=300),
        last_active=NOW - timedelta(days=2),
        created_at=NOW - timedelta(days=300),
        updated_at=NOW - timedelta(days=300),
    ).model_copy(update=changes)


REGISTRY = [
    account("ivy", [Group.INVESTIGATOR]),
    account("sam", [Group.SUPERVISOR, Group.INVESTIGATOR]),
    account("old", [Group.INVESTIGATOR], status=Status.SUSPENDED, last_active=NOW - timedelta(days=120)),
]


def request(*findings: dict[str, str]) -> AccountReviewRequest:
    return AccountReviewRequest.model_validate({"findings": list(findings)})


def lines(review: AccountReviewRequest) -> list[AccountReviewLine]:
    return account_review_lines(
        review,
        REGISTRY,
        review_id="01KACCOUNTREVIEW0000000000",
        now=NOW,
        reviewer="casey",
        reviewer_name="Casey",
    )


KEEP_ALL = [{"username": u, "finding": "keep"} for u in ("ivy", "sam")]
DISABLE_OLD = {"username": "old", "finding": "disable", "note": "left the unit in August"}


def test_every_account_of_the_registry_has_one_finding_and_only_those() -> None:
    with pytest.raises(InvalidRequest, match="none for old"):
        lines(request(*KEEP_ALL))
    with pytest.raises(InvalidRequest, match="not in the registry: ghost"):
        lines(request(*KEEP_ALL, DISABLE_OLD, {"username": "ghost", "finding": "keep"}))
    with pytest.raises(ValidationError, match="two findings"):
        request(*KEEP_ALL, DISABLE_OLD, {"username": "ivy", "finding": "keep"})


@pytest.mark.parametrize("finding", ["change", "disable"])
def test_a_change_or_disable_finding_needs_a_note(finding: str) -> None:
    with pytest.raises(ValidationError, match="needs a note"):
        request({"username": "old", "finding": finding, "note": "gone"})


def test_each_line_is_the_account_as_it_stood_beside_its_finding() -> None:
    stored = lines(request(*KEEP_ALL, DISABLE_OLD))
    assert [(line.username, line.finding) for line in stored] == [
        ("ivy", "keep"),
        ("old", "disable"),
        ("sam", "keep"),
    ]
    old = stored[1]
    assert (old.status, old.last_active, old.training_completed, old.approved_by, old.note) == (
        "suspended",
        "2026-08-03T15:30:00.000Z",
        "2026-01-05",
        "sam",
        "left the unit in August",
    )
    assert stored[2].roles == ["investigator", "supervisor"]
    assert {line.reviewer for line in stored} == {"casey"}


def test_the_review_is_kept_beside_the_weekly_reviews_by_the_day_recorded() -> None:
    key = account_review_key("01KACCOUNTREVIEW0000000000", NOW)
    assert key == "audit-reviews/accounts/dt=2026-12-01/01KACCOUNTREVIEW0000000000.json"


def test_the_day_recorded_is_read_from_the_day_partition_alone() -> None:
    assert account_review_day("audit-reviews/accounts/dt=2026-12-01/") == date(2026, 12, 1)
    assert account_review_day(account_review_key("01KACCOUNTREVIEW0000000000", NOW)) == date(2026, 12, 1)
    assert account_review_day("audit-reviews/dt=2026-12-01/") is None  # a weekly review's partition
    assert account_review_day("audit-reviews/accounts/dt=someday/") is None


def test_the_age_is_that_of_the_latest_account_review_and_past_the_limit_when_none() -> None:
    today = date(2026, 12, 1)
    assert ACCOUNT_REVIEW_OVERDUE_DAYS == 365
    assert account_review_age([today - timedelta(days=400), today - timedelta(days=10)], today) == 10
    assert account_review_age([today - timedelta(days=365)], today) == 365  # a year ago: still in time
    assert account_review_age([today - timedelta(days=366)], today) == 366  # overdue
    assert account_review_age([], today) == ACCOUNT_REVIEW_OVERDUE_DAYS + 1
    assert account_review_age([today + timedelta(days=1)], today) == ACCOUNT_REVIEW_OVERDUE_DAYS + 1


def test_the_account_reviews_query_lists_the_accounts_of_reviews_recorded_in_the_window() -> None:
    assert list(ACCOUNT_REVIEW_COLUMNS) == [*AccountReviewLine.model_fields, "dt"]
    database = AuditDatabase()
    database.load_account_reviews(lines(request(*KEEP_ALL, DISABLE_OLD)))
    query = named_query("account-reviews")
    result = database.run(query, {"from_day": "2026-12-01", "to_day": "2026-12-01"})
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    assert [(r["username"], r["finding"], r["approved_by"], r["last_active"]) for r in rows] == [
        ("ivy", "keep", "sam", "2026-11-29T15:30:00.000Z"),
        ("old", "disable", "sam", "2026-08-03T15:30:00.000Z"),
        ("sam", "keep", "sam", "2026-11-29T15:30:00.000Z"),
    ]
    assert rows[2]["roles"] == ["investigator", "supervisor"]
    assert database.run(query, {"from_day": "2026-11-01", "to_day": "2026-11-30"}).rows == []
