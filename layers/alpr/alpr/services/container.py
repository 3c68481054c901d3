"""The composition root: clients and adapters built once from the configuration.

A Lambda container (or the local runtime, or a CLI command) has one `Container`: the handler
configures it at cold start from its function's `Config` subclass, and the services ask
`container()` for what they need. Everything is built on first use, so a function only creates
the clients it calls. Tests build their own (`Container(config, read_store=fake, ...)`) and
install it with `use`, instead of patching module factories.
"""

from __future__ import annotations

import inspect
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig

from alpr.adapters.access_log import S3AccessLog
from alpr.adapters.alerts import DynamoAlertStore, DynamoReadHits, SnsAlertNotifier
from alpr.adapters.dynamo import DynamoReadStore
from alpr.adapters.hotlist import DynamoHotlistStore
from alpr.adapters.mail import SesMailer
from alpr.adapters.personnel import DynamoPersonnelStore, DynamoProposalStore
from alpr.adapters.release_aws import ReleaseBucket, SecretLinkKey, StepFunctionsWorkflow, TaskTokenVault
from alpr.adapters.release_store import DynamoReleaseStore
from alpr.adapters.retention_records import DynamoReadCensus, S3RetentionRecords
from alpr.adapters.s3 import S3Uploads
from alpr.adapters.s3_links import EvidenceBucket, S3Links, S3ObjectHolds
from alpr.adapters.signing_key import SecretSigningKey
from alpr.config import Config
from alpr.domain.clock import Clock, SystemClock
from alpr.domain.matching import CurrentLists
from alpr.services.retention import RetentionReporter
from alpr.web.tokens import IdTokens

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

    from alpr.recognition import Engine

_BOTO = BotoConfig(retries={"mode": "standard", "max_attempts": 5}, signature_version="s3v4")


@cache
def load_engine(models_dir: Path | None, threads: int, support_score: float | None = None) -> Engine:
    """The recognition engine, loaded once per process (it depends on no client)."""
    from alpr.recognition import Engine  # OpenCV and ONNX Runtime only on the recognize path

    return Engine.load(models_dir=models_dir, threads=threads, support_score=support_score)


