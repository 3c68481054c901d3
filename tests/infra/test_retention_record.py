"""Destruction on record (issue 21, item 6): the retention report function, its feeds and grants."""

from __future__ import annotations

import json
from typing import Any

from alpr import names
from tests.infra.conftest import Synth, as_list


def _statements(synth: Synth) -> list[dict[str, Any]]:
    role = synth.props("RetentionReportFunction")["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_report_is_written_daily_for_the_day_before(synth: Synth) -> None:
    rule = synth.props("RetentionReportSchedule")
    assert rule["ScheduleExpression"] == "cron(30 0 * * ? *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["RetentionReportFunction", "Arn"]}


def test_reads_purged_come_from_the_reads_stream_s_removals_by_ttl_only(synth: Synth) -> None:
    assert synth.props("ReadsTable")["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}
    (mapping,) = [
        m["Properties"]
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": "RetentionReportFunction"}
        and "ReadsTable" in json.dumps(m["Properties"]["EventSourceArn"])
    ]
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {
        "eventName": ["REMOVE"],
        "userIdentity": {"type": ["Service"], "principalId": ["dynamodb.amazonaws.com"]},
    }
    assert "BisectBatchOnFunctionError" not in mapping  # a retried batch is the same batch
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"]


def test_images_and_crops_purged_come_from_the_lifecycle_s_deletions(synth: Synth) -> None:
    queues = [
        (c["Events"], c["Filter"]["Key"]["FilterRules"])
        for notifications in synth.of_type("Custom::S3BucketNotifications").values()
        if notifications["Properties"]["BucketName"] == {"Ref": "UploadsBucket"}
        for c in notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
        if c["QueueArn"] == {"Fn::GetAtt": ["RetentionLifecycleQueue", "Arn"]}
    ]
    assert sorted(queues, key=str) == [
        (["s3:LifecycleExpiration:Delete"], [{"Name": "prefix", "Value": names.CROPS_PREFIX}]),
        (["s3:LifecycleExpiration:Delete"], [{"Name": "prefix", "Value": names.RAW_PREFIX}]),
    ]
    # consumed by the function, whose mapping exists before S3's test event is sent
    (mapping_id,) = [
        lid
        for lid, m in synth.of_type("AWS::Lambda::EventSourceMapping").items()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["RetentionLifecycleQueue", "Arn"]}
        and m["Properties"]["FunctionName"] == {"Ref": "RetentionReportFunction"}
    ]
    (uploads_notifications,) = [
        n
        for n in synth.of_type("Custom::S3BucketNotifications").values()
        if n["Properties"]["BucketName"] == {"Ref": "UploadsBucket"}
    ]
    assert mapping_id in uploads_notifications["DependsOn"]
    queue = synth.props("RetentionLifecycleQueue")
    assert queue["KmsMasterKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert queue["RedrivePolicy"]["deadLetterTargetArn"]


def test_the_function_writes_only_reports_and_tallies_and_reads_only_tallies_of_the_log(synth: Synth) -> None:
    on_log = [s for s in _statements(synth) if "AccessLogBucket" in json.dumps(s["Resource"])]
    granted = sorted((tuple(as_list(s["Action"])), json.dumps(s["Resource"])) for s in on_log)
    reports, tallies = names.RETENTION_REPORTS_PREFIX, names.RETENTION_TALLIES_PREFIX
    assert all(
        reports in resource or tallies in resource for _, resource in granted if "s3:ListBucket" not in _
    )
    actions = {action for statement in on_log for action in as_list(statement["Action"])}
    assert actions == {"s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}
    (listing,) = [s for s in on_log if as_list(s["Action"]) == ["s3:ListBucket"]]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{tallies}*"]}}
    (reading,) = [s for s in on_log if "s3:GetObject" in as_list(s["Action"])]
    assert tallies in json.dumps(reading["Resource"]) and reports not in json.dumps(reading["Resource"])
    assert names.ACCESS_LOG_PREFIX not in json.dumps(on_log)


def test_the_function_may_scan_reads_and_nothing_else_of_the_tables(synth: Synth) -> None:
    table_actions = {
        action
        for statement in _statements(synth)
        for action in as_list(statement["Action"])
        if action.startswith("dynamodb:")
    }
    # Scan for the census; the rest is what the stream's event source mapping needs.
    stream = {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    assert table_actions == {"dynamodb:Scan", *stream}
    (scan,) = [s for s in _statements(synth) if "dynamodb:Scan" in as_list(s["Action"])]
    assert as_list(scan["Action"]) == ["dynamodb:Scan"]
    assert scan["Resource"] == {"Fn::GetAtt": ["ReadsTable", "Arn"]}
