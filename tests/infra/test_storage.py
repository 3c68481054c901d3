"""Key, buckets and tables: what holds ALPR data and how it is protected."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match

from alpr import names
from tests.infra.conftest import TABLES, Synth

CORE_BUCKETS = ("UploadsBucket", "QuarantineBucket", "EvidenceBucket", "AccessLogBucket")
SERVER_ACCESS_LOGS = "ServerAccessLogsBucket"


def _key_schema(props: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]]


def _indexes(props: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {gsi["IndexName"]: _key_schema(gsi) for gsi in props.get("GlobalSecondaryIndexes", [])}


def test_one_data_key_with_rotation(synth: Synth) -> None:
    # Given the synthesized stack / Then one customer managed key holds the data, rotated; the only
    # other key is the alarm topic's (docs/decisions.md)
    assert set(synth.of_type("AWS::KMS::Key")) == {"DataKey", "OpsAlarmKey"}
    assert synth.props("DataKey")["EnableKeyRotation"] is True


def test_data_key_lets_s3_deliver_to_the_encrypted_queue_and_logs_encrypt(synth: Synth) -> None:
    statements = synth.props("DataKey")["KeyPolicy"]["Statement"]
    principals = [s["Principal"].get("Service") for s in statements if "Service" in s.get("Principal", {})]
    assert "s3.amazonaws.com" in principals
    s3_statement = next(s for s in statements if s.get("Principal", {}).get("Service") == "s3.amazonaws.com")
    assert set(s3_statement["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert "aws:SourceAccount" in s3_statement["Condition"]["StringEquals"]
    assert any(isinstance(p, dict) and "logs." in str(p) for p in principals)


def _buckets(synth: Synth) -> list[str]:
    """Every bucket in the stack: the rules below hold for buckets other constructs add too."""
    return list(synth.of_type("AWS::S3::Bucket"))


def _data_buckets(synth: Synth) -> list[str]:
    return [lid for lid in _buckets(synth) if lid != SERVER_ACCESS_LOGS]


def test_the_core_buckets_exist(synth: Synth) -> None:
    assert {*CORE_BUCKETS, SERVER_ACCESS_LOGS} <= set(_buckets(synth))


def test_every_bucket_blocks_public_access_and_is_versioned(synth: Synth) -> None:
    for logical_id in _buckets(synth):
        props = synth.props(logical_id)
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, logical_id
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id


def test_data_buckets_are_encrypted_with_the_data_key_and_log_their_access(synth: Synth) -> None:
    for logical_id in _data_buckets(synth):
        props = synth.props(logical_id)
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", logical_id
        assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "ServerAccessLogsBucket"}


def test_every_bucket_refuses_plain_http(synth: Synth) -> None:
    policies = synth.of_type("AWS::S3::BucketPolicy").values()
    for logical_id in _buckets(synth):
        policy = next(p for p in policies if p["Properties"]["Bucket"] == {"Ref": logical_id})
        denies = [
            s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies, f"{logical_id} accepts plain HTTP"


def test_object_lock_on_uploads_evidence_and_access_log_only(synth: Synth) -> None:
    locked = {lid for lid in CORE_BUCKETS if synth.props(lid).get("ObjectLockEnabled")}
    assert locked == {"UploadsBucket", "EvidenceBucket", "AccessLogBucket"}
    assert not synth.props(SERVER_ACCESS_LOGS).get("ObjectLockEnabled")


def test_access_log_is_append_only_for_the_retention(synth: Synth, synth_730: Synth) -> None:
    # S3 counts days: a year may have 366 of them (a calendar year, Gov. Code § 34090.6).
    for stack, days in ((synth, 366), (synth_730, 731)):
        rule = stack.props("AccessLogBucket")["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
        assert rule == {"Mode": "COMPLIANCE", "Days": days}


def test_the_access_log_refuses_a_write_that_could_replace_a_record(synth: Synth) -> None:
    # Issue 19 item 9: a PutObject without If-None-Match could make a new current version of a key
    (policy,) = [
        p
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "AccessLogBucket"}
    ]
    (deny,) = [
        s
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Deny" and s.get("Condition", {}).get("Null", {}).get("s3:if-none-match") == "true"
    ]
    assert deny["Action"] == "s3:PutObject" and deny["Principal"] == {"AWS": "*"}


def test_raw_images_expire_with_the_retention(synth: Synth, synth_730: Synth) -> None:
    # Never before their read, which is kept to the same calendar date a year later (366 days at most).
    for stack, days in ((synth, 366), (synth_730, 731)):
        rules = stack.props("UploadsBucket")["LifecycleConfiguration"]["Rules"]
        raw = [r for r in rules if r.get("Prefix") == names.RAW_PREFIX and r["Status"] == "Enabled"]
        assert len(raw) == 1
        assert raw[0]["ExpirationInDays"] == days


def test_tables_are_on_demand_with_pitr_and_the_data_key(synth: Synth) -> None:
    synth.template.resource_count_is("AWS::DynamoDB::Table", len(TABLES))
    for logical_id in TABLES:
        props = synth.props(logical_id)
        assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, logical_id
        assert props["SSESpecification"] == {
            "KMSMasterKeyId": {"Fn::GetAtt": ["DataKey", "Arn"]},
            "SSEEnabled": True,
            "SSEType": "KMS",
        }, logical_id
        assert synth.resources[logical_id]["DeletionPolicy"] == "Retain", logical_id


def test_reads_table_keys_indexes_and_ttl(synth: Synth) -> None:
    props = synth.props("ReadsTable")
    assert _key_schema(props) == [(names.READ_ID, "HASH")]
    assert _indexes(props) == {
        names.READS_BY_PLATE_INDEX: [(names.PLATE, "HASH"), (names.READS_TIME_KEY, "RANGE")],
        names.READS_BY_CELL_DAY_INDEX: [(names.READS_CELL_DAY_KEY, "HASH"), (names.READS_TIME_KEY, "RANGE")],
        names.READS_BY_CELL7_DAY_INDEX: [
            (names.READS_CELL7_DAY_KEY, "HASH"),
            (names.READS_TIME_KEY, "RANGE"),
        ],
        # The plates supervisors recorded for misreads (issue 21): sparse, only corrected reads.
        names.READS_BY_CORRECTED_PLATE_INDEX: [
            (names.READS_CORRECTED_PLATE, "HASH"),
            (names.READS_TIME_KEY, "RANGE"),
        ],
    }
    assert props["TimeToLiveSpecification"] == {"AttributeName": names.TTL_ATTRIBUTE, "Enabled": True}


def test_hotlist_and_alerts_keys_and_indexes(synth: Synth) -> None:
    hotlist = synth.props("HotlistTable")
    assert _key_schema(hotlist) == [(names.HOTLIST_PK, "HASH"), (names.HOTLIST_SK, "RANGE")]
    assert _indexes(hotlist) == {
        names.HOTLIST_OCR_INDEX: [(names.HOTLIST_OCR_KEY, "HASH"), (names.HOTLIST_SK, "RANGE")]
    }
    alerts = synth.props("AlertsTable")
    assert _key_schema(alerts) == [(names.ALERT_ID, "HASH")]
    assert _indexes(alerts) == {
        names.ALERTS_BY_STATUS_INDEX: [(names.ALERT_STATUS, "HASH"), (names.ALERT_CREATED_AT, "RANGE")]
    }
    assert alerts["TimeToLiveSpecification"] == {"AttributeName": names.TTL_ATTRIBUTE, "Enabled": True}


def test_single_key_tables(synth: Synth) -> None:
    assert _key_schema(synth.props("PlatesTable")) == [(names.PLATE, "HASH")]  # expires (test_plate_expiry)
    for logical_id, key in (
        ("PersonnelTable", names.USERNAME),
        ("AccountProposalsTable", names.PROPOSAL_ID),
        ("ReleaseRequestsTable", names.REQUEST_ID),
    ):
        props = synth.props(logical_id)
        assert _key_schema(props) == [(key, "HASH")], logical_id
        assert "TimeToLiveSpecification" not in props, f"{logical_id} must be kept on file"


def test_every_bucket_and_table_name_is_an_output(synth: Synth) -> None:
    outputs = synth.template.to_json()["Outputs"]
    for output in names.Output:
        assert output.value in outputs, output
    assert outputs[names.Output.READS_TABLE.value]["Value"] == {"Ref": "ReadsTable"}
    synth.template.has_output(names.Output.UPLOADS_BUCKET.value, {"Value": {"Ref": "UploadsBucket"}})
    synth.template.has_output(names.Output.API_URL.value, {"Value": Match.any_value()})
