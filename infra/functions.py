"""One Lambda function the way every function of the stack is made.

Each gets its own role that starts empty, an explicit KMS-encrypted log group with
retention, X-Ray tracing, and environment variables that come from the resources it is
granted, so a name is never typed twice and a function only knows what it may touch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from alpr.names import MODELS_LAYER_DIR, Env, Function
from infra.build_assets import Assets
from infra.nag import acknowledge, checkov_skip
from infra.naming import fix_logical_id

LOG_RETENTION = logs.RetentionDays.ONE_YEAR  # CJIS: audit records kept at least one year

TABLE_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan")
TABLE_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
# DescribeKey as CDK's own table grants have it: DynamoDB checks the caller's use of a
# customer managed key through it.
KEY_DECRYPT = ("kms:Decrypt", "kms:DescribeKey")
KEY_ENCRYPT = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
# Reserved concurrency per function (issue 19): about what the stage's throttle can feed each,
# summing to 62 so the account keeps its unreserved minimum of 100 out of the default 1000.
RESERVED_CONCURRENCY: dict[Function, int] = {
    Function.API: 25,
    Function.UPLOADS: 15,
    Function.RECOGNIZE: 10,
    Function.RELEASE_RECORD: 2,
    Function.RELEASE_NOTIFY: 2,
    Function.RELEASE_FULFIL: 2,
    Function.HOTLIST_IMPORT: 2,
    Function.PLATE_GRAMS_PRUNE: 1,
    Function.AUDIT_WATCH: 1,
    Function.RETENTION_REPORT: 1,
    Function.HOLD_REVIEW: 1,
}
# Why a function has no dead-letter queue of its own (Checkov CKV_AWS_116): none is invoked
# asynchronously without another place its failure lands.
NO_DLQ_BECAUSE: dict[Function, str] = {
    Function.API: "Invoked synchronously by API Gateway: a failure is the caller's answer (5xx); nothing "
    "is queued to retry.",
    Function.UPLOADS: "Invoked synchronously by API Gateway: a failure is the unit's answer, and its outbox "
    "retries.",
    Function.RECOGNIZE: "Invoked by its SQS event source: a message that keeps failing goes to the ingest "
    "queue's own dead-letter queue, which raises an alarm.",
    Function.RELEASE_RECORD: "Invoked by the release state machine, whose steps retry and catch failures "
    "into the execution's history.",
    Function.RELEASE_NOTIFY: "Invoked by the release state machine, whose steps retry and catch failures "
    "into the execution's history.",
    Function.RELEASE_FULFIL: "Invoked by the release state machine, whose steps retry and catch failures "
    "into the execution's history.",
    Function.HOTLIST_IMPORT: "A failed import leaves the list's current version unchanged, so it goes stale "
    "and the stale-list alarm reports it; the file stays under incoming/ to be imported again.",
    Function.PLATE_GRAMS_PRUNE: "Invoked by the Plates table's stream: a record that keeps failing goes to "
    "the stream source's own dead-letter queue.",
    Function.AUDIT_WATCH: "Invoked daily by an EventBridge schedule: a run that fails reports nothing, and "
    "the overdue-review alarm treats missing reports as breaching, so a failing watch turns it red.",
    Function.RETENTION_REPORT: "Its stream and queue sources have their own dead-letter queues; the daily "
    "schedule retries twice, and a day without a report is visible in the retention-reports query.",
    Function.HOLD_REVIEW: "Invoked daily by an EventBridge schedule (retried twice): a run that fails lapses "
    "nothing, so the holds stay (erring on keeping) and the next day's run lapses them; its errors alarm.",
}
NO_VPC_BECAUSE = (
    "Reaches only AWS service APIs (DynamoDB, S3, KMS, SES, Step Functions) over TLS with IAM-scoped "
    "credentials; there is no network resource to reach in a VPC, and a VPC would add NAT or endpoints "
    "without narrowing what the function can do."
)
# CDK's own deploy-time handler (S3 bucket notifications) runs once per deployment.
DEPLOY_HANDLER_CONCURRENCY = 1


class AlprFunction(Construct):
    """A function with a least-privilege role; grant it resources through the methods below."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: Function,
        key: kms.IKey,
        retention_days: int,
        memory_size: int,
        timeout: Duration,
        code: lambda_.Code | None = None,
        image: lambda_.DockerImageCode | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        environment: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        reserved = RESERVED_CONCURRENCY[service]
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=LOG_RETENTION,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{service.value} function: only what it is granted",
        )
        self.log_group.grant_write(self.role)
        variables = {
            Env.SERVICE.value: service.value,
            Env.RETENTION_DAYS.value: str(retention_days),
            **(environment or {}),
        }
        common: dict[str, Any] = dict(
            role=self.role,
            memory_size=memory_size,
            timeout=timeout,
            architecture=lambda_.Architecture.X86_64,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            environment=variables,
            description=f"ALPR {service.value}",
            # A bound per function: a flood of one kind of request (or a loop) cannot take the
            # account's whole concurrency from the others.
            reserved_concurrent_executions=reserved,
            environment_encryption=key,  # the data key, not Lambda's default AWS-managed key
        )
        if image is not None:
            self.function: lambda_.Function = lambda_.DockerImageFunction(
                self, "Function", code=image, **common
            )
        elif code is not None:
            self.function = lambda_.Function(
                self,
                "Function",
                code=code,
                handler="handler.lambda_handler",
                runtime=lambda_.Runtime.PYTHON_3_11,
                layers=list(layers),
                **common,
            )
            acknowledge(
                self.function,
                "AwsSolutions-L1",
                "Pinned to Python 3.11, the version the project is written and tested for (pyproject, CI, "
                "the local runtime runs these handlers in-process); moving up is a deliberate change.",
            )
        else:
            raise ValueError(f"{service.value}: give either code or image")
        checkov_skip(self.function, "CKV_AWS_116", NO_DLQ_BECAUSE[service])
        checkov_skip(self.function, "CKV_AWS_117", NO_VPC_BECAUSE)
        # The role's X-Ray statement comes from Tracing.ACTIVE.
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions; "
            "Resource * is the only form AWS accepts for them.",
        )

    def use_models(self, layer: lambda_.ILayerVersion) -> None:
        """Attach the models layer and point ALPR_MODELS_DIR at where Lambda unpacks it."""
        self.function.add_layers(layer)
        self.set_env(Env.MODELS_DIR, MODELS_LAYER_DIR)

    def set_env(self, name: Env, value: str) -> None:
        self.function.add_environment(name.value, value)

    def read_table(self, table: dynamodb.Table, env: Env, *, indexes: Sequence[str] = ()) -> None:
        """Read the table (and the named indexes) and learn its name from `env`."""
        self._table(table, env, TABLE_READ, KEY_DECRYPT, indexes)

    def read_write_table(self, table: dynamodb.Table, env: Env, *, indexes: Sequence[str] = ()) -> None:
        """Read and write the table (and query the named indexes) and learn its name from `env`."""
        self._table(table, env, TABLE_READ + TABLE_WRITE, KEY_ENCRYPT, indexes)

    def read_update_table(self, table: dynamodb.Table, env: Env, *, indexes: Sequence[str] = ()) -> None:
        """Get, query and update items of the table (never put, delete or scan them); with indexes,
        also get the items an index query found, in batches (the Reads indexes keep keys only)."""
        batch_get = ("dynamodb:BatchGetItem",) if indexes else ()
        actions = ("dynamodb:GetItem", *batch_get, "dynamodb:Query", "dynamodb:UpdateItem")
        self._table(table, env, actions, KEY_ENCRYPT, indexes)

    def read_put_table(self, table: dynamodb.Table, env: Env, *, indexes: Sequence[str] = ()) -> None:
        """Get and put whole items (and query the named indexes): a register whose entries are
        rewritten whole, never deleted."""
        actions = ("dynamodb:GetItem", "dynamodb:PutItem", *(("dynamodb:Query",) if indexes else ()))
        self._table(table, env, actions, KEY_ENCRYPT, indexes)

    def _table(
        self,
        table: dynamodb.Table,
        env: Env,
        actions: Sequence[str],
        key_actions: Sequence[str],
        indexes: Sequence[str],
    ) -> None:
        resources = [table.table_arn, *(f"{table.table_arn}/index/{index}" for index in indexes)]
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=resources))
        self._use_key(key_actions)
        self.set_env(env, table.table_name)

    def count_items(self, table: dynamodb.Table) -> None:
        """DescribeTable (its item count, for public figures): no item is read."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:DescribeTable"], resources=[table.table_arn])
        )

    def read_objects(self, bucket: s3.Bucket, env: Env, *, prefix: str, reason: str) -> None:
        """GetObject under `prefix` of the bucket; `reason` explains the object wildcard to reviewers."""
        self._objects(bucket, env, ("s3:GetObject", "s3:GetObjectVersion"), KEY_DECRYPT, prefix, reason)

    def write_objects(self, bucket: s3.Bucket, env: Env, *, prefix: str, reason: str) -> None:
        """PutObject under `prefix` of the bucket; `reason` explains the object wildcard to reviewers."""
        self._objects(bucket, env, ("s3:PutObject",), KEY_ENCRYPT, prefix, reason)

    def hold_objects(self, bucket: s3.Bucket, env: Env, *, prefix: str, reason: str) -> None:
        """Place and lift S3 Object Lock legal holds under `prefix` (no key use: the object stays as is)."""
        self._objects(bucket, env, ("s3:PutObjectLegalHold", "s3:GetObjectLegalHold"), (), prefix, reason)

    def delete_objects(self, bucket: s3.Bucket, env: Env, *, prefix: str, reason: str) -> None:
        """DeleteObject under `prefix` (a new delete marker: versions stay until the lifecycle)."""
        self._objects(bucket, env, ("s3:DeleteObject",), (), prefix, reason)

    def delete_object_versions(self, bucket: s3.Bucket, env: Env, *, prefix: str, reason: str) -> None:
        """DeleteObjectVersion under `prefix`, and list the versions of its keys (to find an overwrite)."""
        self._objects(bucket, env, ("s3:DeleteObjectVersion",), (), prefix, reason)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucketVersions"],
                resources=[bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            )
        )

    def _objects(
        self,
        bucket: s3.Bucket,
        env: Env,
        actions: Sequence[str],
        key_actions: Sequence[str],
        prefix: str,
        reason: str,
    ) -> None:
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(actions), resources=[bucket.arn_for_objects(f"{prefix}*")])
        )
        self._use_key(key_actions)
        self.set_env(env, bucket.bucket_name)
        stack = Stack.of(self)
        resource = bucket.node.default_child
        assert isinstance(resource, CfnElement)
        logical_id = stack.resolve(resource.logical_id)
        acknowledge(self.role, f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/{prefix}*]", reason)

    def _use_key(self, actions: Sequence[str]) -> None:
        if not actions:
            return
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(actions), resources=[self.key.key_arn])
        )


def zip_code(assets: Assets, service: Function) -> lambda_.Code:
    """The zip of functions/<service>/ (handler.py and anything beside it, no byte code)."""
    return lambda_.Code.from_asset(str(assets.function_code(service.value)), exclude=["__pycache__", "*.pyc"])


def layered_function(
    scope: Construct,
    construct_id: str,
    *,
    service: Function,
    assets: Assets,
    key: kms.IKey,
    layer: lambda_.ILayerVersion,
    retention_days: int,
    memory_size: int,
    timeout: Duration,
    logical_id: str,
) -> AlprFunction:
    """A function zipped from functions/<service>/ on the alpr layer, its logical id fixed."""
    fn = AlprFunction(
        scope,
        construct_id,
        service=service,
        code=zip_code(assets, service),
        key=key,
        retention_days=retention_days,
        layers=[layer],
        memory_size=memory_size,
        timeout=timeout,
    )
    fix_logical_id(fn.function, logical_id)
    return fn


def run_on_schedule(
    scope: Construct, rule_id: str, fn: AlprFunction, schedule: events.Schedule
) -> events.Rule:
    """EventBridge invokes the function on the schedule, retrying twice; the rule's logical id is
    rule_id."""
    rule = events.Rule(scope, rule_id, schedule=schedule)
    rule.add_target(targets.LambdaFunction(fn.function, retry_attempts=2))
    fix_logical_id(rule, rule_id)
    return rule
