"""Where the alarms go: one encrypted, TLS-only topic that every alarm notifies, red and clear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alpr.names import Output
from infra.build_assets import Assets
from infra.operations import EMAIL_CONTEXT
from tests.infra.conftest import Synth, _synth, as_list

TOPIC = {"Ref": "OpsAlarmTopic"}


def test_every_alarm_notifies_the_operations_topic_when_it_turns_red_and_when_it_clears(
    synth: Synth,
) -> None:
    alarms = synth.of_type("AWS::CloudWatch::Alarm")
    # The dead-letter queue, the stale hotlist and the failed release
    assert len(alarms) >= 3
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [TOPIC], logical_id
        assert alarm["Properties"]["OKActions"] == [TOPIC], logical_id


def test_a_failed_release_workflow_raises_an_alarm(synth: Synth) -> None:
    alarm = synth.props("ReleaseFailedAlarm")
    assert alarm["MetricName"] == "ExecutionsFailed"
    assert alarm["Dimensions"] == [
        {"Name": "StateMachineArn", "Value": {"Ref": "ReleaseApprovalStateMachine"}}
    ]
    assert alarm["Threshold"] == 1


def test_the_topic_is_encrypted_with_its_own_rotating_key_that_only_our_alarms_may_use(
    synth: Synth,
) -> None:
    assert synth.props("OpsAlarmTopic")["KmsMasterKeyId"] == {"Fn::GetAtt": ["OpsAlarmKey", "Arn"]}
    key = synth.props("OpsAlarmKey")
    assert key["EnableKeyRotation"] is True
    (cloudwatch,) = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(as_list(cloudwatch["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def _topic_statements(synth: Synth) -> list[dict[str, Any]]:
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.of_type("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [TOPIC]
    ]
    statements: list[dict[str, Any]] = policy
    return statements


def test_the_topic_refuses_plain_http_and_lets_only_our_account_s_alarms_publish(synth: Synth) -> None:
    statements = _topic_statements(synth)
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_without_an_address_the_topic_has_no_subscriber_and_its_arn_is_an_output(synth: Synth) -> None:
    subscriptions = synth.of_type("AWS::SNS::Subscription").values()
    assert all(s["Properties"]["TopicArn"] != TOPIC for s in subscriptions)
    outputs = synth.template.to_json()["Outputs"]
    assert outputs[Output.OPS_ALARM_TOPIC.value]["Value"] == TOPIC


@pytest.fixture(scope="module")
def synth_with_email(assets: Assets, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The stack with `-c ops_alarm_email=it-oncall@example.gov`."""
    outdir: Path = tmp_path_factory.mktemp("cdk.out-email")
    return _synth(assets, outdir, context={EMAIL_CONTEXT: "it-oncall@example.gov"})


def test_the_configured_address_is_subscribed_by_email(synth_with_email: Synth) -> None:
    (subscription,) = [
        s["Properties"]
        for s in synth_with_email.of_type("AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == TOPIC
    ]
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == "it-oncall@example.gov"
