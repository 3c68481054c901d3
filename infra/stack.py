"""The one stack: storage, ingest and recognition, sign-in, the API, release, hotlists, the audit and
where the alarms go."""

from __future__ import annotations

from aws_cdk import CfnResource, Stack, Tags
from constructs import Construct

from alpr import names
from alpr.domain.retention import Retention
from infra.api import Api
from infra.audit import Audit
from infra.auth import Auth
from infra.build_assets import Assets
from infra.capture_signing import CaptureSigning
from infra.functions import DEPLOY_HANDLER_CONCURRENCY
from infra.holds import HoldReview
from infra.hotlists import Hotlists
from infra.ingest import Ingest
from infra.layers import Layers
from infra.nag import acknowledge, checkov_skip
from infra.operations import Operations
from infra.oversight import Oversight
from infra.plate_expiry import PlateExpiry
from infra.release import Release
from infra.retention import RetentionRecord
from infra.storage import Storage
from infra.web import WebSignIn

# The singleton function CDK adds to configure S3 -> SQS notifications (Custom::S3BucketNotifications).
BUCKET_NOTIFICATIONS_HANDLER = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"


class AlprStack(Stack):
    """Everything the back office runs on; `retention_days` below 365 is refused."""

    def __init__(self, scope: Construct, *, assets: Assets, retention_days: int, **kwargs: object) -> None:
        # Refused here, at synth, with the same rule and message the functions apply at cold start.
        retention = Retention(days=retention_days)
        super().__init__(scope, names.STACK_NAME, **kwargs)  # type: ignore[arg-type]
        Tags.of(self).add("project", names.APP_NAME)
        # Buckets count days and a year may have 366: their lifecycles and locks use the longest span.
        self.storage = Storage(self, "Storage", retention_days=retention.max_days)
        self.layers = Layers(self, "Layers", assets=assets)
        self.ingest = Ingest(
            self, "Ingest", storage=self.storage, assets=assets, retention_days=retention.days
        )
        self.plate_expiry = PlateExpiry(
            self,
            "PlateExpiry",
            storage=self.storage,
            layers=self.layers,
            assets=assets,
            retention_days=retention.days,
        )
        self.auth = Auth(self, "Auth")
        self.api = Api(
            self,
            "Api",
            storage=self.storage,
            auth=self.auth,
            layers=self.layers,
            assets=assets,
            retention_days=retention.days,
        )
        # Upload tickets sign their capture metadata; recognize refuses what does not match (issue 23).
        self.capture_signing = CaptureSigning(
            self,
            "CaptureSigning",
            storage=self.storage,
            uploads=self.api.uploads_function,
            recognize=self.ingest.recognize,
        )
        self.web = WebSignIn(self, "Web", auth=self.auth, api=self.api, storage=self.storage)
        # Alert notifications link to the alert in the API (issue 22).
        self.ingest.recognize.set_env(names.Env.WEB_BASE_URL, self.web.base_url)
        self.release = Release(
            self,
            "Release",
            storage=self.storage,
            layers=self.layers,
            assets=assets,
            retention_days=retention.days,
            api_function=self.api.api_function,
        )
        self.hotlists = Hotlists(
            self,
            "Hotlists",
            storage=self.storage,
            layers=self.layers,
            assets=assets,
            retention_days=retention.days,
            recognize=self.ingest.recognize,
            api_function=self.api.api_function,
        )
        storage = self.storage
        self.audit = Audit(
            self,
            "Audit",
            storage=storage,
            retention_days=retention.max_days,
            # Every bucket that holds personal data (images, plates, records, bundles) is on the trail.
            personal_data_buckets=[
                storage.uploads,
                storage.quarantine,
                storage.evidence,
                storage.access_log,
                self.release.bucket,
                self.hotlists.bucket,
            ],
            tables=[
                storage.reads,
                storage.plates,
                storage.plate_grams,
                storage.hotlist,
                storage.alerts,
                storage.personnel,
                storage.account_proposals,
                storage.release_requests,
                storage.holds,
            ],
        )
        self.oversight = Oversight(
            self,
            "Oversight",
            storage=storage,
            layers=self.layers,
            assets=assets,
            retention_days=retention.days,
        )
        self.retention_record = RetentionRecord(
            self,
            "RetentionRecord",
            storage=storage,
            layers=self.layers,
            assets=assets,
            retention_days=retention.days,
        )
        self.hold_review = HoldReview(
            self,
            "HoldReview",
            storage=storage,
            layers=self.layers,
            assets=assets,
            retention_days=retention.days,
            api_function=self.api.api_function,
        )
        self.operations = Operations(
            self,
            "Operations",
            alarms=[
                self.ingest.dead_letter_alarm,
                self.hotlists.stale_alarm,
                self.oversight.review_overdue_alarm,
                self.oversight.account_review_overdue_alarm,
                self.hold_review.failing_alarm,
            ],
            release_state_machine=self.release.state_machine,
        )
        self._acknowledge_bucket_notifications_handler()

    def _acknowledge_bucket_notifications_handler(self) -> None:
        handler = self.node.try_find_child(BUCKET_NOTIFICATIONS_HANDLER)
        if handler is None:
            return
        function = handler.node.default_child
        assert isinstance(function, CfnResource)
        function.add_property_override("ReservedConcurrentExecutions", DEPLOY_HANDLER_CONCURRENCY)
        checkov_skip(
            function,
            "CKV_AWS_116",
            "CDK's deploy-time handler, invoked synchronously by CloudFormation, which reports its failure.",
        )
        checkov_skip(function, "CKV_AWS_117", "CDK's deploy-time handler; it calls only S3's API.")
        acknowledge(
            handler,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "CDK's own deploy-time handler for S3 bucket notifications; it only writes its logs.",
        )
        acknowledge(
            handler,
            "AwsSolutions-IAM5[Resource::*]",
            "CDK's deploy-time handler for S3 bucket notifications calls s3:PutBucketNotification, "
            "which CDK grants on * because it is shared by every bucket of the stack.",
        )
