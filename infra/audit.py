"""The audit (DESIGN.md, flow 7): the access log catalogued in Glue, the Athena workgroup with the
audit plan's named queries, the CloudTrail trail over the ALPR buckets and tables with its own
table and queries, and the managed policy the department's auditors are given.

Context (`-c key=value`): `audit_trail_regions` (comma-separated: the regions the trail table
projects; default, the regions every account has enabled).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin

from aws_cdk import Aws, Duration
from aws_cdk import aws_athena as athena
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from alpr import names
from alpr.domain.access import AccessRecord
from alpr.domain.account_reviews import AccountReviewLine
from alpr.domain.audit import (
    ACCESS_LOG_TABLE,
    ACCOUNT_REVIEWS_TABLE,
    AUDIT_DATABASE,
    CLOUDTRAIL_QUERIES,
    CLOUDTRAIL_TABLE,
    NAMED_QUERIES,
    RETENTION_REPORTS_TABLE,
    REVIEWS_TABLE,
    NamedQuery,
)
from alpr.domain.retention_report import ReportLine
from alpr.domain.reviews import ReviewLine
from alpr.names import Output
from infra.nag import acknowledge
from infra.naming import fix_logical_id, output
from infra.storage import Storage

RESULTS_DAYS = 30  # query results hold personal data (names, plates, purposes): a month to read them
PROJECTION_START = "2024-01-01"  # the first day the partition projections list
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
HIVE_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
CLOUDTRAIL_SERDE = "com.amazon.emr.hive.serde.CloudTrailSerde"
CLOUDTRAIL_INPUT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
CLOUDTRAIL = iam.ServicePrincipal("cloudtrail.amazonaws.com")
# The trail is multi-region (sign-ins, IAM and activity in any region); the table projects these.
DEFAULT_TRAIL_REGIONS = (
    "us-east-1,us-east-2,us-west-1,us-west-2,ca-central-1,sa-east-1,eu-west-1,eu-west-2,eu-west-3,"
    "eu-central-1,eu-north-1,ap-south-1,ap-northeast-1,ap-northeast-2,ap-northeast-3,ap-southeast-1,"
    "ap-southeast-2"
)

# The columns of AWS's "Create the table for CloudTrail logs in Athena using partition projection".
_USER_IDENTITY = (
    "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,"
    "accesskeyid:string,username:string,onbehalfof:struct<userid:string,identitystorearn:string>,"
    "sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,"
    "sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,"
    "ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,"
    "attributes:map<string,string>>>>"
)
_STRINGS_1 = [
    "eventtime",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "requestid",
    "eventid",
    "readonly",
]
_STRINGS_2 = [
    "eventtype",
    "apiversion",
    "recipientaccountid",
    "serviceeventdetails",
    "sharedeventid",
    "vpcendpointid",
    "vpcendpointaccountid",
    "eventcategory",
]
CLOUDTRAIL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventversion", "string"),
    ("useridentity", _USER_IDENTITY),
    *((name, "string") for name in _STRINGS_1),
    ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    *((name, "string") for name in _STRINGS_2),
    (
        "addendum",
        "struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>",
    ),
    ("sessioncredentialfromconsole", "string"),
    ("edgedevicedetails", "string"),
    ("tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"),
)


def hive_type(annotation: Any) -> str:
    """The Athena (Hive DDL) type of an `AccessRecord` field as the OpenX JSON SerDe reads the line."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(annotation) if arg is not type(None)]
        return hive_type(inner)
    if origin is list:
        (item,) = get_args(annotation)
        return f"array<{hive_type(item)}>"
    if origin is dict:
        return "string"  # the SerDe hands a nested object to a string column as its JSON text
    if origin is Literal or annotation in (str, datetime):
        return "string"  # times are ISO 8601 UTC text, which sorts as it reads
    if annotation is int:
        return "int"
    raise TypeError(f"no Hive type for {annotation!r}: map it here when AccessRecord gains such a field")


def access_log_columns() -> list[tuple[str, str]]:
    """(name, type) for every field of `AccessRecord`, in its order: the table cannot drift from it."""
    return [(name, hive_type(field.annotation)) for name, field in AccessRecord.model_fields.items()]


def review_columns() -> list[tuple[str, str]]:
    """(name, type) for every field of `ReviewLine`: the reviews table cannot drift from the writer."""
    return [(name, hive_type(field.annotation)) for name, field in ReviewLine.model_fields.items()]


def retention_report_columns() -> list[tuple[str, str]]:
    """(name, type) for every field of `ReportLine`: the retention reports as the function writes them."""
    return [(name, hive_type(field.annotation)) for name, field in ReportLine.model_fields.items()]


