"""The yearly account review, on record (CJIS: validate every account at least once a year and
document it; State Auditor 2019-118: accounts nobody reviewed).

The reviewer (the Administrative Services Division commander) gives a finding for every account of
the Personnel registry: `keep` (still needed, roles, training and approver right), `change` (roles
or training to correct: a proposal follows) or `disable` (no longer needed: suspend or separate),
with a note unless kept. The server, not the caller, takes the registry as it stands at the sign-off,
so the record shows each account's roles, training, approver and last activity beside its finding.
It is stored beside the weekly reviews, one JSON line per account, under
`audit-reviews/accounts/dt=<day recorded>/`, in the access log's bucket under the same Object Lock,
and the `account-reviews` named query reads it. The daily audit watch reports the days since the
last one was recorded, and an alarm turns red past ACCOUNT_REVIEW_OVERDUE_DAYS.

Pure domain: no boto3, no environment.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alpr.domain.errors import InvalidRequest
from alpr.domain.models import UtcDatetime, iso_utc
from alpr.domain.personnel import PersonnelRecord
from alpr.names import ACCOUNT_REVIEWS_PREFIX

MAX_ACCOUNTS = 2000
MAX_NOTE = 1000
ACCOUNT_REVIEW_OVERDUE_DAYS = 365  # no account review recorded within this many days: the alarm turns red


class AccountFinding(StrEnum):
    KEEP = "keep"  # still needed; roles, training and approver are right
    CHANGE = "change"  # roles or training to correct (an administrator proposes the change)
    DISABLE = "disable"  # no longer needed: to be suspended or separated


class AccountJudgement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(min_length=1, max_length=128)
    finding: AccountFinding
    note: str = Field(default="", max_length=MAX_NOTE)

    @model_validator(mode="after")
    def explained(self) -> AccountJudgement:
        if self.finding is not AccountFinding.KEEP and len(self.note.split()) < 3:
            raise ValueError(
                f"a '{self.finding.value}' finding on {self.username} needs a note of at least three words"
            )
        return self


class AccountReviewRequest(BaseModel):
    """`POST /v1/audit/account-reviews`: a finding for every account of the registry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    findings: list[AccountJudgement] = Field(min_length=1, max_length=MAX_ACCOUNTS)

    @model_validator(mode="after")
    def once_each(self) -> AccountReviewRequest:
        names = [f.username for f in self.findings]
        if len(set(names)) != len(names):
            raise ValueError("an account has two findings")
        return self


class AccountReviewLine(BaseModel):
    """One line of a stored account review: the account as it stood, and its finding (the
    `account_reviews` table)."""

    review_id: str
    time: UtcDatetime
    reviewer: str
    reviewer_name: str | None
    username: str
    full_name: str
    job_title: str
    roles: list[str]
    status: str
    last_active: str | None  # ISO 8601 UTC, as the access log's times
    training_completed: str | None  # 'YYYY-MM-DD'
    training_expires: str | None
    approved_by: str
    approved_at: str | None
    finding: str
    note: str


class AccountReviewReceipt(BaseModel):
    review_id: str
    key: str
    accounts: int
    findings: dict[str, int]


def account_review_lines(
    request: AccountReviewRequest,
    accounts: list[PersonnelRecord],
    *,
    review_id: str,
    now: datetime,
    reviewer: str,
    reviewer_name: str | None,
) -> list[AccountReviewLine]:
    """The review as stored, one line per account of the registry in username order; refused unless
    every account (and no other) has a finding."""
    by_name = {f.username: f for f in request.findings}
    registry = {a.username for a in accounts}
    unjudged = sorted(registry - by_name.keys())
    if unjudged:
        raise InvalidRequest(f"every account needs a finding; none for {', '.join(unjudged)}")
    unknown = sorted(by_name.keys() - registry)
    if unknown:
        raise InvalidRequest(f"findings for accounts not in the registry: {', '.join(unknown)}")
    return [
        AccountReviewLine(
            review_id=review_id,
            time=now,
            reviewer=reviewer,
            reviewer_name=reviewer_name,
            username=a.username,
            full_name=a.full_name,
            job_title=a.job_title,
            roles=[r.value for r in a.roles],
            status=a.status.value,
            last_active=iso_utc(a.last_active) if a.last_active else None,
            training_completed=a.training_completed.isoformat() if a.training_completed else None,
            training_expires=a.training_expires.isoformat() if a.training_expires else None,
            approved_by=a.approved_by,
            approved_at=iso_utc(a.approved_at) if a.approved_at else None,
            finding=by_name[a.username].finding.value,
            note=by_name[a.username].note,
        )
        for a in sorted(accounts, key=lambda a: a.username)
    ]


def account_review_key(review_id: str, now: datetime) -> str:
    """Where an account review lives: the day it was recorded, then its id."""
    return f"{ACCOUNT_REVIEWS_PREFIX}dt={now:%Y-%m-%d}/{review_id}.json"


def account_review_day(key: str) -> date | None:
    """The day an account review was recorded, from its day partition (or a key under it); None for
    anything else."""
    partition = key.removeprefix(ACCOUNT_REVIEWS_PREFIX).split("/", 1)[0]
    if not key.startswith(ACCOUNT_REVIEWS_PREFIX) or not partition.startswith("dt="):
        return None
    try:
        return date.fromisoformat(partition.removeprefix("dt="))
    except ValueError:
        return None


def account_review_age(recorded_days: list[date], today: date) -> int:
    """Days since the latest account review was recorded; ACCOUNT_REVIEW_OVERDUE_DAYS + 1 when none
    is on record (a day after today counts for nothing)."""
    past = [day for day in recorded_days if day <= today]
    return (today - max(past)).days if past else ACCOUNT_REVIEW_OVERDUE_DAYS + 1
