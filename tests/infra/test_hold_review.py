"""The daily hold review (issue 22, item 4): its schedule, its grants and its alarm; the register of
holds and the API's use of it."""

from __future__ import annotations

import json
from typing import Any

from alpr import names
from tests.infra.conftest import Synth, as_list


def _statements(synth: Synth, function: str) -> list[dict[str, Any]]:
    role = synth.props(function)["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _on(statements: list[dict[str, Any]], resource: str) -> set[str]:
    return {
        action
        for statement in statements
        if resource in json.dumps(statement["Resource"])
        for action in as_list(statement["Action"])
    }


def test_the_review_runs_daily(synth: Synth) -> None:
    rule = synth.props("HoldReviewSchedule")
    assert rule["ScheduleExpression"] == "cron(45 6 * * ? *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["HoldReviewFunction", "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_the_register_is_a_table_with_the_holds_falling_due_by_state(synth: Synth) -> None:
    table = synth.props("HoldsTable")
    assert table["KeySchema"] == [{"AttributeName": names.HOLD_ID, "KeyType": "HASH"}]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == names.HOLDS_BY_STATE_INDEX
    assert [k["AttributeName"] for k in index["KeySchema"]] == [names.HOLD_STATE, names.HOLD_DUE]
    assert table["SSESpecification"]["SSEEnabled"] and table["DeletionProtectionEnabled"]


def test_the_review_takes_holds_off_and_records_lapses_and_may_do_nothing_else(synth: Synth) -> None:
    statements = _statements(synth, "HoldReviewFunction")
    assert _on(statements, "HoldsTable") == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}
    assert _on(statements, "ReadsTable") == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"}
    assert _on(statements, "PlatesTable") == {"dynamodb:UpdateItem"}
    assert _on(statements, "UploadsBucket") == {"s3:PutObjectLegalHold", "s3:GetObjectLegalHold"}
    log = [s for s in statements if "AccessLogBucket" in json.dumps(s["Resource"])]
    assert [as_list(s["Action"]) for s in log] == [["s3:PutObject"]]
    assert f"/{names.ACCESS_LOG_PREFIX}*" in json.dumps(log[0]["Resource"])
    assert not any(
        "dynamodb:DeleteItem" in as_list(s["Action"]) or "dynamodb:Scan" in as_list(s["Action"])
        for s in statements
    )
    variables = synth.props("HoldReviewFunction")["Environment"]["Variables"]
    assert {
        names.Env.HOLDS_TABLE,
        names.Env.READS_TABLE,
        names.Env.PLATES_TABLE,
        names.Env.ACCESS_LOG_BUCKET,
    } <= set(variables)


def test_the_api_finds_holds_by_id_and_rewrites_their_entries(synth: Synth) -> None:
    assert _on(_statements(synth, "ApiFunction"), "HoldsTable") == {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert names.Env.HOLDS_TABLE in synth.props("ApiFunction")["Environment"]["Variables"]


def test_a_failing_review_turns_an_alarm_red(synth: Synth) -> None:
    alarm = synth.props("HoldReviewFailingAlarm")
    assert alarm["MetricName"] == "Errors" and alarm["Threshold"] == 0
    assert alarm["AlarmActions"] and alarm["OKActions"]
