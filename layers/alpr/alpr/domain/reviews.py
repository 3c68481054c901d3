"""The supervisor's weekly review of data accesses, on record (policy 439.6(c); CJIS weekly audit
review; State Auditor 2019-118: an audit plan with sampling, and a record that it was done).

A supervisor runs `review-sample` for a window of UTC days and gives a finding for every sampled
access: `proper`, `question` (ask the member) or `improper` (report it), with a note (required
unless proper). The review is stored beside the access log, one JSON line per finding, under
`audit-reviews/dt=<day recorded>/`, in the same bucket with the same Object Lock retention, and
the `reviews` named query reads it next to the accesses it judged.

Pure domain: no boto3, no environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alpr.domain.models import UtcDatetime
from alpr.names import AUDIT_REVIEWS_PREFIX

MAX_REVIEW_WINDOW_DAYS = 31  # a week is the plan; a missed week may be reviewed with the next
MAX_SAMPLE = 200
MAX_NOTE = 1000
REVIEW_OVERDUE_DAYS = 10  # no reviewed window ending within this many days: the alarm turns red
NO_SAMPLE = "none"  # the finding line of a window that had no data access to sample


class Finding(StrEnum):
    PROPER = "proper"  # purpose and case fit what was looked up
    QUESTION = "question"  # the reviewer asks the member (and follows up)
    IMPROPER = "improper"  # not a legitimate law-enforcement purpose: reported


class SampledFinding(BaseModel):
    """The reviewer's finding on one sampled access (its access-log `event_id`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str = Field(min_length=10, max_length=64, pattern=r"^[0-9A-Za-z]+$")
    finding: Finding
    note: str = Field(default="", max_length=MAX_NOTE)

    @model_validator(mode="after")
    def explained(self) -> SampledFinding:
        if self.finding is not Finding.PROPER and len(self.note.split()) < 3:
            raise ValueError(
                f"a '{self.finding.value}' finding on {self.event_id} needs a note of at least three words "
                "saying what is in question"
            )
        return self


class ReviewRequest(BaseModel):
    """`POST /v1/audit/reviews`: the window reviewed, the sample drawn, a finding for each."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_day: date
    to_day: date
    sample: list[str] = Field(
        max_length=MAX_SAMPLE, description="event ids of the review-sample, in its order"
    )
    findings: list[SampledFinding] = Field(max_length=MAX_SAMPLE)

    @model_validator(mode="after")
    def complete(self) -> ReviewRequest:
        if self.to_day < self.from_day:
            raise ValueError(f"the window ends ({self.to_day}) before it starts ({self.from_day})")
        days = (self.to_day - self.from_day).days + 1
        if days > MAX_REVIEW_WINDOW_DAYS:
            raise ValueError(f"the window has {days} days; a review covers at most {MAX_REVIEW_WINDOW_DAYS}")
        if len(set(self.sample)) != len(self.sample):
            raise ValueError("the sample names an access twice")
        judged = [f.event_id for f in self.findings]
        if len(set(judged)) != len(judged):
            raise ValueError("an access has two findings")
        unjudged = [e for e in self.sample if e not in set(judged)]
        if unjudged:
            raise ValueError(f"every sampled access needs a finding; none for {', '.join(unjudged)}")
        extra = [e for e in judged if e not in set(self.sample)]
        if extra:
            raise ValueError(f"findings for accesses outside the sample: {', '.join(extra)}")
        return self


class ReviewLine(BaseModel):
    """One line of a stored review: the review, and one sampled access's finding (the `reviews` table)."""

    review_id: str
    time: UtcDatetime
    reviewer: str
    reviewer_name: str | None
    organisation: str | None
    from_day: str  # 'YYYY-MM-DD', as the access log's dt
    to_day: str
    sample_size: int
    event_id: str | None  # None on the one line of a window with nothing to sample
    finding: str  # proper / question / improper, or `none`
    note: str


def review_lines(
    request: ReviewRequest,
    *,
    review_id: str,
    now: datetime,
    reviewer: str,
    reviewer_name: str | None,
    organisation: str | None,
) -> list[ReviewLine]:
    """The review as the lines stored: one per sampled access in the sample's order (one `none`
    line when the window had nothing to sample, so the review itself is still on record)."""
    by_id = {f.event_id: f for f in request.findings}
    common = {
        "review_id": review_id,
        "time": now,
        "reviewer": reviewer,
        "reviewer_name": reviewer_name,
        "organisation": organisation,
        "from_day": request.from_day.isoformat(),
        "to_day": request.to_day.isoformat(),
        "sample_size": len(request.sample),
    }
    if not request.sample:
        return [ReviewLine(**common, event_id=None, finding=NO_SAMPLE, note="no data access in the window")]
    return [
        ReviewLine(**common, event_id=e, finding=by_id[e].finding.value, note=by_id[e].note)
        for e in request.sample
    ]


def review_key(review_id: str, now: datetime, to_day: date) -> str:
    """Where a review lives: the day it was recorded, then the last day it covers and its id, so the
    windows reviewed are readable from the keys alone."""
    return f"{AUDIT_REVIEWS_PREFIX}dt={now:%Y-%m-%d}/{to_day:%Y-%m-%d}-{review_id}.json"


def reviewed_window_end(key: str) -> date | None:
    """The last day a review's key says it covers; None for a key that is not a review's."""
    name = key.rsplit("/", 1)[-1]
    try:
        return date.fromisoformat(name[:10])
    except ValueError:
        return None


def reviewed_window_age(window_ends: list[date], today: date, limit_days: int = REVIEW_OVERDUE_DAYS) -> int:
    """Days since the latest reviewed window ended; `limit_days + 1` when none ended within the limit
    (only the last `limit_days + 1` days of reviews are listed: a later window cannot be older)."""
    recent = [end for end in window_ends if end <= today]
    return min((today - max(recent)).days, limit_days + 1) if recent else limit_days + 1


def review_overdue(last_reviewed: date | None, today: date, limit_days: int = REVIEW_OVERDUE_DAYS) -> bool:
    """True when no reviewed window ends within `limit_days` of today."""
    return last_reviewed is None or today - last_reviewed > timedelta(days=limit_days)


class ReviewReceipt(BaseModel):
    """What `POST /v1/audit/reviews` answers: the review's id, where it is kept, and its counts."""

    review_id: str
    key: str
    from_day: date
    to_day: date
    sampled: int
    findings: dict[str, int]


class ReviewLog(Protocol):
    def write_review(self, key: str, lines: Sequence[BaseModel]) -> None:
        """Store the review durably (append-only); AccessLogUnavailable when it cannot."""
        ...
