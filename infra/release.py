"""Release to other agencies: the approval state machine, its three functions, the release
bucket, the HMAC key of the decision links and the sender's SES identity.

Context (`-c key=value`): `release_mail_from`, `release_commander_email`,
`release_designee_email`, `release_decision_hours` (default 72).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from alpr import names
from alpr.names import Env, Function, Output
from infra.api import DESIGNEE_USERNAME_CONTEXT
from infra.build_assets import Assets
from infra.functions import LOG_RETENTION, AlprFunction, layered_function
from infra.hmac_keys import hmac_key_secret
from infra.layers import Layers
from infra.nag import acknowledge
from infra.naming import fix_logical_id, output
from infra.storage import Storage

ASL = Path(__file__).resolve().parent.parent / "statemachines" / "release_approval.asl.json"
DEFAULT_DECISION_HOURS = 72  # three days for the commander, three more for the designee
BUNDLE_DAYS = 30  # the released copy; the manifest stays on file with the request
DEFAULTS = {
    "release_mail_from": "alpr-release@example.gov",
    "release_commander_email": "commander@example.gov",
    "release_designee_email": "designee@example.gov",
}


class Release(Construct):
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
        context = {k: str(self.node.try_get_context(k) or v) for k, v in DEFAULTS.items()}
        decision_hours = int(self.node.try_get_context("release_decision_hours") or DEFAULT_DECISION_HOURS)
        if decision_hours < 1:
            raise ValueError("release_decision_hours must be at least 1")

        self.bucket = storage.data_bucket(
            "ReleaseBucket",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-released-bundles",
                    prefix=names.RELEASE_BUNDLES_PREFIX,
                    expiration=Duration.days(BUNDLE_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )
        self.link_secret = hmac_key_secret(
            self,
            "ReleaseLinkSecret",
            description="HMAC-SHA256 key of the release decision links",
            key=storage.key,
            why_not_rotated="Rotating the link key invalidates every decision link in flight; it is rotated "
            "by hand (docs: README, releasing data) when no request awaits a decision, not on a schedule.",
        )
        self.identity = ses.EmailIdentity(
            self, "ReleaseMailIdentity", identity=ses.Identity.email(context["release_mail_from"])
        )
        fix_logical_id(self.identity, "ReleaseMailIdentity")
        identity_arn = (
            f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{context['release_mail_from']}"
        )

        def function(logical_id: str, service: Function, memory: int, seconds: int) -> AlprFunction:
            fn = layered_function(
                self,
                logical_id,
                service=service,
                assets=assets,
                key=storage.key,
                layer=layers.alpr,
                retention_days=retention_days,
                memory_size=memory,
                timeout=Duration.seconds(seconds),
                logical_id=logical_id,
            )
            fn.read_write_table(storage.release_requests, Env.RELEASE_REQUESTS_TABLE)
            return fn

        self.record = function("ReleaseRecordFunction", Function.RELEASE_RECORD, 256, 10)

        self.notify = function("ReleaseNotifyFunction", Function.RELEASE_NOTIFY, 256, 20)
        notify = self.notify
        self._link_key(notify)
        notify.set_env(Env.RELEASE_TOKEN_KEY, storage.key.key_arn)  # seals task tokens (granted by the table)
        notify.set_env(Env.RELEASE_MAIL_FROM, context["release_mail_from"])
        notify.set_env(Env.RELEASE_COMMANDER_EMAIL, context["release_commander_email"])
        notify.set_env(Env.RELEASE_DESIGNEE_EMAIL, context["release_designee_email"])
        # The escalated round's links are for the designee policy 439.3.1(e) names, when one is.
        designee = str(self.node.try_get_context(DESIGNEE_USERNAME_CONTEXT) or "")
        if designee:
            notify.set_env(Env.DESIGNEE_USERNAME, designee)
        notify.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[identity_arn])
        )
        notify.read_objects(
            self.bucket,
            Env.RELEASE_BUCKET,
            prefix=names.RELEASE_BUNDLES_PREFIX,
            reason="Signs the requester's expiring download link to the bundle under bundles/<request id>/.",
        )
        notify.read_objects(
            self.bucket,
            Env.RELEASE_BUCKET,
            prefix=names.RELEASE_LETTERS_PREFIX,
            reason="Checks that the request letter is on file before telling the commander (HEAD needs GetObject).",
        )

        self.fulfil = function("ReleaseFulfilFunction", Function.RELEASE_FULFIL, 1024, 120)
        fulfil = self.fulfil
        fulfil.read_table(
            storage.reads,
            Env.READS_TABLE,
            indexes=[names.READS_BY_PLATE_INDEX, names.READS_BY_CELL_DAY_INDEX],
        )
        fulfil.set_env(Env.PLATES_TABLE, storage.plates.table_name)  # named for the read store; never read
        fulfil.read_objects(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.RAW_PREFIX,
            reason="Copies the images of the reads in scope into the bundle; keys are per upload.",
        )
        fulfil.write_objects(
            self.bucket,
            Env.RELEASE_BUCKET,
            prefix=names.RELEASE_BUNDLES_PREFIX,
            reason="Writes each bundle under bundles/<request id>/; a new prefix per request.",
        )
        fulfil.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.ACCESS_LOG_PREFIX,
            reason="Appends the disclosure record under access-log/dt=YYYY-MM-DD/; each record is a new key.",
        )

        log_group = logs.LogGroup(
            self,
            "ReleaseApprovalLogs",
            retention=LOG_RETENTION,
            encryption_key=storage.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "ReleaseApproval",
            # Inlined (not DefinitionBody.from_file, which makes an S3 asset): the template then
            # carries the definition the local runtime creates and the infra tests read.
            definition_body=sfn.DefinitionBody.from_string(ASL.read_text()),
            definition_substitutions={
                "RecordFunctionArn": self.record.function.function_arn,
                "NotifyFunctionArn": self.notify.function.function_arn,
                "FulfilFunctionArn": self.fulfil.function.function_arn,
            },
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        fix_logical_id(self.state_machine, "ReleaseApprovalStateMachine")
        self.state_machine.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[f.function.function_arn for f in (self.record, self.notify, self.fulfil)],
            )
        )
        acknowledge(
            self.state_machine,
            "AwsSolutions-IAM5[Resource::*]",
            "Step Functions' log delivery (logs:CreateLogDelivery, ...) and X-Ray writes have no "
            "resource-level permissions; AWS documents Resource * for them.",
        )

        api = api_function
        api.set_env(Env.RELEASE_STATE_MACHINE, self.state_machine.state_machine_arn)
        api.set_env(Env.RELEASE_DECISION_SECONDS, str(decision_hours * 3600))
        api.set_env(Env.RELEASE_TOKEN_KEY, storage.key.key_arn)  # opens task tokens (granted by the table)
        self.state_machine.grant_start_execution(api.role)
        self.state_machine.grant_task_response(api.role)
        self._link_key(api)
        api.write_objects(
            self.bucket,
            Env.RELEASE_BUCKET,
            prefix=names.RELEASE_LETTERS_PREFIX,
            reason="Signs presigned POSTs for request letters under letters/<id>/; a new key per letter.",
        )
        api.read_objects(
            self.bucket,
            Env.RELEASE_BUCKET,
            prefix=names.RELEASE_LETTERS_PREFIX,
            reason="Checks that a request letter named by a request was uploaded (HEAD needs GetObject).",
        )

        output(self, Output.RELEASE_BUCKET, self.bucket.bucket_name)
        output(self, Output.RELEASE_STATE_MACHINE, self.state_machine.state_machine_arn)

    def _link_key(self, fn: AlprFunction) -> None:
        self.link_secret.grant_read(fn.role)
        fn.set_env(Env.RELEASE_LINK_SECRET, self.link_secret.secret_arn)
