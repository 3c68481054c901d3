"""Hotlists and alerts: the hotlist bucket, the import function on it, the alerts topic, the
stale-list alarm, and what recognize needs to match reads and send alerts.

Context (`-c key=value`): `hotlist_max_age_hours` (default 24), `hotlist_entry_max_days`
(default 30), `hotlist_refused_categories` (default `immigration_violator`, comma-separated).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from constructs import Construct

from alpr import names
from alpr.names import Env, Function, Output
from infra.build_assets import Assets
from infra.functions import KEY_ENCRYPT, AlprFunction, zip_code
from infra.layers import Layers
from infra.naming import fix_logical_id, output
from infra.storage import Storage

IMPORT_TIMEOUT = Duration.minutes(15)  # a national extract of ~2 million lines
IMPORT_MEMORY_MB = 3008
DEFAULTS = {
    "hotlist_max_age_hours": "24",
    "hotlist_entry_max_days": "30",
    "hotlist_refused_categories": "immigration_violator",  # California Values Act (Gov. Code § 7284.6)
}
STALE_METRIC = "HotlistStaleLists"


class Hotlists(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        layers: Layers,
        assets: Assets,
        retention_days: int,
        recognize: AlprFunction,
        api_function: AlprFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        context = {k: str(self.node.try_get_context(k) or v) for k, v in DEFAULTS.items()}
        settings_env = {
            Env.HOTLIST_MAX_AGE_HOURS.value: context["hotlist_max_age_hours"],
            Env.HOTLIST_ENTRY_MAX_DAYS.value: context["hotlist_entry_max_days"],
            Env.HOTLIST_REFUSED_CATEGORIES.value: context["hotlist_refused_categories"],
        }

        self.bucket = storage.data_bucket(
            "HotlistBucket",
            lifecycle_rules=[
                # Replaced list versions are deleted by the import; their object versions go a week later.
                s3.LifecycleRule(
                    id="expire-replaced-versions", noncurrent_version_expiration=Duration.days(7)
                ),
            ],
        )
        self.topic = sns.Topic(
            self,
            "AlertsTopic",
            display_name="ALPR hotlist alerts",
            master_key=storage.key,
            enforce_ssl=True,
        )
        fix_logical_id(self.topic, "AlertsTopic")

        self.importer = AlprFunction(
            self,
            "HotlistImportFunction",
            service=Function.HOTLIST_IMPORT,
            key=storage.key,
            retention_days=retention_days,
            memory_size=IMPORT_MEMORY_MB,
            timeout=IMPORT_TIMEOUT,
            code=zip_code(assets, Function.HOTLIST_IMPORT),
            layers=[layers.alpr],
            environment=settings_env,
        )
        fix_logical_id(self.importer.function, "HotlistImportFunction")
        fn = self.importer
        fn.read_objects(
            self.bucket,
            Env.HOTLIST_BUCKET,
            prefix=names.HOTLIST_INCOMING_PREFIX,
            reason="Reads the extracts dropped under incoming/<SOURCE>/; their names are the sender's.",
        )
        for prefix, why in (
            (
                names.HOTLIST_SNAPSHOT_PREFIX,
                "Writes each compiled list version as a new key under snapshots/.",
            ),
            (names.HOTLIST_REPORT_PREFIX, "Writes the import report of each dropped file under reports/."),
        ):
            fn.write_objects(self.bucket, Env.HOTLIST_BUCKET, prefix=prefix, reason=why)
        fn.delete_objects(
            self.bucket,
            Env.HOTLIST_BUCKET,
            prefix=names.HOTLIST_SNAPSHOT_PREFIX,
            reason="Deletes list versions older than the one before the current (keys are per version).",
        )
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{names.HOTLIST_SNAPSHOT_PREFIX}*"]}},
            )
        )
        fn.read_write_table(storage.hotlist, Env.HOTLIST_TABLE)
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(fn.function),
            s3.NotificationKeyFilter(prefix=names.HOTLIST_INCOMING_PREFIX),
        )

        # recognize: load the current list versions, write alerts, publish them.
        recognize.read_objects(
            self.bucket,
            Env.HOTLIST_BUCKET,
            prefix=names.HOTLIST_SNAPSHOT_PREFIX,
            reason="Loads the current compiled list versions; keys are per version.",
        )
        # Not topic.grant_publish: it grants kms:GenerateDataKey*, wider than publishing needs.
        recognize.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn])
        )
        # Who a notification reached goes into its delivery record (`alerts:notify`, issue 22).
        recognize.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:ListSubscriptionsByTopic"], resources=[self.topic.topic_arn])
        )
        recognize.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.ACCESS_LOG_PREFIX,
            reason="Appends one delivery record per alert notification under access-log/dt=YYYY-MM-DD/; "
            "each record is a new key.",
        )
        recognize.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(KEY_ENCRYPT), resources=[storage.key.key_arn])
        )
        recognize.set_env(Env.ALERTS_TOPIC, self.topic.topic_arn)
        for name, value in settings_env.items():
            recognize.function.add_environment(name, value)
            api_function.function.add_environment(name, value)

        # The health metric: recognize counts stale imported lists at every batch.
        self.stale_alarm = cloudwatch.Alarm(
            self,
            "HotlistStaleAlarm",
            alarm_description=(
                "An imported hotlist is older than hotlist_max_age_hours: its hits are marked stale. "
                "Check the import (reports/ in the hotlist bucket)."
            ),
            metric=cloudwatch.Metric(
                namespace=names.METRICS_NAMESPACE,
                metric_name=STALE_METRIC,
                dimensions_map={"service": Function.RECOGNIZE.value},
                statistic="Maximum",
                period=Duration.minutes(15),
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        output(self, Output.HOTLIST_BUCKET, self.bucket.bucket_name)
        output(self, Output.ALERTS_TOPIC, self.topic.topic_arn)
