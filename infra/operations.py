"""Operations: where the stack's alarms go. Every alarm (an upload recognition gave up on, a stale
hotlist, a failed release) notifies one topic when it turns red and again when it clears, so the
department's IT admin hears of it instead of finding it on a console.

Context (`-c key=value`): `ops_alarm_email`, an address subscribed to the topic (AWS mails it a
confirmation link first). Without it the topic has no subscriber: subscribe the on-call tool.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from alpr.names import Output
from infra.naming import fix_logical_id, output

EMAIL_CONTEXT = "ops_alarm_email"
CLOUDWATCH = iam.ServicePrincipal("cloudwatch.amazonaws.com")


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarms: list[cloudwatch.Alarm],
        release_state_machine: sfn.StateMachine,
    ) -> None:
        super().__init__(scope, construct_id)
        # Its own key, not the data key: CloudWatch must be able to use it, and alarms carry no
        # personal data.
        key = kms.Key(
            self,
            "AlarmKey",
            description="Encrypts the operations alarm topic",
            enable_key_rotation=True,
        )
        fix_logical_id(key, "OpsAlarmKey")
        from_our_alarms = {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[CLOUDWATCH],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=from_our_alarms,
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="ALPR back office alarms",
            master_key=key,
            enforce_ssl=True,
        )
        fix_logical_id(self.topic, "OpsAlarmTopic")
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[CLOUDWATCH],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_our_alarms,
            )
        )
        email = self.node.try_get_context(EMAIL_CONTEXT)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(str(email)))

        # A release that failed (not one denied or expired: those end as succeeded) leaves an
        # agency waiting and a request the records unit must look at.
        self.release_failed_alarm = cloudwatch.Alarm(
            self,
            "ReleaseFailedAlarm",
            alarm_description=(
                "A data-release workflow failed. The request's history (alpr release status <id>) "
                "records the error; fix it and file the request again."
            ),
            metric=release_state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        fix_logical_id(self.release_failed_alarm, "ReleaseFailedAlarm")

        action = cloudwatch_actions.SnsAction(self.topic)
        for alarm in [*alarms, self.release_failed_alarm]:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        output(self, Output.OPS_ALARM_TOPIC, self.topic.topic_arn)
