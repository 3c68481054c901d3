"""Oversight: the daily audit watch (issue 21). It lists the supervisors' weekly reviews and the
commander's yearly account reviews (keys only, never the log) and reports how long ago the last
reviewed window ended and the last account review was recorded; an alarm turns red when no review
covers a window that ended in the last 10 days, another when no account review was recorded in the
last 365, and both when the watch itself stops reporting.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from alpr import names
from alpr.domain.account_reviews import ACCOUNT_REVIEW_OVERDUE_DAYS
from alpr.domain.reviews import REVIEW_OVERDUE_DAYS
from alpr.names import Env, Function
from infra.build_assets import Assets
from infra.functions import layered_function, run_on_schedule
from infra.layers import Layers
from infra.naming import fix_logical_id
from infra.storage import Storage

WATCH_SCHEDULE = events.Schedule.cron(minute="15", hour="6")  # daily, 06:15 UTC


class Oversight(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        assets: Assets,
        retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.watch = layered_function(
            self,
            "AuditWatchFunction",
            service=Function.AUDIT_WATCH,
            assets=assets,
            key=storage.key,
            layer=layers.alpr,
            retention_days=retention_days,
            memory_size=256,
            timeout=Duration.seconds(30),
            logical_id="AuditWatchFunction",
        )
        # Keys of the reviews only: ListBucket limited to their prefix (the account reviews' is inside
        # it), no GetObject on the bucket.
        self.watch.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[storage.access_log.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{names.AUDIT_REVIEWS_PREFIX}*"]}},
            )
        )
        self.watch.set_env(Env.ACCESS_LOG_BUCKET, storage.access_log.bucket_name)
        run_on_schedule(self, "AuditWatchSchedule", self.watch, WATCH_SCHEDULE)

        self.review_overdue_alarm = self._age_alarm(
            "ReviewOverdueAlarm",
            names.REVIEW_AGE_METRIC,
            REVIEW_OVERDUE_DAYS,
            f"No supervisor's weekly review covers a window that ended in the last {REVIEW_OVERDUE_DAYS} "
            "days (policy 439.6(c); CJIS weekly audit review), or the daily audit watch stopped "
            "reporting. Record the review: `alpr audit review` or POST /v1/audit/reviews.",
        )
        self.account_review_overdue_alarm = self._age_alarm(
            "AccountReviewOverdueAlarm",
            names.ACCOUNT_REVIEW_AGE_METRIC,
            ACCOUNT_REVIEW_OVERDUE_DAYS,
            f"No yearly account review was recorded in the last {ACCOUNT_REVIEW_OVERDUE_DAYS} days "
            "(CJIS: validate every account at least once a year), or the daily audit watch stopped "
            "reporting. The commander records it: `alpr audit account-review` or "
            "POST /v1/audit/account-reviews.",
        )

    def _age_alarm(
        self, logical_id: str, metric_name: str, limit_days: int, description: str
    ) -> cloudwatch.Alarm:
        """Red when the watch's daily age metric is above `limit_days`, or when the watch did not
        report that day."""
        alarm = cloudwatch.Alarm(
            self,
            logical_id,
            alarm_description=description,
            metric=cloudwatch.Metric(
                namespace=names.METRICS_NAMESPACE,
                metric_name=metric_name,
                dimensions_map={"service": Function.AUDIT_WATCH.value},
                statistic="Maximum",
                period=Duration.days(1),
            ),
            threshold=limit_days,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            # The watch runs daily: a day without its report is itself a reason to look.
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        fix_logical_id(alarm, logical_id)
        return alarm
