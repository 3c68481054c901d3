"""Functions, their roles and logs, and the S3 -> SQS -> recognize path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alpr import names
from alpr.names import Env, Function
from infra.build_assets import Assets
from tests.infra.conftest import Synth, _synth, as_list

# Actions AWS accepts only on Resource "*" (no resource-level permissions).
RESOURCELESS_ACTIONS = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
        "dynamodb:ListStreams",  # a stream event source (the Plates table's, issue 22) lists streams
    }
)


def _env(synth: Synth, logical_id: str) -> dict[str, Any]:
    variables: dict[str, Any] = synth.props(logical_id)["Environment"]["Variables"]
    return variables


def _statements_of_role(synth: Synth, role_ref: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if role_ref in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _own_functions(synth: Synth) -> dict[str, str]:
    """Logical id -> service name of every function of ours (CDK's own handlers have no service)."""
    return {
        lid: res["Properties"].get("Environment", {}).get("Variables", {}).get(Env.SERVICE.value)
        for lid, res in synth.of_type("AWS::Lambda::Function").items()
        if not lid.startswith("BucketNotificationsHandler")
    }


def test_every_function_we_own_names_its_service(synth: Synth) -> None:
    # The local runtime finds a function's handler by POWERTOOLS_SERVICE_NAME: one function per name.
    services = _own_functions(synth)
    assert sorted(services.values()) == sorted(fn.value for fn in Function)
    assert {"ApiFunction": "api", "UploadsFunction": "uploads", "RecognizeFunction": "recognize"}.items() <= (
        services.items()
    )


def test_functions_trace_log_to_their_own_group_and_know_the_retention(
    synth: Synth, synth_730: Synth
) -> None:
    log_groups = synth.of_type("AWS::Logs::LogGroup")
    roles = set()
    functions = _own_functions(synth)
    for logical_id in functions:
        props = synth.props(logical_id)
        assert props["TracingConfig"] == {"Mode": "Active"}, logical_id
        group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert log_groups[group]["Properties"]["RetentionInDays"] == 365
        assert log_groups[group]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
        roles.add(props["Role"]["Fn::GetAtt"][0])
        assert _env(synth, logical_id)[Env.RETENTION_DAYS.value] == "365"
        assert _env(synth_730, logical_id)[Env.RETENTION_DAYS.value] == "730"
    assert len(roles) == len(functions), "each function has its own role"


def test_roles_have_no_wildcard_actions_and_wildcard_resources_only_where_aws_requires(
    synth: Synth,
) -> None:
    for logical_id in _own_functions(synth):
        role = {"Ref": synth.props(logical_id)["Role"]["Fn::GetAtt"][0]}
        statements = _statements_of_role(synth, role)
        assert statements, logical_id
        for statement in statements:
            actions = as_list(statement["Action"])
            assert not [a for a in actions if "*" in a], f"{logical_id}: {actions}"
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= RESOURCELESS_ACTIONS, f"{logical_id}: {statement}"


def test_environment_comes_from_the_granted_resources(synth: Synth) -> None:
    recognize = _env(synth, "RecognizeFunction")
    assert recognize[Env.UPLOADS_BUCKET.value] == {"Ref": "UploadsBucket"}
    assert recognize[Env.QUARANTINE_BUCKET.value] == {"Ref": "QuarantineBucket"}
    assert recognize[Env.READS_TABLE.value] == {"Ref": "ReadsTable"}
    assert recognize[Env.MODELS_DIR.value] == names.MODELS_LAYER_DIR
    uploads = _env(synth, "UploadsFunction")
    assert uploads[Env.UPLOADS_BUCKET.value] == {"Ref": "UploadsBucket"}
    assert Env.READS_TABLE.value not in uploads, "the uploads function touches no table"
    api = _env(synth, "ApiFunction")
    assert api[Env.READS_TABLE.value] == {"Ref": "ReadsTable"}
    assert api[Env.ACCESS_LOG_BUCKET.value] == {"Ref": "AccessLogBucket"}


def test_zip_functions_run_python_311_on_the_alpr_layer_and_api_gets_the_models(synth: Synth) -> None:
    for logical_id in ("ApiFunction", "UploadsFunction"):
        props = synth.props(logical_id)
        assert props["Runtime"] == "python3.11"
        assert props["Handler"] == "handler.lambda_handler"
    assert synth.props("ApiFunction")["Layers"] == [{"Ref": "AlprLayer"}, {"Ref": "ModelsLayer"}]
    assert _env(synth, "ApiFunction")[Env.MODELS_DIR.value] == names.MODELS_LAYER_DIR
    assert synth.props("UploadsFunction")["Layers"] == [{"Ref": "AlprLayer"}]
    assert Env.MODELS_DIR.value not in _env(synth, "UploadsFunction")
    synth.template.resource_count_is("AWS::Lambda::LayerVersion", 2)


def test_recognize_is_a_container_image_sized_for_inference(synth: Synth) -> None:
    props = synth.props("RecognizeFunction")
    assert props["PackageType"] == "Image"
    assert props["MemorySize"] == 1769  # one full vCPU: inference runs one thread
    assert props["Timeout"] == 60
    images = synth.asset_manifest()["dockerImages"]
    assert len(images) == 1
    (image,) = images.values()
    assert image["source"]["platform"] == "linux/amd64"
    context = synth.outdir / image["source"]["directory"]
    dockerfile = (context / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM public.ecr.aws/lambda/python:")
    assert (context / "handler.py").is_file() and (context / "alpr" / "__init__.py").is_file()
    assert "onnxruntime==" in (context / "requirements.txt").read_text()


def test_ingest_queue_is_encrypted_with_a_dead_letter_queue(synth: Synth) -> None:
    # (and the prune function's on-failure queue, tests/infra/test_plate_expiry.py; the retention
    # report's lifecycle queue, its dead-letter queue and its stream's on-failure queue,
    # tests/infra/test_retention_record.py)
    synth.template.resource_count_is("AWS::SQS::Queue", 6)
    queue = synth.props("IngestQueue")
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert synth.props("IngestDeadLetterQueue")["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    # Lambda's guidance: visibility at least six times the function timeout.
    assert queue["VisibilityTimeout"] >= 6 * synth.props("RecognizeFunction")["Timeout"]


def test_a_message_in_the_dead_letter_queue_raises_an_alarm(synth: Synth) -> None:
    props = synth.props("IngestDeadLetterAlarm")
    assert props["Namespace"] == "AWS/SQS"
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}}
    ]
    assert props["Threshold"] == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_queues_refuse_plain_http_and_only_the_uploads_bucket_may_send(synth: Synth) -> None:
    policies = synth.of_type("AWS::SQS::QueuePolicy").values()
    for logical_id in ("IngestQueue", "IngestDeadLetterQueue"):
        (policy,) = [p for p in policies if {"Ref": logical_id} in p["Properties"]["Queues"]]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
            for s in statements
        )
    (ingest,) = [p for p in policies if {"Ref": "IngestQueue"} in p["Properties"]["Queues"]]
    send = next(s for s in ingest["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow")
    assert send["Principal"] == {"Service": "s3.amazonaws.com"}
    assert send["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": ["UploadsBucket", "Arn"]}


def test_raw_uploads_notify_the_ingest_queue(synth: Synth) -> None:
    (notifications,) = [
        n
        for n in synth.of_type("Custom::S3BucketNotifications").values()
        if n["Properties"]["BucketName"] == {"Ref": "UploadsBucket"}  # the hotlist bucket has its own
    ]
    configurations = notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    # (the lifecycle's deletions go to the retention report's queue, tests/infra/test_retention_record.py)
    assert [c for c in configurations if c["QueueArn"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}] == [
        {
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": names.RAW_PREFIX}]}},
            "QueueArn": {"Fn::GetAtt": ["IngestQueue", "Arn"]},
        }
    ]


def test_recognize_consumes_the_queue_in_batches_with_partial_failures(synth: Synth) -> None:
    (props,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": "RecognizeFunction"}
    ]
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    assert props["FunctionName"] == {"Ref": "RecognizeFunction"}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == 5


def _s3_grants(synth: Synth, function: str) -> dict[str, set[str]]:
    """Object ARN pattern (bucket logical id + suffix) -> the S3 actions the function's role has on it."""
    role = {"Ref": synth.props(function)["Role"]["Fn::GetAtt"][0]}
    grants: dict[str, set[str]] = {}
    for statement in _statements_of_role(synth, role):
        actions = {a for a in as_list(statement["Action"]) if a.startswith("s3:")}
        for resource in as_list(statement["Resource"]) if actions else ():
            if "Fn::GetAtt" in resource:  # the bucket itself (listing), with its prefix condition
                prefixes = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix", [])
                grants.setdefault(resource["Fn::GetAtt"][0] + "?prefix=" + ",".join(prefixes), set()).update(
                    actions
                )
                continue
            bucket_arn, suffix = resource["Fn::Join"][1]
            grants.setdefault(bucket_arn["Fn::GetAtt"][0] + suffix, set()).update(actions)
    return grants


def test_recognize_may_read_and_move_raw_uploads_into_quarantine_only(synth: Synth) -> None:
    # What alpr.adapters.s3.S3Uploads does: get, copy to quarantine/<key>, put the reason, delete.
    assert _s3_grants(synth, "RecognizeFunction") == {
        f"UploadsBucket/{names.RAW_PREFIX}*": {
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",  # only an overwrite's own version (issue 19 item 7)
        },
        f"UploadsBucket?prefix={names.RAW_PREFIX}*": {"s3:ListBucketVersions"},  # to find an overwrite
        f"QuarantineBucket/{names.QUARANTINE_PREFIX}*": {"s3:PutObject"},
        f"UploadsBucket/{names.CROPS_PREFIX}*": {"s3:PutObject"},  # S3Uploads.put_crop
        # the container's current_lists: the compiled list versions
        f"HotlistBucket/{names.HOTLIST_SNAPSHOT_PREFIX}*": {"s3:GetObject", "s3:GetObjectVersion"},
        # a delivery record per alert notification (issue 22)
        f"AccessLogBucket/{names.ACCESS_LOG_PREFIX}*": {"s3:PutObject"},
    }


def test_uploads_function_may_only_put_raw_objects(synth: Synth) -> None:
    # It signs presigned POSTs: the unit's upload runs with this role's PutObject; the access
    # gate appends the record of a refused request (issue 4).
    assert _s3_grants(synth, "UploadsFunction") == {
        f"UploadsBucket/{names.RAW_PREFIX}*": {"s3:PutObject"},
        f"AccessLogBucket/{names.ACCESS_LOG_PREFIX}*": {"s3:PutObject"},
    }


def test_api_may_read_and_hold_images_write_evidence_and_append_access_records(synth: Synth) -> None:
    # Short-lived image and crop links (the container's image_links), legal holds on both
    # (object_holds), the access log; the release steps' grants are their own.
    grants = _s3_grants(synth, "ApiFunction")
    hold = {"s3:PutObjectLegalHold", "s3:GetObjectLegalHold"}
    read = {"s3:GetObject", "s3:GetObjectVersion"}
    assert grants[f"UploadsBucket/{names.RAW_PREFIX}*"] == read | hold
    assert grants[f"UploadsBucket/{names.CROPS_PREFIX}*"] == read | hold
    assert grants[f"AccessLogBucket/{names.ACCESS_LOG_PREFIX}*"] == {"s3:PutObject"}
    # Evidence export: bundles written under legal hold, read back through a link
    assert grants[f"EvidenceBucket/{names.EVIDENCE_EXPORTS_PREFIX}*"] == {"s3:PutObject"} | read | hold


def test_api_may_count_reads_and_alerts_for_the_public_figures_and_nothing_more(synth: Synth) -> None:
    statements = _statements_of_role(synth, {"Ref": synth.props("ApiFunction")["Role"]["Fn::GetAtt"][0]})
    described = [s for s in statements if "dynamodb:DescribeTable" in str(s["Action"])]
    assert all(s["Action"] == "dynamodb:DescribeTable" for s in described)
    tables = {r["Fn::GetAtt"][0] for s in described for r in as_list(s["Resource"])}
    assert tables == {"ReadsTable", "AlertsTable"}


def _table_actions(synth: Synth, function: str, table: str) -> set[str]:
    """Every DynamoDB action the function's role has on the table or its indexes."""
    role = {"Ref": synth.props(function)["Role"]["Fn::GetAtt"][0]}
    return {
        action
        for statement in _statements_of_role(synth, role)
        if table in str(statement["Resource"])
        for action in as_list(statement["Action"])
        if action.startswith("dynamodb:")
    }


def test_the_api_may_read_and_update_reads_but_never_put_or_delete_them(synth: Synth) -> None:
    # Issue 19 item 9: searches read, holds update; reads are only ever written by recognize
    assert _table_actions(synth, "ApiFunction", "ReadsTable") == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",  # the reads a keys-only index found
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "dynamodb:DescribeTable",  # the public count
    }


def test_the_departments_plate_support_score_reaches_recognize_and_nothing_else(
    synth: Synth, synth_730: Synth
) -> None:
    # Unset: the engine's own score (no variable)
    assert Env.PLATE_SUPPORT_SCORE.value not in _env(synth, "RecognizeFunction")
    # Set with -c plate_support_score=0.35: recognize reads no plate the detector is unsure of
    assert _env(synth_730, "RecognizeFunction")[Env.PLATE_SUPPORT_SCORE.value] == "0.35"
    assert Env.PLATE_SUPPORT_SCORE.value not in _env(synth_730, "ApiFunction")


def test_a_plate_support_score_outside_0_to_1_fails_the_synth(assets: Assets, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plate_support_score must be between 0 and 1"):
        _synth(assets, tmp_path, context={"plate_support_score": "1.5"})
