"""The audit construct: the access log's Glue table, the Athena workgroup and its named queries,
the CloudTrail trail over the ALPR buckets and tables, and the auditors' policy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alpr import names
from alpr.domain.access import AccessRecord
from alpr.domain.account_reviews import AccountReviewLine
from alpr.domain.audit import (
    ACCESS_LOG_TABLE,
    ACCOUNT_REVIEWS_TABLE,
    AUDIT_DATABASE,
    CLOUDTRAIL_QUERIES,
    CLOUDTRAIL_TABLE,
    NAMED_QUERIES,
    REVIEWS_TABLE,
)
from alpr.domain.reviews import ReviewLine
from alpr.names import Output
from infra.audit import hive_type
from tests.infra.conftest import TABLES, Synth, as_list

PERSONAL_DATA_BUCKETS = {
    "UploadsBucket",
    "QuarantineBucket",
    "EvidenceBucket",
    "AccessLogBucket",
    "ReleaseBucket",
    "HotlistBucket",
    "AuditResultsBucket",
}


def _glue_table(synth: Synth, name: str) -> dict[str, Any]:
    (table,) = [
        t["Properties"]["TableInput"]
        for t in synth.of_type("AWS::Glue::Table").values()
        if t["Properties"]["TableInput"]["Name"] == name
    ]
    return dict(table)


def _selectors(synth: Synth) -> list[dict[str, dict[str, Any]]]:
    """Each advanced event selector of the trail as {field: its conditions}."""
    return [
        {f["Field"]: f for f in selector["FieldSelectors"]}
        for selector in synth.props("AuditTrail")["AdvancedEventSelectors"]
    ]


def _auditor_statements(synth: Synth) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = synth.props("AuditorPolicy")["PolicyDocument"]["Statement"]
    return statements


def test_the_access_log_table_has_exactly_the_fields_of_the_access_record(synth: Synth) -> None:
    table = _glue_table(synth, ACCESS_LOG_TABLE)
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert list(columns) == list(AccessRecord.model_fields)
    assert columns["time"] == "string"  # ISO 8601 text
    assert columns["query"] == "string"  # the OpenX SerDe gives the nested object's JSON text
    assert columns["roles"] == columns["returned_ids"] == "array<string>"
    assert columns["returned_count"] == columns["status"] == "int"


def test_the_reviews_table_has_the_review_lines_fields_beside_the_log_with_a_projected_day(
    synth: Synth,
) -> None:
    # The supervisors' weekly reviews (issue 21): same bucket as the log, its own prefix and table
    table = _glue_table(synth, REVIEWS_TABLE)
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert list(columns) == list(ReviewLine.model_fields)
    assert columns["event_id"] == columns["finding"] == columns["note"] == "string"
    assert columns["sample_size"] == "int"
    storage = table["StorageDescriptor"]
    assert storage["Location"] == {"Fn::Join": ["", ["s3://", {"Ref": "AccessLogBucket"}, "/audit-reviews/"]]}
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert table["Parameters"]["projection.dt.type"] == "date"


def test_the_account_reviews_table_reads_the_account_review_lines_under_the_reviews_prefix(
    synth: Synth,
) -> None:
    # The yearly account reviews (issue 21): under audit-reviews/accounts/, so the reviews' grants and
    # Object Lock cover them, while the weekly reviews' table projects only audit-reviews/dt=.../
    table = _glue_table(synth, ACCOUNT_REVIEWS_TABLE)
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert list(columns) == list(AccountReviewLine.model_fields)
    assert columns["roles"] == "array<string>" and columns["finding"] == columns["approved_by"] == "string"
    location = {"Fn::Join": ["", ["s3://", {"Ref": "AccessLogBucket"}, "/audit-reviews/accounts/"]]}
    assert table["StorageDescriptor"]["Location"] == location
    assert table["Parameters"]["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", {"Ref": "AccessLogBucket"}, "/audit-reviews/accounts/dt=${dt}/"]]
    }
    weekly = _glue_table(synth, REVIEWS_TABLE)["Parameters"]["storage.location.template"]
    assert weekly == {"Fn::Join": ["", ["s3://", {"Ref": "AccessLogBucket"}, "/audit-reviews/dt=${dt}/"]]}


def test_a_field_of_a_kind_the_table_cannot_hold_fails_the_synth() -> None:
    # Given a field type with no mapping / When it is mapped / Then it is refused, not guessed
    with pytest.raises(TypeError, match="no Hive type"):
        hive_type(float | None)


def test_the_access_log_table_reads_json_lines_under_access_log_with_a_projected_day(synth: Synth) -> None:
    table = _glue_table(synth, ACCESS_LOG_TABLE)
    storage = table["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["Location"] == {"Fn::Join": ["", ["s3://", {"Ref": "AccessLogBucket"}, "/access-log/"]]}
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["projection.dt.range"].endswith(",NOW")
    assert (parameters["projection.dt.interval"], parameters["projection.dt.interval.unit"]) == ("1", "DAYS")
    assert parameters["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", {"Ref": "AccessLogBucket"}, "/access-log/dt=${dt}/"]]
    }
    (database,) = synth.of_type("AWS::Glue::Database").values()
    assert database["Properties"]["DatabaseInput"]["Name"] == AUDIT_DATABASE


def test_the_cloudtrail_table_uses_cloudtrails_serde_and_projects_region_and_day(synth: Synth) -> None:
    table = _glue_table(synth, CLOUDTRAIL_TABLE)
    storage = table["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "com.amazon.emr.hive.serde.CloudTrailSerde"
    assert storage["InputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    columns = {c["Name"] for c in storage["Columns"]}
    assert {
        "eventtime",
        "eventsource",
        "eventname",
        "useridentity",
        "requestparameters",
        "readonly",
    } <= columns
    assert [k["Name"] for k in table["PartitionKeys"]] == ["region", "timestamp"]
    parameters = table["Parameters"]
    assert parameters["projection.region.type"] == "enum"
    assert parameters["projection.timestamp.format"] == "yyyy/MM/dd"
    assert "/CloudTrail/${region}/${timestamp}" in json.dumps(parameters["storage.location.template"])


def test_the_workgroup_enforces_its_configuration_and_encrypts_results(synth: Synth) -> None:
    workgroup = synth.props("AuditWorkGroup")
    assert workgroup["Name"] == names.AUDIT_WORKGROUP
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    results = config["ResultConfiguration"]
    assert results["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": {"Fn::GetAtt": ["DataKey", "Arn"]},
    }
    assert results["OutputLocation"] == {"Fn::Join": ["", ["s3://", {"Ref": "AuditResultsBucket"}, "/"]]}


def test_query_results_expire_and_their_bucket_is_private_encrypted_and_logged(synth: Synth) -> None:
    bucket = synth.props("AuditResultsBucket")
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 30
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "ServerAccessLogsBucket"}


def test_one_named_query_per_catalogue_entry_with_the_catalogues_sql(synth: Synth) -> None:
    queries = {
        q["Properties"]["Name"]: q["Properties"] for q in synth.of_type("AWS::Athena::NamedQuery").values()
    }
    catalogue = (*NAMED_QUERIES, *CLOUDTRAIL_QUERIES)
    assert sorted(queries) == sorted(q.name for q in catalogue)
    for entry in catalogue:
        query = queries[entry.name]
        assert query["QueryString"] == entry.sql
        assert query["Database"] == {"Ref": "AuditDatabase"}
        assert query["WorkGroup"] == {"Ref": "AuditWorkGroup"}
        assert query["Description"].startswith(entry.description)
        assert len(query["Description"]) <= 1024


def test_the_trail_validates_encrypts_and_covers_every_region(synth: Synth) -> None:
    trail = synth.props("AuditTrail")
    assert trail["EnableLogFileValidation"] is True
    assert trail["KMSKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert trail["IsMultiRegionTrail"] is True and trail["IncludeGlobalServiceEvents"] is True
    assert trail["IsLogging"] is True
    assert trail["S3BucketName"] == {"Ref": "AuditTrailBucket"}
    management = [s for s in _selectors(synth) if s["eventCategory"]["Equals"] == ["Management"]]
    assert management and "readOnly" not in management[0]  # read and write


def test_the_trail_records_data_events_of_every_personal_data_bucket_and_table(synth: Synth) -> None:
    data = [s for s in _selectors(synth) if s["eventCategory"]["Equals"] == ["Data"]]
    buckets = {
        prefix["Fn::Join"][1][0]["Fn::GetAtt"][0]
        for s in data
        if s["resources.type"]["Equals"] == ["AWS::S3::Object"] and "eventName" not in s
        for prefix in s["resources.ARN"]["StartsWith"]
    }
    assert buckets == PERSONAL_DATA_BUCKETS
    tables = {
        arn["Fn::GetAtt"][0]
        for s in data
        if s["resources.type"]["Equals"] == ["AWS::DynamoDB::Table"]
        for arn in s["resources.ARN"]["Equals"]
    }
    assert tables == set(TABLES)
    # Its own files: reads and tampering, but not CloudTrail's deliveries (which would loop).
    (own,) = [s for s in data if "eventName" in s]
    assert own["eventName"]["NotEquals"] == ["PutObject"]
    assert own["resources.ARN"]["StartsWith"][0]["Fn::Join"][1][0] == {
        "Fn::GetAtt": ["AuditTrailBucket", "Arn"]
    }


def test_the_trail_bucket_is_locked_and_only_cloudtrail_of_this_trail_writes_it(synth: Synth) -> None:
    bucket = synth.props("AuditTrailBucket")
    retention = bucket["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["Days"] >= 365
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (policy,) = [
        p
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "AuditTrailBucket"}
    ]
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert {a for s in allows for a in as_list(s["Action"])} == {"s3:GetBucketAcl", "s3:PutObject"}
    for statement in allows:
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert "trail/alpr-audit" in json.dumps(statement["Condition"]["StringEquals"]["aws:SourceArn"])


def test_the_auditor_policy_may_not_change_or_delete_the_logs(synth: Synth) -> None:
    for statement in _auditor_statements(synth):
        resources = json.dumps(statement["Resource"])
        if "AccessLogBucket" not in resources and "AuditTrailBucket" not in resources:
            continue
        actions = set(as_list(statement["Action"]))
        assert actions <= {"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"}, actions
        assert not any(a.startswith(("s3:Put", "s3:Delete")) or a.endswith("*") for a in actions)


def test_the_auditor_policy_is_scoped_to_the_workgroup_catalogue_and_key(synth: Synth) -> None:
    statements = _auditor_statements(synth)
    athena = [s for s in statements if any(a.startswith("athena:") for a in as_list(s["Action"]))]
    assert all(f"workgroup/{names.AUDIT_WORKGROUP}" in json.dumps(s["Resource"]) for s in athena)
    glue = [s for s in statements if any(a.startswith("glue:") for a in as_list(s["Action"]))]
    assert all(
        f"{AUDIT_DATABASE}" in json.dumps(r) or ":catalog" in json.dumps(r)
        for s in glue
        for r in s["Resource"]
    )
    kms = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    (key,) = kms
    assert key["Resource"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert "kms:ViaService" in key["Condition"]["StringEquals"]
    assert all("*" not in a for s in statements for a in as_list(s["Action"]))


def test_auditors_may_validate_the_trails_signed_digests(synth: Synth) -> None:
    # `aws cloudtrail validate-logs` reads the trail, the public keys and the digest files
    statements = _auditor_statements(synth)
    granted = {a for s in statements for a in as_list(s["Action"])}
    assert {"cloudtrail:DescribeTrails", "cloudtrail:ListPublicKeys", "s3:GetObject"} <= granted
    trail_only = [s for s in statements if any(a.startswith("cloudtrail:") for a in as_list(s["Action"]))]
    assert all(
        a in {"cloudtrail:DescribeTrails", "cloudtrail:ListPublicKeys"}
        for s in trail_only
        for a in as_list(s["Action"])
    )


def test_the_stack_outputs_the_workgroup_database_and_auditor_policy(synth: Synth) -> None:
    outputs = synth.template.to_json()["Outputs"]
    assert outputs[Output.AUDIT_WORKGROUP.value]["Value"] == {"Ref": "AuditWorkGroup"}
    assert outputs[Output.AUDIT_DATABASE.value]["Value"] == {"Ref": "AuditDatabase"}
    assert outputs[Output.AUDITOR_POLICY.value]["Value"] == {"Ref": "AuditorPolicy"}
    assert outputs[Output.AUDIT_TRAIL_BUCKET.value]["Value"] == {"Ref": "AuditTrailBucket"}
