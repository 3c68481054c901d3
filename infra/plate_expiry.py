"""Expired plates leave the trigram index: the Plates table's stream calls the prune function.

The Plates dictionary has a TTL (its newest read's expiry, none while a read of the plate is held);
DynamoDB deletes an expired entry, and the stream's REMOVE record reaches `plate_grams_prune`, which
takes the plate out of its trigrams' lists (docs/decisions.md, issue 22).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from alpr.names import Env, Function
from infra.build_assets import Assets
from infra.functions import KEY_ENCRYPT, layered_function
from infra.layers import Layers
from infra.nag import acknowledge, checkov_skip
from infra.naming import fix_logical_id
from infra.storage import Storage


class PlateExpiry(Construct):
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
        # Batches the function gave up on (their plates stay listed; searches skip plates the
        # dictionary lacks), kept 14 days to be replayed. An on-failure record names the shard and
        # sequence numbers, never a plate, so SQS's own encryption is enough (no data-key grant).
        self.failed = sqs.Queue(
            self,
            "FailedQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        fix_logical_id(self.failed, "PlateGramsPruneFailedQueue")
        checkov_skip(
            self.failed,
            "CKV_AWS_27",
            "Encrypted by SQS (SSE-SQS), not the data key: an on-failure record names the stream's shard "
            "and sequence numbers, never a plate.",
        )
        acknowledge(
            self.failed,
            "AwsSolutions-SQS3",
            "It is the dead-letter destination itself: the stream mapping's on-failure queue.",
        )
        self.prune = layered_function(
            self,
            "PlateGramsPrune",
            service=Function.PLATE_GRAMS_PRUNE,
            assets=assets,
            key=storage.key,
            layer=layers.alpr,
            retention_days=retention_days,
            memory_size=256,
            timeout=Duration.seconds(60),
            logical_id="PlateGramsPruneFunction",
        )
        fn = self.prune
        fn.set_env(Env.PLATES_TABLE, storage.plates.table_name)
        fn.set_env(Env.PLATE_GRAMS_TABLE, storage.plate_grams.table_name)
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                resources=[storage.plate_grams.table_arn],
            )
        )
        # Prunes only a plate still absent from the dictionary (a transaction's condition check).
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:ConditionCheckItem"], resources=[storage.plates.table_arn])
        )
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(KEY_ENCRYPT), resources=[storage.key.key_arn])
        )
        fn.function.add_event_source(
            sources.DynamoEventSource(
                storage.plates,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                bisect_batch_on_error=True,
                retry_attempts=10,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.failed),
                filters=[lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.is_equal("REMOVE")})],
            )
        )