class Container:
    """The process's clients and adapters. boto3 reads its endpoint from AWS_ENDPOINT_URL (the local
    runtime points it at moto), so nothing here names an endpoint."""

    def __init__(self, config: Config, *, clock: Clock | None = None, **overrides: Any) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._clients: dict[str, Any] = {}
        for name, value in overrides.items():
            if not isinstance(inspect.getattr_static(type(self), name, None), cached_property):
                raise TypeError(f"Container has no component {name!r} to replace")
            self.__dict__[name] = value  # what cached_property would have stored

    def granted(self, field: str) -> str:
        """The configured name of a resource this function must have been granted."""
        value = getattr(self.config, field)
        if not value:
            raise RuntimeError(
                f"ALPR_{field.upper()} is not set: this function was not granted that resource"
            )
        return str(value)

    # boto3 clients

    @cached_property
    def session(self) -> boto3.session.Session:
        return boto3.session.Session()

    def client(self, service: str) -> Any:
        """A boto3 client (kms, sesv2, stepfunctions, secretsmanager, ...), made once."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=_BOTO)  # type: ignore[call-overload]
        return self._clients[service]

    def s3(self) -> S3Client:
        return self.client("s3")

    def dynamodb(self) -> DynamoDBClient:
        return self.client("dynamodb")

    def sns(self) -> SNSClient:
        return self.client("sns")

    # Reads, uploads and the people who use them

    @cached_property
    def read_store(self) -> DynamoReadStore:
        return DynamoReadStore(
            self.granted("reads_table"),
            self.granted("plates_table"),
            self.dynamodb,
            grams_table=self.config.plate_grams_table or "",
            holds_table=self.config.holds_table or "",
        )

    @cached_property
    def uploads(self) -> S3Uploads:
        return S3Uploads(self.granted("uploads_bucket"), self.config.quarantine_bucket or "", self.s3)

    @cached_property
    def capture_key(self) -> SecretSigningKey:
        """The key that signs each ticket's capture metadata and checks each upload's."""
        return SecretSigningKey(
            self.granted("capture_signing_secret"),
            lambda: self.client("secretsmanager"),
            purpose="capture signing",
        )

    @cached_property
    def personnel(self) -> DynamoPersonnelStore:
        return DynamoPersonnelStore(self.granted("personnel_table"), self.dynamodb)

    @cached_property
    def account_proposals(self) -> DynamoProposalStore:
        return DynamoProposalStore(
            self.granted("account_proposals_table"), self.granted("personnel_table"), self.dynamodb
        )

    @cached_property
    def access_log(self) -> S3AccessLog:
        """The one access-log writer."""
        return S3AccessLog(self.granted("access_log_bucket"), self.s3)

    @cached_property
    def retention_reporter(self) -> RetentionReporter:
        """Destruction on record: purge tallies and the retention report, beside the access log."""
        return RetentionReporter(
            DynamoReadCensus(self.granted("reads_table"), self.dynamodb),
            S3RetentionRecords(self.granted("access_log_bucket"), self.s3),
            self.config.retention,
            self.clock,
        )

    @cached_property
    def image_links(self) -> S3Links:
        return S3Links(self.s3)

    @cached_property
    def object_holds(self) -> S3ObjectHolds:
        return S3ObjectHolds(self.s3)

    @cached_property
    def evidence_bucket(self) -> EvidenceBucket:
        return EvidenceBucket(self.granted("evidence_bucket"), self.s3)

    @property
    def engine(self) -> Engine:
        return load_engine(self.config.models_dir, self.config.ort_threads, self.config.plate_support_score)

    # Hotlists and alerts

    @cached_property
    def hotlist_store(self) -> DynamoHotlistStore:
        return DynamoHotlistStore(
            self.granted("hotlist_table"), self.config.hotlist_bucket or "", self.dynamodb, self.s3
        )

    @cached_property
    def alert_store(self) -> DynamoAlertStore:
        return DynamoAlertStore(self.granted("alerts_table"), self.dynamodb)

    @cached_property
    def read_hits(self) -> DynamoReadHits:
        return DynamoReadHits(self.granted("reads_table"), self.dynamodb)

    @cached_property
    def notifier(self) -> SnsAlertNotifier:
        return SnsAlertNotifier(self.config.alerts_topic or "", self.sns)

    @cached_property
    def current_lists(self) -> CurrentLists:
        """The compiled hotlists this container matches against, refreshed when a list changes."""
        return CurrentLists(self.hotlist_store)

    # Release to other agencies

    @cached_property
    def release_store(self) -> DynamoReleaseStore:
        return DynamoReleaseStore(self.granted("release_requests_table"), self.dynamodb)

    @cached_property
    def token_vault(self) -> TaskTokenVault:
        return TaskTokenVault(self.granted("release_token_key"), lambda: self.client("kms"))

    @cached_property
    def link_key(self) -> SecretLinkKey:
        return SecretLinkKey(self.granted("release_link_secret"), lambda: self.client("secretsmanager"))

    @cached_property
    def workflow(self) -> StepFunctionsWorkflow:
        return StepFunctionsWorkflow(
            self.granted("release_state_machine"), lambda: self.client("stepfunctions")
        )

    @cached_property
    def mailer(self) -> SesMailer:
        return SesMailer(self.granted("release_mail_from"), lambda: self.client("sesv2"))

    @cached_property
    def release_bucket(self) -> ReleaseBucket:
        return ReleaseBucket(self.granted("release_bucket"), self.s3)

    # Pages for people

    @cached_property
    def session_key(self) -> SecretLinkKey:
        """The key that signs the pages' session cookies."""
        return SecretLinkKey(self.granted("web_session_secret"), lambda: self.client("secretsmanager"))

    @cached_property
    def id_tokens(self) -> IdTokens:
        """Verifies the user pool's ID tokens (the pages' sign-in) against its published keys."""
        web = self.config.web
        return IdTokens(web.jwks_url, web.issuer)


_current: Container | None = None


def container() -> Container:
    """The process's container (built from the whole environment if no handler configured one)."""
    global _current
    if _current is None:
        _current = Container(Config())
    return _current


def configure(config: Config) -> Container:
    """Install a container for `config` (a handler's cold start), keeping the process clock."""
    clock = _current.clock if _current is not None else None
    use(new := Container(config, clock=clock))
    return new


def use(new: Container | None) -> Container | None:
    """Install `new` as the process's container (None: build afresh on next use); returns the old one."""
    global _current
    previous, _current = _current, new
    return previous