def account_review_columns() -> list[tuple[str, str]]:
    """(name, type) for every field of `AccountReviewLine`: the account reviews table follows the writer."""
    return [(name, hive_type(field.annotation)) for name, field in AccountReviewLine.model_fields.items()]


def _columns(columns: Sequence[tuple[str, str]]) -> list[glue.CfnTable.ColumnProperty]:
    return [glue.CfnTable.ColumnProperty(name=name, type=kind) for name, kind in columns]


def _arn(service: str) -> str:
    """arn:<partition>:<service>:<region>:<account>, the stem of a regional resource's ARN."""
    return f"arn:{Aws.PARTITION}:{service}:{Aws.REGION}:{Aws.ACCOUNT_ID}"


def _query_description(query: NamedQuery) -> str:
    parameters = ", ".join(query.parameters) or "none"
    return f"{query.description} Parameters, in order: {parameters}."


def _daily_projection(column: str, date_format: str, start: str) -> dict[str, str]:
    """Athena partition projection of a date column, one partition per day from start to now."""
    return {
        f"projection.{column}.type": "date",
        f"projection.{column}.format": date_format,
        f"projection.{column}.range": f"{start},NOW",
        f"projection.{column}.interval": "1",
        f"projection.{column}.interval.unit": "DAYS",
    }


