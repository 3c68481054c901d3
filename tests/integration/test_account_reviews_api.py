"""The yearly account review on moto: signed off by the commander over the whole registry, kept beside
the weekly reviews under the access log's Object Lock, read back by `account-reviews` (issue 21)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from alpr.adapters.audit_duckdb import S3AuditSource
from alpr.domain.audit import named_query
from alpr.local.stack import LOCAL_USERS
from alpr.names import ACCOUNT_REVIEWS_PREFIX
from alpr.services.container import container
from tests.integration.conftest import Stack, access_records
from tests.integration.gate_support import call, event

TODAY = datetime.now(UTC).date()


def _sign_off(body: object, username: str = "commander", groups: tuple[str, ...] = ("commander",)) -> dict:
    return event("POST", "/v1/audit/account-reviews", username=username, groups=groups, body=body)


def _findings(**notes: str) -> dict[str, object]:
    return {
        "findings": [
            {"username": u, "finding": "disable", "note": notes[u]}
            if u in notes
            else {"username": u, "finding": "keep"}
            for u in LOCAL_USERS
        ]
    }


def test_the_commanders_account_review_is_kept_locked_and_queried(stack: Stack) -> None:
    # When the commander signs off every account, disabling one
    status, receipt = call("api", _sign_off(_findings(untrained="never finished the training")))

    # Then it is stored under audit-reviews/accounts/, one line per account, locked like the log
    assert status == 200, receipt
    assert receipt["accounts"] == len(LOCAL_USERS) and receipt["findings"]["disable"] == 1
    key = receipt["key"]
    assert key.startswith(f"{ACCOUNT_REVIEWS_PREFIX}dt={TODAY}/")
    head = stack.s3.head_object(Bucket=stack.access_log_bucket, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=364)
    stored = [
        json.loads(line)
        for line in stack.s3.get_object(Bucket=stack.access_log_bucket, Key=key)["Body"].read().splitlines()
    ]
    untrained = next(line for line in stored if line["username"] == "untrained")
    assert (untrained["finding"], untrained["training_completed"], untrained["approved_by"]) == (
        "disable",
        None,
        "supervisor",
    )

    # And the named query shows each account with its roles, training, approver and finding
    database = S3AuditSource(stack.access_log_bucket, container().s3).database(TODAY, TODAY)
    result = database.run(named_query("account-reviews"), {"from_day": str(TODAY), "to_day": str(TODAY)})
    rows = {
        row[result.columns.index("username")]: dict(zip(result.columns, row, strict=True))
        for row in result.rows
    }
    assert set(rows) == set(LOCAL_USERS)
    assert rows["untrained"]["note"] == "never finished the training"
    assert (
        rows["investigator"]["roles"] == ["investigator"]
        and rows["investigator"]["approved_by"] == "supervisor"
    )

    # And the sign-off is itself on record
    (record,) = [r for r in access_records(stack) if r["action"] == "audit:account-review"]
    assert (record["username"], record["outcome"], record["returned_ids"]) == (
        "commander",
        "allowed",
        [receipt["review_id"]],
    )


def test_an_incomplete_review_or_one_by_another_role_is_refused_and_nothing_is_kept(stack: Stack) -> None:
    partial = {"findings": [{"username": "investigator", "finding": "keep"}]}
    status, body = call("api", _sign_off(partial))
    assert status == 400 and "every account needs a finding" in body["message"]
    assert call("api", _sign_off(_findings(), "supervisor", ("supervisor",)))[0] == 403
    kept = stack.s3.list_objects_v2(Bucket=stack.access_log_bucket, Prefix=ACCOUNT_REVIEWS_PREFIX)
    assert not kept.get("Contents")
