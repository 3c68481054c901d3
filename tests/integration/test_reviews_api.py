"""The weekly review on moto: recorded by a supervisor beside the access log, under its Object Lock,
read back by the `reviews` named query next to the accesses it judged (issue 21, item 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from alpr.adapters.audit_duckdb import S3AuditSource
from alpr.domain.audit import named_query
from alpr.names import AUDIT_REVIEWS_PREFIX
from alpr.services.container import container
from tests.integration.conftest import Stack, access_records
from tests.integration.gate_support import GOOD_PURPOSE, call, event

TODAY = datetime.now(UTC).date()


def _search(username: str = "investigator") -> dict[str, object]:
    return event(
        "GET",
        "/v1/reads",
        username=username,
        groups=["investigator"],
        purpose=GOOD_PURPOSE,
        query={"plate": "7ABC123"},
    )


def _review(body: object, username: str = "supervisor", groups: tuple[str, ...] = ("supervisor",)) -> dict:
    return event("POST", "/v1/audit/reviews", username=username, groups=groups, body=body)


def _body(sample: list[str], findings: list[dict[str, str]]) -> dict[str, object]:
    return {
        "from_day": str(TODAY - timedelta(days=6)),
        "to_day": str(TODAY),
        "sample": sample,
        "findings": findings,
    }


def test_a_supervisors_review_is_kept_beside_the_log_and_locked(stack: Stack) -> None:
    # Given a search made this week
    assert call("api", _search())[0] == 200
    (searched,) = access_records(stack)
    # When the supervisor records a finding for it
    status, receipt = call(
        "api",
        _review(_body([searched["event_id"]], [{"event_id": searched["event_id"], "finding": "proper"}])),
    )
    # Then the review is stored under audit-reviews/, one JSON line per finding, locked like the log
    assert status == 200, receipt
    assert receipt["findings"] == {"proper": 1} and receipt["sampled"] == 1
    key = receipt["key"]
    assert key.startswith(f"{AUDIT_REVIEWS_PREFIX}dt={TODAY}/{TODAY}-")
    head = stack.s3.head_object(Bucket=stack.access_log_bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=364)
    (line,) = stack.s3.get_object(Bucket=stack.access_log_bucket, Key=key)["Body"].read().splitlines()
    stored = json.loads(line)
    assert (stored["reviewer"], stored["event_id"], stored["finding"]) == (
        "supervisor",
        searched["event_id"],
        "proper",
    )
    # And recording it is itself an access on record
    recorded = [r for r in access_records(stack) if r["action"] == "audit:review"]
    assert [(r["username"], r["outcome"], r["returned_ids"]) for r in recorded] == [
        ("supervisor", "allowed", [receipt["review_id"]])
    ]


def test_the_reviews_query_shows_each_finding_beside_the_access_it_judged(stack: Stack) -> None:
    # Given two searches and a review that questions one of them
    assert call("api", _search())[0] == 200
    assert call("api", _search())[0] == 200
    first, second = (r["event_id"] for r in access_records(stack))
    findings = [
        {"event_id": first, "finding": "proper"},
        {"event_id": second, "finding": "question", "note": "same plate twice within a minute, ask why"},
    ]
    assert call("api", _review(_body([first, second], findings)))[0] == 200
    # When the reviews query runs in DuckDB over the bucket's files
    source = S3AuditSource(stack.access_log_bucket, lambda: container().s3())
    query = named_query("reviews")
    database = source.database(TODAY, TODAY, query.reads_back_days)
    result = database.run(query, {"from_day": str(TODAY), "to_day": str(TODAY)})
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    # Then each finding stands beside the search it judged: who searched, the plate, the purpose
    assert [(r["event_id"], r["finding"]) for r in rows] == [(first, "proper"), (second, "question")]
    assert {(r["reviewer"], r["username"], r["plate"], r["case_number"]) for r in rows} == {
        ("supervisor", "investigator", "7ABC123", GOOD_PURPOSE.case_number)
    }
    assert rows[1]["note"] == "same plate twice within a minute, ask why"


def test_only_supervisors_record_reviews_and_an_incomplete_one_is_refused(stack: Stack) -> None:
    assert call("api", _search())[0] == 200
    (searched,) = access_records(stack)
    complete = _body([searched["event_id"]], [{"event_id": searched["event_id"], "finding": "proper"}])
    # An investigator may not review (403), and a sampled access without a finding is refused (422)
    assert call("api", _review(complete, username="investigator", groups=("investigator",)))[0] == 403
    assert call("api", _review(_body([searched["event_id"]], [])))[0] == 422
    # An improper finding without a note is refused too
    improper = _body([searched["event_id"]], [{"event_id": searched["event_id"], "finding": "improper"}])
    assert call("api", _review(improper))[0] == 422
    assert not stack.s3.list_objects_v2(Bucket=stack.access_log_bucket, Prefix=AUDIT_REVIEWS_PREFIX).get(
        "Contents"
    )
