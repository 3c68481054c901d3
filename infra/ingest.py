"""Ingest and recognition: uploads bucket raw/ -> SQS (with DLQ) -> the recognize function."""

from __future__ import annotations

import jsii
from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_s3 import IBucketRef
from constructs import Construct

from alpr import names
from alpr.names import Env, Function, Output
from infra.build_assets import Assets
from infra.functions import AlprFunction
from infra.naming import fix_logical_id, output
from infra.storage import Storage

RECOGNIZE_TIMEOUT = Duration.seconds(60)
# Lambda gives one full vCPU at 1,769 MB, and inference runs one thread (RECOGNIZE_ORT_THREADS):
# more memory bought CPU it could not use (2,048 MB billed 16 % more for the same time; the
# engine peaks near 215 MB). bench/cost.py prices it.
RECOGNIZE_MEMORY_MB = 1769
RECOGNIZE_ORT_THREADS = 1  # more intra-op threads than vCPUs only contend
BATCH_SIZE = names.INGEST_BATCH_SIZE
MAX_RECEIVES = names.INGEST_MAX_RECEIVES  # then the message goes to the dead-letter queue
# `-c plate_support_score=0.5`: the detector's score below which recognize reports no reading (the
# department's choice, docs/recognition.md steps 35, 36 and 38); unset, the engine's own.
PLATE_SUPPORT_CONTEXT = "plate_support_score"


class Ingest(Construct):
    """The queue between S3 and recognition, and the recognize function on it."""

    def __init__(
        self, scope: Construct, construct_id: str, *, storage: Storage, assets: Assets, retention_days: int
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=storage.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        fix_logical_id(self.dead_letter_queue, "IngestDeadLetterQueue")
        output(
            self, Output.INGEST_DEAD_LETTER_QUEUE, self.dead_letter_queue.queue_url
        )  # `alpr ingest redrive`
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=storage.key,
            enforce_ssl=True,
            # AWS guidance for Lambda event sources: six times the function timeout.
            visibility_timeout=Duration.seconds(RECOGNIZE_TIMEOUT.to_seconds() * 6),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVES, queue=self.dead_letter_queue
            ),
        )
        fix_logical_id(self.queue, "IngestQueue")
        # A message here is an upload recognition gave up on after MAX_RECEIVES tries: a read
        # that will never be stored unless someone looks and redrives it within 14 days.
        self.dead_letter_alarm = cloudwatch.Alarm(
            self,
            "DeadLetterAlarm",
            alarm_description=(
                "Uploads that recognize failed on wait in the ingest dead-letter queue. Read the "
                "recognize logs for the cause, then redrive them to the ingest queue within 14 days."
            ),
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        fix_logical_id(self.dead_letter_alarm, "IngestDeadLetterAlarm")
        storage.uploads.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            KeyedQueueDestination(self.queue, storage.key),
            s3.NotificationKeyFilter(prefix=names.RAW_PREFIX),
        )

        self.recognize = AlprFunction(
            self,
            "Recognize",
            service=Function.RECOGNIZE,
            key=storage.key,
            retention_days=retention_days,
            memory_size=RECOGNIZE_MEMORY_MB,
            timeout=RECOGNIZE_TIMEOUT,
            # Built for the function's architecture even on an arm64 laptop.
            image=lambda_.DockerImageCode.from_image_asset(
                str(assets.recognize_image), platform=ecr_assets.Platform.LINUX_AMD64
            ),
            environment={
                Env.MODELS_DIR.value: names.MODELS_LAYER_DIR,
                Env.ORT_THREADS.value: str(RECOGNIZE_ORT_THREADS),
            },
        )
        fix_logical_id(self.recognize.function, "RecognizeFunction")
        support_score = self._support_score()
        if support_score is not None:
            self.recognize.set_env(Env.PLATE_SUPPORT_SCORE, str(support_score))
        fn = self.recognize
        fn.read_objects(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.RAW_PREFIX,
            reason="Reads the uploaded images it is told about; their keys are made per upload, "
            "so the permission is on the raw/ prefix.",
        )
        fn.write_objects(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.CROPS_PREFIX,
            reason="Writes each read's plate crop as crops/<read_id>.jpg; read ids are new per read, "
            "so the permission is on the crops/ prefix.",
        )
        fn.write_objects(
            storage.quarantine,
            Env.QUARANTINE_BUCKET,
            prefix=names.QUARANTINE_PREFIX,
            reason="Writes a rejected upload and its reason under quarantine/; keys follow the upload's key.",
        )
        fn.delete_objects(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.RAW_PREFIX,
            reason="Removes a quarantined upload from raw/ once its copy and reason are stored; "
            "versioning keeps the old version until the lifecycle expires it.",
        )
        fn.delete_object_versions(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.RAW_PREFIX,
            reason="Finds an upload that replaced an earlier image of its key (raw/ keys are per "
            "upload) and removes that version alone once quarantined, so the original is current again.",
        )
        fn.read_write_table(storage.reads, Env.READS_TABLE)
        fn.read_write_table(storage.plates, Env.PLATES_TABLE)
        fn.read_write_table(storage.plate_grams, Env.PLATE_GRAMS_TABLE)
        fn.read_table(storage.hotlist, Env.HOTLIST_TABLE, indexes=[names.HOTLIST_OCR_INDEX])
        fn.read_write_table(storage.alerts, Env.ALERTS_TABLE)
        fn.function.add_event_source(
            sources.SqsEventSource(self.queue, batch_size=BATCH_SIZE, report_batch_item_failures=True)
        )

    def _support_score(self) -> float | None:
        """The department's plate support score (None: unset), checked at synth."""
        value = self.node.try_get_context(PLATE_SUPPORT_CONTEXT)
        if value is None:
            return None
        score = float(value)
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"{PLATE_SUPPORT_CONTEXT} must be between 0 and 1, not {value}")
        return score


@jsii.implements(s3.IBucketNotificationDestination)
class KeyedQueueDestination:
    """S3 -> SQS on a queue encrypted with the key that also encrypts the bucket.

    CDK's SqsDestination scopes the key-policy grant to the bucket's ARN; with one key for
    both, the key would refer to the bucket that refers to the key (a cycle CloudFormation
    refuses). The queue policy stays scoped to the bucket; the key grant is scoped to this
    account's S3.
    """

    def __init__(self, queue: sqs.Queue, key: kms.IKey) -> None:
        self.queue = queue
        self.key = key

    def bind(self, scope: Construct, bucket: IBucketRef) -> s3.BucketNotificationDestinationConfig:
        s3_service = iam.ServicePrincipal("s3.amazonaws.com")
        added = self.queue.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[s3_service],
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[self.queue.queue_arn],
                conditions={"ArnLike": {"aws:SourceArn": bucket.bucket_ref.bucket_arn}},
            )
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[s3_service],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        return s3.BucketNotificationDestinationConfig(
            arn=self.queue.queue_arn,
            type=s3.BucketNotificationDestinationType.QUEUE,
            dependencies=[added.policy_dependable] if added.policy_dependable else None,
        )
