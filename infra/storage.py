"""Storage: the one data key, the buckets and the tables of the data model (DESIGN.md)."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from alpr import names
from alpr.names import Output
from infra.nag import acknowledge, checkov_skip
from infra.naming import fix_logical_id, output

STRING = dynamodb.AttributeType.STRING


class Storage(Construct):
    """KMS key, buckets and tables; everything that holds data is retained on stack deletion."""

    def __init__(self, scope: Construct, construct_id: str, *, retention_days: int) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "DataKey",
            description="ALPR data at rest: buckets, tables, queues, logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        fix_logical_id(self.key, "DataKey")
        # CloudWatch Logs encrypts the function and API log groups with the same key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )

        # S3 cannot deliver server access logs to an SSE-KMS bucket: this one uses SSE-S3.
        self.server_access_logs = s3.Bucket(
            self,
            "ServerAccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-server-access-logs", expiration=Duration.days(retention_days))
            ],
        )
        fix_logical_id(self.server_access_logs, "ServerAccessLogsBucket")
        acknowledge(
            self.server_access_logs,
            "AwsSolutions-S1",
            "This is the destination of the other buckets' server access logs; logging it into itself "
            "would log its own log deliveries without end.",
        )
        checkov_skip(
            self.server_access_logs,
            "CKV_AWS_18",
            "This is the destination of the other buckets' server access logs; logging it into itself "
            "would log its own log deliveries without end.",
        )

        # Object Lock is on wherever a legal hold or an append-only record must stick.
        self.uploads = self.data_bucket(
            "UploadsBucket",
            object_lock=True,  # a legal hold locks the raw image of a held read (DESIGN.md, flow 5)
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-raw-images",
                    prefix=names.RAW_PREFIX,
                    expiration=Duration.days(retention_days),
                    # Once expired, the old version goes a day later, unless a legal hold keeps it.
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                # Plate crops (crops/<read_id>.jpg, written by recognize) are ALPR data too.
                s3.LifecycleRule(
                    id="expire-plate-crops",
                    prefix=names.CROPS_PREFIX,
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                ),
            ],
        )
        self.quarantine = self.data_bucket(
            "QuarantineBucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-quarantined-uploads",
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )
        self.evidence = self.data_bucket("EvidenceBucket", object_lock=True)  # holds are per object
        self.access_log = self.data_bucket(
            "AccessLogBucket",
            object_lock=True,
            # Append-only: no one, root included, deletes an access record inside its retention.
            lock_retention=s3.ObjectLockRetention.compliance(Duration.days(retention_days)),
        )
        # A record is written once: a PutObject that could make a new current version of an
        # existing key (no If-None-Match) is refused, whoever sends it.
        self.access_log.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:PutObject"],
                resources=[self.access_log.arn_for_objects("*")],
                conditions={"Null": {"s3:if-none-match": "true"}},
            )
        )

        # The stream (keys only) tells the retention report which reads TTL purged (issue 21).
        # The indexes keep keys only: a search fetches the reads it found from the table
        # (BatchGetItem), so a read is stored once, not once more per index (issue 23).
        self.reads = self._table(
            "ReadsTable",
            partition_key=names.READ_ID,
            ttl=True,
            stream=dynamodb.StreamViewType.KEYS_ONLY,
            index_projection=dynamodb.ProjectionType.KEYS_ONLY,
            indexes=(
                (names.READS_BY_PLATE_INDEX, names.PLATE, names.READS_TIME_KEY),
                (names.READS_BY_CELL_DAY_INDEX, names.READS_CELL_DAY_KEY, names.READS_TIME_KEY),
                # The fine canvass index (issue 5): small radii read few reads outside the circle.
                (names.READS_BY_CELL7_DAY_INDEX, names.READS_CELL7_DAY_KEY, names.READS_TIME_KEY),
                # Corrections (issue 21): the plates supervisors recorded for misreads, sparse.
                (names.READS_BY_CORRECTED_PLATE_INDEX, names.READS_CORRECTED_PLATE, names.READS_TIME_KEY),
            ),
        )
        # Expires with its newest read (issue 22); the stream tells the prune function what expired.
        self.plates = self._table(
            "PlatesTable", partition_key=names.PLATE, ttl=True, stream=dynamodb.StreamViewType.KEYS_ONLY
        )
        # The dictionary's trigram index: a partial plate reads a few items, not the dictionary.
        self.plate_grams = self._table("PlateGramsTable", partition_key=names.PLATE_GRAM)
        self.hotlist = self._table(
            "HotlistTable",
            partition_key=names.HOTLIST_PK,
            sort_key=names.HOTLIST_SK,
            indexes=((names.HOTLIST_OCR_INDEX, names.HOTLIST_OCR_KEY, names.HOTLIST_SK),),
        )
        self.alerts = self._table(
            "AlertsTable",
            partition_key=names.ALERT_ID,
            ttl=True,
            indexes=((names.ALERTS_BY_STATUS_INDEX, names.ALERT_STATUS, names.ALERT_CREATED_AT),),
        )
        self.personnel = self._table("PersonnelTable", partition_key=names.USERNAME)
        # Account changes awaiting their approver, and the decisions: kept on file (issue 21).
        self.account_proposals = self._table("AccountProposalsTable", partition_key=names.PROPOSAL_ID)
        self.release_requests = self._table("ReleaseRequestsTable", partition_key=names.REQUEST_ID)
        # The register of legal holds (issue 22): a hold by id, and the holds falling due by state.
        self.holds = self._table(
            "HoldsTable",
            partition_key=names.HOLD_ID,
            indexes=((names.HOLDS_BY_STATE_INDEX, names.HOLD_STATE, names.HOLD_DUE),),
        )

        for name, bucket in (
            (Output.UPLOADS_BUCKET, self.uploads),
            (Output.QUARANTINE_BUCKET, self.quarantine),
            (Output.EVIDENCE_BUCKET, self.evidence),
            (Output.ACCESS_LOG_BUCKET, self.access_log),
        ):
            output(self, name, bucket.bucket_name)
        for name, table in (
            (Output.READS_TABLE, self.reads),
            (Output.PLATES_TABLE, self.plates),
            (Output.PLATE_GRAMS_TABLE, self.plate_grams),
            (Output.HOTLIST_TABLE, self.hotlist),
            (Output.ALERTS_TABLE, self.alerts),
            (Output.PERSONNEL_TABLE, self.personnel),
            (Output.ACCOUNT_PROPOSALS_TABLE, self.account_proposals),
            (Output.RELEASE_REQUESTS_TABLE, self.release_requests),
            (Output.HOLDS_TABLE, self.holds),
        ):
            output(self, name, table.table_name)

    def data_bucket(
        self,
        construct_id: str,
        *,
        object_lock: bool = False,
        lock_retention: s3.ObjectLockRetention | None = None,
        lifecycle_rules: list[s3.LifecycleRule] | None = None,
    ) -> s3.Bucket:
        """A bucket for ALPR data: the data key, TLS only, versioned, access-logged, retained,
        with the fixed logical id `construct_id`. Other constructs add theirs through this."""
        bucket = s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            object_lock_enabled=object_lock or None,
            object_lock_default_retention=lock_retention,
            server_access_logs_bucket=self.server_access_logs,
            server_access_logs_prefix=f"{construct_id}/",
            lifecycle_rules=lifecycle_rules,
            removal_policy=RemovalPolicy.RETAIN,
        )
        fix_logical_id(bucket, construct_id)
        return bucket

    def _table(
        self,
        construct_id: str,
        *,
        partition_key: str,
        sort_key: str | None = None,
        ttl: bool = False,
        indexes: tuple[tuple[str, str, str], ...] = (),
        index_projection: dynamodb.ProjectionType = dynamodb.ProjectionType.ALL,
        stream: dynamodb.StreamViewType | None = None,
    ) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(name=partition_key, type=STRING),
            sort_key=dynamodb.Attribute(name=sort_key, type=STRING) if sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute=names.TTL_ATTRIBUTE if ttl else None,
            stream=stream,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index_name, index_pk, index_sk in indexes:
            table.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(name=index_pk, type=STRING),
                sort_key=dynamodb.Attribute(name=index_sk, type=STRING),
                projection_type=index_projection,
            )
        fix_logical_id(table, construct_id)
        return table
