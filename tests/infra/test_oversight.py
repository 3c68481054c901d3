"""The daily audit watch and the overdue-review alarms: the weekly review (issue 21, item 2) and the
yearly account review (item 3)."""

from __future__ import annotations

import json

from alpr import names
from alpr.domain.account_reviews import ACCOUNT_REVIEW_OVERDUE_DAYS
from alpr.names import Function
from tests.infra.conftest import Synth, as_list


def test_an_overdue_review_turns_an_alarm_red_and_so_does_a_silent_watch(synth: Synth) -> None:
    (alarm,) = [
        a["Properties"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == names.REVIEW_AGE_METRIC
    ]
    assert alarm["Namespace"] == names.METRICS_NAMESPACE
    assert alarm["Dimensions"] == [{"Name": "service", "Value": Function.AUDIT_WATCH.value}]
    # More than 10 days since the last reviewed window ended: red
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (10, "GreaterThanThreshold")
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 86400, 1)
    assert alarm["TreatMissingData"] == "breaching"  # no report from the daily watch is red too
    assert alarm["AlarmActions"] and alarm["OKActions"]


def test_a_year_without_an_account_review_turns_an_alarm_red_and_so_does_a_silent_watch(synth: Synth) -> None:
    alarm = synth.props("AccountReviewOverdueAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == (
        names.METRICS_NAMESPACE,
        names.ACCOUNT_REVIEW_AGE_METRIC,
    )
    assert alarm["Dimensions"] == [{"Name": "service", "Value": Function.AUDIT_WATCH.value}]
    # More than 365 days since the last account review was signed off: red
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
        ACCOUNT_REVIEW_OVERDUE_DAYS,
        "GreaterThanThreshold",
    )
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 86400, 1)
    assert alarm["TreatMissingData"] == "breaching"
    assert "alpr audit account-review" in alarm["AlarmDescription"]
    assert alarm["AlarmActions"] and alarm["OKActions"]


def test_the_watch_runs_daily(synth: Synth) -> None:
    rule = synth.props("AuditWatchSchedule")
    assert rule["ScheduleExpression"] == "cron(15 6 * * ? *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["AuditWatchFunction", "Arn"]}


def test_the_watch_may_list_the_reviews_keys_and_nothing_else_of_the_log(synth: Synth) -> None:
    role = synth.props("AuditWatchFunction")["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "AccessLogBucket" in json.dumps(statement["Resource"])
    ]
    (statement,) = statements
    assert as_list(statement["Action"]) == ["s3:ListBucket"]
    assert statement["Resource"] == {"Fn::GetAtt": ["AccessLogBucket", "Arn"]}
    assert statement["Condition"] == {"StringLike": {"s3:prefix": [f"{names.AUDIT_REVIEWS_PREFIX}*"]}}
    assert names.ACCOUNT_REVIEWS_PREFIX.startswith(names.AUDIT_REVIEWS_PREFIX)  # the yearly reviews' days too
