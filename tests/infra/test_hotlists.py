"""Hotlists and alerts in the template: the bucket and its import function, the topic, the alarm, grants."""

from __future__ import annotations

from typing import Any

from alpr import names
from alpr.names import Env, Function, Output
from tests.infra.conftest import Synth
from tests.infra.test_functions import _env, _statements_of_role


def _role_statements(synth: Synth, function: str) -> list[dict[str, Any]]:
    return _statements_of_role(synth, {"Ref": synth.props(function)["Role"]["Fn::GetAtt"][0]})


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return set(actions if isinstance(actions, list) else [actions])


def _resource_texts(statement: dict[str, Any]) -> str:
    return str(statement["Resource"])


def test_the_hotlist_bucket_is_encrypted_versioned_and_private(synth: Synth) -> None:
    bucket = synth.props("HotlistBucket")
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert all(bucket["PublicAccessBlockConfiguration"].values())


def test_a_file_dropped_under_incoming_runs_the_import_function(synth: Synth) -> None:
    (notifications,) = [
        n
        for n in synth.of_type("Custom::S3BucketNotifications").values()
        if n["Properties"]["BucketName"] == {"Ref": "HotlistBucket"}
    ]
    (config,) = notifications["Properties"]["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [
        {"Name": "prefix", "Value": names.HOTLIST_INCOMING_PREFIX}
    ]
    assert config["LambdaFunctionArn"] == {"Fn::GetAtt": ["HotlistImportFunction", "Arn"]}
    env = _env(synth, "HotlistImportFunction")
    assert env[Env.SERVICE.value] == Function.HOTLIST_IMPORT.value
    assert env[Env.HOTLIST_BUCKET.value] == {"Ref": "HotlistBucket"}
    assert env[Env.HOTLIST_TABLE.value] == {"Ref": "HotlistTable"}


def test_the_import_function_reads_incoming_and_writes_only_snapshots_and_reports(synth: Synth) -> None:
    statements = _role_statements(synth, "HotlistImportFunction")
    on_bucket = [s for s in statements if "HotlistBucket" in _resource_texts(s)]
    by_action: dict[str, set[str]] = {}
    for statement in on_bucket:
        for action in _actions(statement):
            by_action.setdefault(action, set()).add(_resource_texts(statement))
    assert all(names.HOTLIST_INCOMING_PREFIX in r for r in by_action["s3:GetObject"])
    assert {
        names.HOTLIST_SNAPSHOT_PREFIX in r or names.HOTLIST_REPORT_PREFIX in r
        for r in by_action["s3:PutObject"]
    } == {True}
    assert all(names.HOTLIST_SNAPSHOT_PREFIX in r for r in by_action["s3:DeleteObject"])
    (listing,) = [s for s in on_bucket if "s3:ListBucket" in _actions(s)]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{names.HOTLIST_SNAPSHOT_PREFIX}*"]}}


def test_alerts_go_to_a_kms_encrypted_topic_that_refuses_plain_http(synth: Synth) -> None:
    topic = synth.props("AlertsTopic")
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.of_type("AWS::SNS::TopicPolicy").values()
        if {"Ref": "AlertsTopic"} in p["Properties"]["Topics"]
    ]
    assert any(
        s["Effect"] == "Deny" and "aws:SecureTransport" in str(s["Condition"]) for p in policies for s in p
    )


def test_recognize_may_load_list_versions_publish_alerts_and_knows_the_settings(synth: Synth) -> None:
    env = _env(synth, "RecognizeFunction")
    assert env[Env.ALERTS_TOPIC.value] == {"Ref": "AlertsTopic"}
    assert env[Env.HOTLIST_BUCKET.value] == {"Ref": "HotlistBucket"}
    assert env[Env.HOTLIST_MAX_AGE_HOURS.value] == "24"
    assert env[Env.HOTLIST_REFUSED_CATEGORIES.value] == "immigration_violator"
    statements = _role_statements(synth, "RecognizeFunction")
    (publish,) = [s for s in statements if "sns:Publish" in _actions(s)]
    # publishing, and listing who a notification reaches (its delivery record)
    assert _actions(publish) == {"sns:Publish", "sns:ListSubscriptionsByTopic"}
    assert publish["Resource"] == {"Ref": "AlertsTopic"}
    reads = [s for s in statements if "HotlistBucket" in _resource_texts(s)]
    assert {a for s in reads for a in _actions(s)} == {"s3:GetObject", "s3:GetObjectVersion"}
    assert all(names.HOTLIST_SNAPSHOT_PREFIX in _resource_texts(s) for s in reads)


def test_recognize_links_to_the_alert_and_records_who_it_notified(synth: Synth) -> None:
    env = _env(synth, "RecognizeFunction")
    assert env[Env.WEB_BASE_URL.value] == _env(synth, "ApiFunction")[Env.WEB_BASE_URL.value]
    assert env[Env.ACCESS_LOG_BUCKET.value] == {"Ref": "AccessLogBucket"}
    statements = _role_statements(synth, "RecognizeFunction")
    (listing,) = [s for s in statements if "sns:ListSubscriptionsByTopic" in _actions(s)]
    assert listing["Resource"] == {"Ref": "AlertsTopic"}
    writes = [s for s in statements if "AccessLogBucket" in _resource_texts(s)]
    assert {a for s in writes for a in _actions(s)} == {"s3:PutObject"}
    assert all(names.ACCESS_LOG_PREFIX in _resource_texts(s) for s in writes)


def test_the_api_knows_the_local_entry_limits(synth: Synth) -> None:
    env = _env(synth, "ApiFunction")
    assert env[Env.HOTLIST_ENTRY_MAX_DAYS.value] == "30"
    assert env[Env.HOTLIST_REFUSED_CATEGORIES.value] == "immigration_violator"


def test_a_stale_list_turns_an_alarm_red(synth: Synth) -> None:
    (alarm,) = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "HotlistStaleLists"
    ]
    assert alarm["Namespace"] == names.METRICS_NAMESPACE
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Dimensions"] == [{"Name": "service", "Value": Function.RECOGNIZE.value}]


def test_the_bucket_and_topic_are_stack_outputs(synth: Synth) -> None:
    outputs = synth.template.to_json()["Outputs"]
    assert outputs[Output.HOTLIST_BUCKET.value]["Value"] == {"Ref": "HotlistBucket"}
    assert outputs[Output.ALERTS_TOPIC.value]["Value"] == {"Ref": "AlertsTopic"}