class Audit(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        retention_days: int,
        personal_data_buckets: Sequence[s3.Bucket],
        tables: Sequence[dynamodb.Table],
    ) -> None:
        super().__init__(scope, construct_id)
        regions = str(self.node.try_get_context("audit_trail_regions") or DEFAULT_TRAIL_REGIONS)
        key = storage.key

        self.results = storage.data_bucket(
            "AuditResultsBucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-query-results",
                    expiration=Duration.days(RESULTS_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        # Append-only like the access log: no one, root included, deletes a log file inside the retention.
        self.trail_bucket = storage.data_bucket(
            "AuditTrailBucket",
            object_lock=True,
            lock_retention=s3.ObjectLockRetention.compliance(Duration.days(retention_days)),
        )

        self._catalogue(storage.access_log, regions)
        self._workgroup(key.key_arn)
        self._trail(storage, [*personal_data_buckets, self.results], tables)
        self.auditor_policy = self._auditor_policy(storage)

        output(self, Output.AUDIT_WORKGROUP, self.workgroup.ref)
        output(self, Output.AUDIT_DATABASE, self.database.ref)
        output(self, Output.AUDITOR_POLICY, self.auditor_policy.managed_policy_arn)
        output(self, Output.AUDIT_TRAIL_BUCKET, self.trail_bucket.bucket_name)

    @property
    def trail_arn(self) -> str:
        """Built from the fixed name: the key and bucket policies name the trail without a cycle."""
        return f"arn:{Aws.PARTITION}:cloudtrail:{Aws.REGION}:{Aws.ACCOUNT_ID}:trail/{names.AUDIT_TRAIL}"

    @property
    def trail_prefix(self) -> str:
        return f"AWSLogs/{Aws.ACCOUNT_ID}/CloudTrail/"

    def _catalogue(self, access_log: s3.Bucket, regions: str) -> None:
        self.database = glue.CfnDatabase(
            self,
            "AuditDatabase",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=AUDIT_DATABASE, description="The ALPR access log and the CloudTrail trail, for the audit"
            ),
        )
        self.database.override_logical_id("AuditDatabase")

        log = f"s3://{access_log.bucket_name}/{names.ACCESS_LOG_PREFIX}"
        self.access_log_table = self._table(
            "AuditAccessLogGlueTable",
            name=ACCESS_LOG_TABLE,
            description="The access log: one row per access record (alpr.domain.access.AccessRecord)",
            columns=access_log_columns(),
            partitions=(("dt", "string"),),
            location=log,
            projection={
                **_daily_projection("dt", "yyyy-MM-dd", PROJECTION_START),
                "storage.location.template": f"{log}dt=${{dt}}/",
            },
            serde=JSON_SERDE,
            input_format=TEXT_INPUT,
        )
        reviews = f"s3://{access_log.bucket_name}/{names.AUDIT_REVIEWS_PREFIX}"
        self.reviews_table = self._table(
            "AuditReviewsGlueTable",
            name=REVIEWS_TABLE,
            description="The supervisors' weekly reviews: one row per sampled access and its finding "
            "(alpr.domain.reviews.ReviewLine)",
            columns=review_columns(),
            partitions=(("dt", "string"),),
            location=reviews,
            projection={
                **_daily_projection("dt", "yyyy-MM-dd", PROJECTION_START),
                "storage.location.template": f"{reviews}dt=${{dt}}/",
            },
            serde=JSON_SERDE,
            input_format=TEXT_INPUT,
        )
        reports = f"s3://{access_log.bucket_name}/{names.RETENTION_REPORTS_PREFIX}"
        self.retention_reports_table = self._table(
            "AuditRetentionReportsGlueTable",
            name=RETENTION_REPORTS_TABLE,
            description="The daily retention reports: per kind (reads, images, crops) purged, held and "
            "due (alpr.domain.retention_report.ReportLine)",
            columns=retention_report_columns(),
            partitions=(("dt", "string"),),
            location=reports,
            projection={
                **_daily_projection("dt", "yyyy-MM-dd", PROJECTION_START),
                "storage.location.template": f"{reports}dt=${{dt}}/",
            },
            serde=JSON_SERDE,
            input_format=TEXT_INPUT,
        )
        accounts = f"s3://{access_log.bucket_name}/{names.ACCOUNT_REVIEWS_PREFIX}"
        self.account_reviews_table = self._table(
            "AuditAccountReviewsGlueTable",
            name=ACCOUNT_REVIEWS_TABLE,
            description="The yearly account reviews: one row per account as it stood, and its finding "
            "(alpr.domain.account_reviews.AccountReviewLine)",
            columns=account_review_columns(),
            partitions=(("dt", "string"),),
            location=accounts,
            projection={
                **_daily_projection("dt", "yyyy-MM-dd", PROJECTION_START),
                "storage.location.template": f"{accounts}dt=${{dt}}/",
            },
            serde=JSON_SERDE,
            input_format=TEXT_INPUT,
        )
        trail = f"s3://{self.trail_bucket.bucket_name}/{self.trail_prefix}"
        self.cloudtrail_table = self._table(
            "AuditCloudTrailGlueTable",
            name=CLOUDTRAIL_TABLE,
            description="The CloudTrail trail's events (management events and the ALPR data events)",
            columns=CLOUDTRAIL_COLUMNS,
            partitions=(("region", "string"), ("timestamp", "string")),
            location=trail,
            projection={
                "projection.region.type": "enum",
                "projection.region.values": regions,
                **_daily_projection("timestamp", "yyyy/MM/dd", PROJECTION_START.replace("-", "/")),
                "storage.location.template": f"{trail}${{region}}/${{timestamp}}",
            },
            serde=CLOUDTRAIL_SERDE,
            input_format=CLOUDTRAIL_INPUT,
        )

    def _table(
        self,
        logical_id: str,
        *,
        name: str,
        description: str,
        columns: Sequence[tuple[str, str]],
        partitions: Sequence[tuple[str, str]],
        location: str,
        projection: dict[str, str],
        serde: str,
        input_format: str,
    ) -> glue.CfnTable:
        table = glue.CfnTable(
            self,
            logical_id,
            catalog_id=Aws.ACCOUNT_ID,
            database_name=self.database.ref,
            table_input=glue.CfnTable.TableInputProperty(
                name=name,
                description=description,
                table_type="EXTERNAL_TABLE",
                # Partition projection: Athena lists the days itself, no crawler or ADD PARTITION.
                parameters={"EXTERNAL": "TRUE", "projection.enabled": "true", **projection},
                partition_keys=_columns(partitions),
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns(columns),
                    location=location,
                    input_format=input_format,
                    output_format=HIVE_OUTPUT,
                    serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=serde),
                ),
            ),
        )
        table.override_logical_id(logical_id)
        return table

    def _workgroup(self, key_arn: str) -> None:
        self.workgroup = athena.CfnWorkGroup(
            self,
            "AuditWorkGroup",
            name=names.AUDIT_WORKGROUP,
            description="The ALPR audit: the access log and the CloudTrail trail",
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                # Queries cannot send their results (personal data) anywhere but the results bucket.
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results.bucket_name}/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key_arn
                    ),
                ),
            ),
        )
        self.workgroup.override_logical_id("AuditWorkGroup")
        # The catalogue's SQL, not a copy: locally the same entries run in DuckDB.
        for query in (*NAMED_QUERIES, *CLOUDTRAIL_QUERIES):
            named = athena.CfnNamedQuery(
                self,
                f"Query-{query.name}",
                name=query.name,
                description=_query_description(query),
                database=self.database.ref,
                query_string=query.sql,
                work_group=self.workgroup.ref,
            )
            named.node.add_dependency(self.workgroup, self.database)

    def _trail(
        self, storage: Storage, buckets: Sequence[s3.Bucket], tables: Sequence[dynamodb.Table]
    ) -> None:
        trail_arn = self.trail_arn
        on_this_trail = {"aws:SourceArn": trail_arn}
        storage.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailEncryptsTheAuditTrail",
                principals=[CLOUDTRAIL],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": on_this_trail,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:{Aws.PARTITION}:cloudtrail:*:{Aws.ACCOUNT_ID}:trail/*"
                        )
                    },
                },
            )
        )
        storage.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudTrailDescribesTheKey",
                principals=[CLOUDTRAIL],
                actions=["kms:DescribeKey"],
                resources=["*"],
                conditions={"StringEquals": on_this_trail},
            )
        )
        self.trail_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[CLOUDTRAIL],
                actions=["s3:GetBucketAcl"],
                resources=[self.trail_bucket.bucket_arn],
                conditions={"StringEquals": on_this_trail},
            )
        )
        self.trail_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[CLOUDTRAIL],
                actions=["s3:PutObject"],
                resources=[self.trail_bucket.arn_for_objects(f"AWSLogs/{Aws.ACCOUNT_ID}/*")],
                conditions={"StringEquals": {**on_this_trail, "s3:x-amz-acl": "bucket-owner-full-control"}},
            )
        )

        def field(name: str, **condition: list[str]) -> cloudtrail.CfnTrail.AdvancedFieldSelectorProperty:
            return cloudtrail.CfnTrail.AdvancedFieldSelectorProperty(field=name, **condition)

        def selector(
            name: str, *fields: cloudtrail.CfnTrail.AdvancedFieldSelectorProperty
        ) -> cloudtrail.CfnTrail.AdvancedEventSelectorProperty:
            return cloudtrail.CfnTrail.AdvancedEventSelectorProperty(name=name, field_selectors=list(fields))

        data = field("eventCategory", equal_to=["Data"])
        objects = field("resources.type", equal_to=["AWS::S3::Object"])
        self.trail = cloudtrail.CfnTrail(
            self,
            "AuditTrail",
            trail_name=names.AUDIT_TRAIL,
            is_logging=True,
            s3_bucket_name=self.trail_bucket.bucket_name,
            kms_key_id=storage.key.key_arn,
            enable_log_file_validation=True,
            # Multi-region: console sign-ins, IAM and anything started in another region are on record.
            is_multi_region_trail=True,
            include_global_service_events=True,
            advanced_event_selectors=[
                selector(
                    "Management events, read and write", field("eventCategory", equal_to=["Management"])
                ),
                selector(
                    "Objects of the buckets that hold ALPR data",
                    data,
                    objects,
                    field("resources.ARN", starts_with=[f"{bucket.bucket_arn}/" for bucket in buckets]),
                ),
                selector(
                    "Items of the ALPR tables",
                    data,
                    field("resources.type", equal_to=["AWS::DynamoDB::Table"]),
                    field("resources.ARN", equal_to=[table.table_arn for table in tables]),
                ),
                # Reads and tampering of the trail's own files; not CloudTrail's deliveries (a loop).
                selector(
                    "Trail log files, but for their delivery",
                    data,
                    objects,
                    field("resources.ARN", starts_with=[f"{self.trail_bucket.bucket_arn}/"]),
                    field("eventName", not_equals=["PutObject"]),
                ),
            ],
        )
        self.trail.override_logical_id("AuditTrail")
        # CloudTrail checks the bucket policy when the trail is created.
        assert self.trail_bucket.policy is not None
        self.trail.node.add_dependency(self.trail_bucket.policy)

    def _auditor_policy(self, storage: Storage) -> iam.ManagedPolicy:
        glue_arn = _arn("glue")
        access_log, trail, results = storage.access_log, self.trail_bucket, self.results
        log_objects = f"{names.ACCESS_LOG_PREFIX}*"
        review_objects = f"{names.AUDIT_REVIEWS_PREFIX}*"
        report_objects = f"{names.RETENTION_REPORTS_PREFIX}*"
        trail_objects = f"AWSLogs/{Aws.ACCOUNT_ID}/*"
        policy = iam.ManagedPolicy(
            self,
            "AuditorPolicy",
            description=(
                "ALPR auditors: run the audit queries in the audit workgroup over the access log and "
                "the CloudTrail trail; read-only on both logs"
            ),
            statements=[
                iam.PolicyStatement(
                    sid="QueriesInTheAuditWorkgroup",
                    actions=[
                        "athena:StartQueryExecution",
                        "athena:StopQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:BatchGetQueryExecution",
                        "athena:ListQueryExecutions",
                        "athena:GetQueryResults",
                        "athena:GetQueryRuntimeStatistics",
                        "athena:GetNamedQuery",
                        "athena:BatchGetNamedQuery",
                        "athena:ListNamedQueries",
                        "athena:GetWorkGroup",
                    ],
                    resources=[f"{_arn('athena')}:workgroup/{names.AUDIT_WORKGROUP}"],
                ),
                iam.PolicyStatement(
                    sid="ReadTheAuditCatalogue",
                    actions=["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"],
                    resources=[
                        f"{glue_arn}:catalog",
                        f"{glue_arn}:database/{AUDIT_DATABASE}",
                        f"{glue_arn}:table/{AUDIT_DATABASE}/{ACCESS_LOG_TABLE}",
                        f"{glue_arn}:table/{AUDIT_DATABASE}/{CLOUDTRAIL_TABLE}",
                        f"{glue_arn}:table/{AUDIT_DATABASE}/{REVIEWS_TABLE}",
                        f"{glue_arn}:table/{AUDIT_DATABASE}/{RETENTION_REPORTS_TABLE}",
                        f"{glue_arn}:table/{AUDIT_DATABASE}/{ACCOUNT_REVIEWS_TABLE}",
                    ],
                ),
                iam.PolicyStatement(
                    sid="ReadTheLogs",
                    actions=["s3:GetObject"],
                    resources=[
                        access_log.arn_for_objects(log_objects),
                        access_log.arn_for_objects(review_objects),
                        access_log.arn_for_objects(report_objects),
                        trail.arn_for_objects(trail_objects),
                    ],
                ),
                iam.PolicyStatement(
                    sid="ListTheAccessLog",
                    actions=["s3:ListBucket"],
                    resources=[access_log.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [log_objects, review_objects, report_objects]}},
                ),
                iam.PolicyStatement(
                    sid="ListTheTrail",
                    actions=["s3:ListBucket"],
                    resources=[trail.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [trail_objects]}},
                ),
                iam.PolicyStatement(
                    sid="QueryResults",
                    actions=[
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    resources=[results.arn_for_objects("*")],
                ),
                iam.PolicyStatement(
                    sid="LocateAndListTheResults",
                    actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                    resources=[results.bucket_arn],
                ),
                iam.PolicyStatement(
                    sid="LocateTheLogs",
                    actions=["s3:GetBucketLocation"],
                    resources=[access_log.bucket_arn, trail.bucket_arn],
                ),
                # `aws cloudtrail validate-logs`: the trail's description and the public keys that
                # signed its digest files (the digests themselves are read above).
                iam.PolicyStatement(
                    sid="ValidateTheTrailsDigests",
                    actions=["cloudtrail:DescribeTrails", "cloudtrail:ListPublicKeys"],
                    resources=["*"],
                ),
                # The logs and the results are SSE-KMS with the data key: usable only through S3,
                # and S3 only serves the objects above.
                iam.PolicyStatement(
                    sid="TheDataKeyThroughS3",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[storage.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
                ),
            ],
        )
        fix_logical_id(policy, "AuditorPolicy")
        for resource, reason in (
            (
                f"<AccessLogBucket.Arn>/{log_objects}",
                "Auditors read the access log, one object per record under access-log/dt=YYYY-MM-DD/; "
                "read only: no put, delete, retention or legal-hold action is granted on the bucket.",
            ),
            (
                f"<AccessLogBucket.Arn>/{review_objects}",
                "Auditors read the supervisors' weekly reviews, one object per review under "
                "audit-reviews/dt=YYYY-MM-DD/; read only, and locked like the log.",
            ),
            (
                f"<AccessLogBucket.Arn>/{report_objects}",
                "Auditors read the daily retention reports under retention-reports/dt=YYYY-MM-DD/; "
                "read only, and locked like the log.",
            ),
            (
                "<AuditTrailBucket.Arn>/AWSLogs/<AWS::AccountId>/*",
                "Auditors read the trail's log and digest files, keyed by region and day under this "
                "account's AWSLogs/ prefix; read only, the files are also under a COMPLIANCE lock.",
            ),
            (
                "*",
                "cloudtrail:ListPublicKeys is account-level and cloudtrail:DescribeTrails takes no "
                "trail ARN: both read metadata only, and `aws cloudtrail validate-logs` needs them to "
                "check the trail's signed digests.",
            ),
            (
                "<AuditResultsBucket.Arn>/*",
                "Athena writes each query's results under a key named by its execution id, with the "
                f"caller's credentials; the bucket holds nothing else and expires results after {RESULTS_DAYS} days.",
            ),
        ):
            acknowledge(policy, f"AwsSolutions-IAM5[Resource::{resource}]", reason)
        return policy
