"""The access log cannot be changed or deleted by the functions; the gate's registry is where it reads."""

from __future__ import annotations

import json
from typing import Any

from alpr import names
from tests.infra.conftest import Synth, as_list

# What would let a role read, rewrite, unlock or delete the access log (or its lock).
FORBIDDEN_ON_THE_LOG = (
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketPolicy",
    "s3:DeleteBucket",
)


def _statements_on_the_log(synth: Synth) -> list[tuple[str, dict[str, Any]]]:
    """(policy logical id, statement) for every identity-policy statement naming the access-log bucket."""
    found = []
    for policy_id, policy in synth.of_type("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "AccessLogBucket" in json.dumps(statement.get("Resource")):
                found.append((policy_id, statement))
    return found


def _role_of(synth: Synth, function: str) -> dict[str, str]:
    return {"Ref": synth.props(function)["Role"]["Fn::GetAtt"][0]}


def test_functions_may_only_append_to_the_access_log(synth: Synth) -> None:
    statements = _statements_on_the_log(synth)
    assert statements, "the api function must be able to write the access log"
    for policy_id, statement in statements:
        actions = set(as_list(statement["Action"]))
        if policy_id.startswith("OversightAuditWatchFunctionRole"):
            # The daily audit watch lists the weekly reviews' keys, and nothing else of the bucket.
            assert actions == {"s3:ListBucket"}, (policy_id, actions)
            assert statement["Condition"] == {"StringLike": {"s3:prefix": [f"{names.AUDIT_REVIEWS_PREFIX}*"]}}
            continue
        if policy_id.startswith("RetentionRecordRetentionReportRole") and actions != {"s3:PutObject"}:
            # The retention report reads and lists its own purge tallies (tests/infra/test_retention_record.py).
            assert f"{names.RETENTION_TALLIES_PREFIX}*" in json.dumps(statement), (policy_id, actions)
            continue
        assert actions == {"s3:PutObject"}, (policy_id, actions)
        assert statement["Effect"] == "Allow"
        # CDK merges statements with the same actions: look at the access log's resources only.
        on_log = [r for r in as_list(statement["Resource"]) if "AccessLogBucket" in json.dumps(r)]
        for resource in on_log:
            bucket, suffix = resource["Fn::Join"][1]
            assert bucket == {"Fn::GetAtt": ["AccessLogBucket", "Arn"]}
            assert suffix in (
                f"/{names.ACCESS_LOG_PREFIX}*",
                f"/{names.AUDIT_REVIEWS_PREFIX}*",
                f"/{names.RETENTION_REPORTS_PREFIX}*",
                f"/{names.RETENTION_TALLIES_PREFIX}*",
            ), suffix


def test_no_role_may_read_unlock_or_delete_the_access_log(synth: Synth) -> None:
    for policy_id, statement in _statements_on_the_log(synth):
        actions = set(as_list(statement["Action"]))
        on_log = [r for r in as_list(statement["Resource"]) if "AccessLogBucket" in json.dumps(r)]
        if actions == {"s3:GetObject", "s3:GetObjectVersion"} and all(
            r["Fn::Join"][1][1] == f"/{names.RETENTION_TALLIES_PREFIX}*" for r in on_log
        ):
            continue  # the retention report reads its purge tallies, never an access record
        assert not any(a in actions or a.endswith("*") for a in FORBIDDEN_ON_THE_LOG), (policy_id, actions)


def test_the_api_and_uploads_roles_write_the_log_and_read_the_registry(synth: Synth) -> None:
    policies = synth.of_type("AWS::IAM::Policy").values()
    for function, table_actions in (
        ("ApiFunction", {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Scan"}),
        ("UploadsFunction", {"dynamodb:GetItem"}),
    ):
        role = _role_of(synth, function)
        statements = [
            s
            for p in policies
            if role in p["Properties"]["Roles"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]
        on_log = [s for s in statements if "AccessLogBucket" in json.dumps(s["Resource"])]
        assert [set(as_list(s["Action"])) for s in on_log] == [{"s3:PutObject"}], function
        on_personnel = set().union(
            *(set(as_list(s["Action"])) for s in statements if "PersonnelTable" in json.dumps(s["Resource"]))
        )
        assert table_actions <= on_personnel, function
    uploads = [
        s
        for p in policies
        if _role_of(synth, "UploadsFunction") in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "PersonnelTable" in json.dumps(s["Resource"])
    ]
    assert not any(
        a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete"))
        for s in uploads
        for a in as_list(s["Action"])
    )


def test_the_access_log_bucket_is_locked_in_compliance_mode_for_the_retention(synth: Synth) -> None:
    props = synth.props("AccessLogBucket")
    assert props["ObjectLockEnabled"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert rule == {"Mode": "COMPLIANCE", "Days": 366}  # a calendar year may have 366 days


def test_the_access_log_lock_follows_a_longer_retention(synth_730: Synth) -> None:
    rule = synth_730.props("AccessLogBucket")["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert rule == {"Mode": "COMPLIANCE", "Days": 731}  # two calendar years: 731 days at most


def test_the_log_bucket_refuses_plain_http(synth: Synth) -> None:
    (policy,) = [
        p
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "AccessLogBucket"}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in statements
    )
