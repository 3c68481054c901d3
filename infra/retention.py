"""Destruction on record (issue 21, policy 439.3.1(f)): the retention report function and its feeds.

The Reads table's stream (keys only) brings the reads DynamoDB TTL removed; the uploads bucket's
lifecycle deletions of raw/ images and crops/ arrive through a queue; a daily schedule writes the
report of the day before. Purge tallies and reports go beside the access log, under its lock:
the function may put under those two prefixes, list the tallies and read them, and scan the Reads
table (a projection without plates or places), nothing else.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from alpr import names
from alpr.domain.retention_report import TTL_PRINCIPAL
from alpr.names import Env, Function
from infra.build_assets import Assets
from infra.functions import KEY_DECRYPT, layered_function, run_on_schedule
from infra.ingest import KeyedQueueDestination
from infra.layers import Layers
from infra.nag import acknowledge, checkov_skip
from infra.naming import fix_logical_id
from infra.storage import Storage

REPORT_SCHEDULE = events.Schedule.cron(minute="30", hour="0")  # daily, 00:30 UTC: the day before
REPORT_TIMEOUT = Duration.minutes(15)  # the census scans the Reads table (docs/audit.md: its scale)
LIFECYCLE_BATCH = 1000  # a few tallies a day, not one per object
MAX_RECEIVES = 5


class RetentionRecord(Construct):
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
        self.key = storage.key
        self.report = layered_function(
            self,
            "RetentionReport",
            service=Function.RETENTION_REPORT,
            assets=assets,
            key=storage.key,
            layer=layers.alpr,
            retention_days=retention_days,
            memory_size=512,
            timeout=REPORT_TIMEOUT,
            logical_id="RetentionReportFunction",
        )
        fn = self.report
        # The census: a keys-and-dates projection of every read.
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:Scan"], resources=[storage.reads.table_arn])
        )
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(KEY_DECRYPT), resources=[storage.key.key_arn])
        )
        fn.set_env(Env.READS_TABLE, storage.reads.table_name)
        fn.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.RETENTION_REPORTS_PREFIX,
            reason="Writes one retention report a day under retention-reports/dt=<day>/, once "
            "(If-None-Match); the bucket's COMPLIANCE lock keeps it.",
        )
        fn.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.RETENTION_TALLIES_PREFIX,
            reason="Writes the purge tallies, one per batch of destruction events, under "
            "retention-tallies/dt=<day>/, once (If-None-Match).",
        )
        fn.read_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.RETENTION_TALLIES_PREFIX,
            reason="Reads the day's purge tallies to sum them into the report; never the access log.",
        )
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[storage.access_log.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{names.RETENTION_TALLIES_PREFIX}*"]}},
            )
        )

        # Reads purged: the stream's REMOVE records made by TTL (the filter drops everything else).
        fn.function.add_event_source(
            sources.DynamoEventSource(
                storage.reads,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=1000,
                max_batching_window=Duration.minutes(5),
                # No bisecting: a retried batch is the same batch, so its tally key is the same.
                retry_attempts=10,
                on_failure=sources.SqsDlq(self._failed_queue("RetentionStreamFailedQueue", data_key=False)),
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": lambda_.FilterRule.is_equal("REMOVE"),
                            "userIdentity": {
                                "type": lambda_.FilterRule.is_equal("Service"),
                                "principalId": lambda_.FilterRule.is_equal(TTL_PRINCIPAL),
                            },
                        }
                    )
                ],
            )
        )

        # Images and crops purged: the version the lifecycle deleted (not the delete marker before it).
        # Object keys (crops/<read id>.jpg, raw/<unit>/...), moved here by SQS itself: the data key.
        self.lifecycle_failed = self._failed_queue("RetentionLifecycleDeadLetterQueue", data_key=True)
        self.lifecycle_queue = sqs.Queue(
            self,
            "LifecycleQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=storage.key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(REPORT_TIMEOUT.to_seconds() * 6),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVES, queue=self.lifecycle_failed
            ),
        )
        fix_logical_id(self.lifecycle_queue, "RetentionLifecycleQueue")
        for prefix in (names.RAW_PREFIX, names.CROPS_PREFIX):
            storage.uploads.add_event_notification(
                s3.EventType.LIFECYCLE_EXPIRATION_DELETE,
                KeyedQueueDestination(self.lifecycle_queue, storage.key),
                s3.NotificationKeyFilter(prefix=prefix),
            )
        consume = fn.function.add_event_source_mapping(
            "LifecycleQueueMapping",
            event_source_arn=self.lifecycle_queue.queue_arn,
            batch_size=LIFECYCLE_BATCH,
            max_batching_window=Duration.minutes(5),
        )
        self.lifecycle_queue.grant_consume_messages(fn.function)
        # S3 sends a test event when the notification is set: the function is there to take it, so
        # nothing waits in the queue for ever (locally too, where moto delivers on arrival only).
        storage.uploads.node.find_child("Notifications").node.add_dependency(consume)

        run_on_schedule(self, "RetentionReportSchedule", fn, REPORT_SCHEDULE)

    def _failed_queue(self, logical_id: str, *, data_key: bool) -> sqs.Queue:
        """Where destruction events the function gave up on wait 14 days to be replayed."""
        queue = sqs.Queue(
            self,
            logical_id,
            encryption=sqs.QueueEncryption.KMS if data_key else sqs.QueueEncryption.SQS_MANAGED,
            encryption_master_key=self.key if data_key else None,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        fix_logical_id(queue, logical_id)
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            "It is the dead-letter destination itself: where destruction events the function gave up on wait.",
        )
        if not data_key:
            checkov_skip(
                queue,
                "CKV_AWS_27",
                "Encrypted by SQS (SSE-SQS), not the data key: an on-failure record names the stream's "
                "shard and sequence numbers, never a read.",
            )
        return queue
