"""Legal holds under review (issue 22): the daily hold review lapses every hold a supervisor did not
approve within 7 days, or its holder did not renew by its review date. It records each lapse in the
access log, then takes the hold off as a release would: the read returns to its retention schedule
and its image and crop are unlocked. An alarm turns red when a run fails (the holds then stay).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from alpr import names
from alpr.names import Env, Function
from infra.build_assets import Assets
from infra.functions import AlprFunction, layered_function, run_on_schedule
from infra.layers import Layers
from infra.naming import fix_logical_id
from infra.storage import Storage

REVIEW_SCHEDULE = events.Schedule.cron(minute="45", hour="6")  # daily, 06:45 UTC
HOLD_REVIEW_DAYS_CONTEXT = "hold_review_days"  # CDK context: the review date's distance (default 365)


class HoldReview(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        assets: Assets,
        retention_days: int,
        api_function: AlprFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = layered_function(
            self,
            "HoldReviewFunction",
            service=Function.HOLD_REVIEW,
            assets=assets,
            key=storage.key,
            layer=layers.alpr,
            retention_days=retention_days,
            memory_size=256,
            timeout=Duration.seconds(300),
            logical_id="HoldReviewFunction",
        )
        fn = self.function
        # The holds falling due (the register's by-state index), each rewritten as it lapses.
        fn.read_put_table(storage.holds, Env.HOLDS_TABLE, indexes=[names.HOLDS_BY_STATE_INDEX])
        # The held read: its holds taken off and its expiry restored, never put, deleted or scanned.
        fn.read_update_table(storage.reads, Env.READS_TABLE)
        # Its plate's entry expires again once no read of it is held (same transaction).
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:UpdateItem"], resources=[storage.plates.table_arn])
        )
        fn.set_env(Env.PLATES_TABLE, storage.plates.table_name)
        for prefix in (names.RAW_PREFIX, names.CROPS_PREFIX):
            fn.hold_objects(
                storage.uploads,
                Env.UPLOADS_BUCKET,
                prefix=prefix,
                reason=f"Lifts the legal holds on the images of reads whose last hold lapsed under {prefix}; "
                "keys are per upload or read, so the permission is on the prefix.",
            )
        fn.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.ACCESS_LOG_PREFIX,
            reason="Appends a record of each lapse as a new object under access-log/dt=YYYY-MM-DD/; "
            "each record is a new key.",
        )
        review_days = self.node.try_get_context(HOLD_REVIEW_DAYS_CONTEXT)
        if review_days:  # the API sets review dates, the review lapses them: the same setting
            for function in (fn, api_function):
                function.set_env(Env.HOLD_REVIEW_DAYS, str(int(review_days)))
        run_on_schedule(self, "HoldReviewSchedule", fn, REVIEW_SCHEDULE)

        self.failing_alarm = cloudwatch.Alarm(
            self,
            "HoldReviewFailingAlarm",
            alarm_description=(
                "The daily hold review failed: holds due to lapse (unapproved after 7 days, or past their "
                "review date) are still in force. Read the function's log, fix the cause, and invoke it "
                "again (`aws lambda invoke`)."
            ),
            metric=fn.function.metric_errors(period=Duration.days(1), statistic="Sum"),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        fix_logical_id(self.failing_alarm, "HoldReviewFailingAlarm")
