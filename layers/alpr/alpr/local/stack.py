"""The whole system in one process: moto server, the template's resources, the
functions in-process, seeded users, a TTL sweeper and the HTTP API."""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import requests
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from alpr.config import Config
from alpr.domain.retention_report import CountedBy, Kind
from alpr.local import moto_patches
from alpr.local.deploy import Deployer, Deployment
from alpr.local.http_api import (
    LocalApi,
    StageAccessLog,
    TokenVerifier,
    routes_from_template,
    stage_access_log_setting,
)
from alpr.local.login import LocalHostedUi
from alpr.local.personnel_seed import seed_local_stack
from alpr.local.snapshot import (
    DEFAULT_SAVE_INTERVAL_S,
    DataDir,
    PeriodicSave,
    Resources,
    Restored,
    Snapshotter,
    UserRecord,
)
from alpr.local.template import Template, TemplateError, template_path
from alpr.local.totp import fresh_totp
from alpr.names import MODELS_LAYER_DIR, OPENAPI_PATH, SWAGGER_PATH, Env, Function, Group
from alpr.services.container import Container
from alpr.services.retention import RetentionReporter
from alpr.web.settings import CALLBACK_PATH

REGION = "us-east-1"
logger = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parents[4]

# Seeded local accounts: username -> Cognito groups. `untrained` has a role but no
# training record, so the access gate must refuse it.
LOCAL_ACCOUNT_APPROVER = "commander"  # approves account changes beside the supervisor a proposal names
LOCAL_USERS: dict[str, tuple[Group, ...]] = {
    "investigator": (Group.INVESTIGATOR,),
    "supervisor": (Group.SUPERVISOR,),
    "commander": (Group.COMMANDER,),
    "auditor": (Group.AUDITOR,),
    "admin": (Group.ADMINISTRATOR,),
    "records": (Group.RECORDS,),
    # Holds both roles, so a release they file must be decided by someone else (issue 20).
    "acting-commander": (Group.COMMANDER, Group.RECORDS),
    "untrained": (Group.INVESTIGATOR,),
    "unit-01": (Group.UNIT,),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def state_file(port: int) -> Path:
    return Path.home() / ".alpr" / f"local-{port}.json"


@dataclass
class LocalState:
    """What `alpr local token` needs to sign a user in to a running stack."""

    api_url: str
    endpoint_url: str
    user_pool_id: str
    client_id: str
    passwords: dict[str, str]
    outputs: dict[str, Any] = field(default_factory=dict)
    totp_secrets: dict[str, str] = field(default_factory=dict)  # each person's authenticator secret
    sign_in_url: str = ""  # the local hosted UI

    def save(self, path: Path) -> None:
        """Write the state (it holds the seeded users' passwords) readable by its owner only: the
        folder 0700 and the file 0600 on every save, whatever modes they had before."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        path.touch(mode=0o600)
        path.chmod(0o600)  # touch keeps the mode of a file that existed
        path.write_text(json.dumps(self.__dict__, indent=2))

    @classmethod
    def load(cls, path: Path) -> LocalState:
        if not path.exists():
            raise FileNotFoundError(f"no local stack state at {path}: is `alpr local up` running?")
        return cls(**json.loads(path.read_text()))

    def token(self, username: str) -> str:
        """A fresh Cognito ID token for a seeded user."""
        if username not in self.passwords:
            raise KeyError(f"unknown local user {username!r}; known: {', '.join(sorted(self.passwords))}")
        cognito = boto3.client("cognito-idp", endpoint_url=self.endpoint_url, region_name=REGION)
        for attempt in range(2):
            result = cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": self.passwords[username]},
            )
            if result.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
                break
            try:  # MFA: answer with the code the user's authenticator shows now
                result = cognito.respond_to_auth_challenge(
                    ClientId=self.client_id,
                    ChallengeName="SOFTWARE_TOKEN_MFA",
                    Session=result["Session"],
                    ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": self.totp(username)},
                )
                break
            except cognito.exceptions.CodeMismatchException:
                if attempt:
                    raise
        token: str = result["AuthenticationResult"]["IdToken"]
        return token

    def totp(self, username: str) -> str:
        """The code `username`'s authenticator shows now (valid for a few seconds at least)."""
        if username not in self.totp_secrets:
            raise KeyError(
                f"{username!r} has no authenticator; people do: {', '.join(sorted(self.totp_secrets))}"
            )
        return fresh_totp(self.totp_secrets[username])


@dataclass
class SweepReport:
    """The retention report the sweeper writes after its sweeps (the cloud's daily report, locally)."""

    reporter: RetentionReporter
    reads_table: str
    since: datetime  # the start of the next report's period
    last_key: str | None = None

    def after_sweep(self, deleted: dict[str, int], at: datetime) -> None:
        """Report when reads were purged, and at least once a day (the first sweep included)."""
        purged = deleted.get(self.reads_table, 0)
        if not purged and self.last_key is not None and self.since.date() == at.date():
            return
        self.last_key, _ = self.reporter.report(
            self.since, max(at, self.since), {Kind.READS: purged}, CountedBy.LOCAL
        )
        self.since = max(at, self.since)


logger = logging.getLogger(__name__)


class TtlSweeper:
    """Deletes expired items as DynamoDB TTL would (moto never expires anything). Before each sweep
    it invokes the `scheduled` functions the cloud runs daily to end what is kept (the hold review:
    a lapsed hold's read gets its expiry back, and goes in the same sweep if that is past); with
    `report`, it writes the retention report after its sweeps, as the cloud's daily function does."""

    def __init__(
        self,
        tables: dict[str, str],
        endpoint_url: str,
        interval_s: float = 60.0,
        report: SweepReport | None = None,
        scheduled: Sequence[str] = (),
    ) -> None:
        self.tables = tables  # table name -> TTL attribute
        self.dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=REGION)
        self.lambda_ = boto3.client("lambda", endpoint_url=endpoint_url, region_name=REGION)
        self.scheduled = tuple(scheduled)
        self.interval_s = interval_s
        self.report = report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def run_scheduled(self) -> None:
        """Invoke each scheduled function once; a failure is logged and the sweep goes on (as in the
        cloud, where it alarms and the next day's run tries again)."""
        for name in self.scheduled:
            response = self.lambda_.invoke(FunctionName=name, Payload=b"{}")
            if response.get("FunctionError"):
                logger.error("scheduled function %s failed: %s", name, response["Payload"].read()[:500])

    def sweep(self, now: float | None = None) -> int:
        """Run the scheduled functions, then delete every item whose TTL attribute is in the past
        (then report); returns how many were deleted."""
        self.run_scheduled()
        cutoff = int(now if now is not None else time.time())
        deleted: dict[str, int] = {}
        for table, attribute in self.tables.items():
            described = self.dynamodb.describe_table(TableName=table)["Table"]
            key_names = [k["AttributeName"] for k in described["KeySchema"]]
            paginator = self.dynamodb.get_paginator("scan")
            for page in paginator.paginate(
                TableName=table,
                FilterExpression="#ttl < :now",
                ExpressionAttributeNames={"#ttl": attribute},
                ExpressionAttributeValues={":now": {"N": str(cutoff)}},
            ):
                for item in page["Items"]:
                    self.dynamodb.delete_item(TableName=table, Key={k: item[k] for k in key_names})
                    deleted[table] = deleted.get(table, 0) + 1
        if self.report is not None:
            self.report.after_sweep(deleted, datetime.fromtimestamp(cutoff, tz=UTC))
        return sum(deleted.values())

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sweep()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


class LocalStack:
    """Start with `with LocalStack(...) as stack:`; everything stops on exit."""

    def __init__(
        self,
        port: int = 0,
        root: Path = REPO_ROOT,
        cdk_out: Path | None = None,
        data_dir: Path | None = None,
        save_interval_s: float = DEFAULT_SAVE_INTERVAL_S,
    ) -> None:
        """`data_dir`: restore the state saved there at start, save it there every
        `save_interval_s` seconds and at stop (alpr.local.snapshot); None keeps it in memory."""
        self.root = root
        self.data_dir = DataDir(data_dir) if data_dir is not None else None
        self.save_interval_s = save_interval_s
        self._snapshotter: Snapshotter | None = None
        self._saver: PeriodicSave | None = None
        self.restored: Restored | None = None
        self.cdk_out = cdk_out or root / "cdk.out"
        self.port = port or free_port()
        self.moto_port = free_port()
        self.login_port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.moto_port}"
        self.passwords: dict[str, str] = {}
        self.totp_secrets: dict[str, str] = {}
        self._login: LocalHostedUi | None = None
        self._server: ThreadedMotoServer | None = None
        self._api: LocalApi | None = None
        self._sweeper: TtlSweeper | None = None
        self.deployment: Deployment | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalStack:
        saved = None
        if self.data_dir is not None:  # first: a snapshot that cannot be restored stops nothing but this
            self.data_dir.prepare()
            saved = self.data_dir.load()
        template = Template.load(template_path(self.cdk_out))
        self._environment()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines drown the output
        # Powertools warns when a request added no metric (health checks, refusals): normal here.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self._server.start()
        # Step Functions runs the real ASL (moto's default only records executions).
        requests.post(
            f"{self.endpoint_url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": True}},
            timeout=10,
        ).raise_for_status()
        moto_patches.install(self.root / "functions")
        self.deployment = Deployer(template, self.endpoint_url, REGION).deploy()
        os.environ.update(self._mount_layers(self.deployment.shared_environment()))
        self._login = LocalHostedUi(
            self.endpoint_url, REGION, self._web_client(), self.api_url + CALLBACK_PATH, port=self.login_port
        )
        self._login.start()
        # The local equivalents of the cloud's API URL and hosted UI domain (CDK context or outputs).
        os.environ[Env.WEB_BASE_URL.value] = self.api_url
        os.environ[Env.WEB_AUTH_URL.value] = self._login.url
        # The local ALPR administrator (policy 439.3.1(e)), a configured account approver (issue 21).
        os.environ.setdefault(Env.ADMINISTRATOR_USERNAME.value, LOCAL_ACCOUNT_APPROVER)
        self._forget_settings()
        if self.data_dir is not None:
            self._snapshotter = Snapshotter(
                Resources.of(self.deployment), self.data_dir, self.endpoint_url, REGION
            )
            if saved is not None:
                self._restore(saved)
        if self.restored is None:
            self._seed_users(LOCAL_USERS)
            seed_local_stack(self.endpoint_url, REGION, LOCAL_USERS)  # their Personnel records (issue 4)
        self._sweeper = TtlSweeper(
            self._ttl_tables(template),
            self.endpoint_url,
            scheduled=self._scheduled(),
            report=self.sweep_report(),
        )
        self._sweeper.start()
        verifier = TokenVerifier(self.endpoint_url, REGION, self._client_ids(template))
        routes = routes_from_template(template, self.deployment.resolver.refs, self.deployment.functions)
        self._api = LocalApi(
            routes,
            verifier,
            self.endpoint_url,
            REGION,
            self.port,
            self._stage_access_log(template),
            documents=self._api_documents(),
        )
        self._api.start()
        self.state().save(state_file(self.port))
        if self._snapshotter is not None:
            self.save()  # a restorable snapshot from the first minute
            self._saver = PeriodicSave(self.save, self.save_interval_s)
            self._saver.start()
        return self

    def _restore(self, state: dict[str, Any]) -> None:
        """The saved state into the fresh deployment; then the release requests whose workflow
        executions were lost start new ones (docs/decisions.md)."""
        from alpr.services import release

        assert self._snapshotter is not None
        self.restored = self._snapshotter.restore(state)
        pool_id, _ = self._pool_and_client()
        cognito = boto3.client("cognito-idp", endpoint_url=self.endpoint_url, region_name=REGION)
        for user in self.restored.users:
            self._create_user(cognito, pool_id, user)
        missing = {name: groups for name, groups in LOCAL_USERS.items() if name not in self.passwords}
        self._seed_users(missing)
        seed_local_stack(self.endpoint_url, REGION, missing)
        self.restored.counts["users"] = len(self.restored.users)
        self.restored.counts["release requests asked again"] = len(
            release.restart_workflows("the local stack was restarted and its workflow executions were lost")
        )

    def save(self, *, every_queue: bool = False) -> dict[str, int]:
        """Save the state to the data directory now; counts of what was saved."""
        assert self._snapshotter is not None, "this stack has no data directory"
        return self._snapshotter.save(self.passwords, self.totp_secrets, every_queue=every_queue)

    def _api_documents(self) -> dict[str, bytes]:
        """The OpenAPI document, and a Swagger UI page over it (its assets inlined, no CDN)."""
        from alpr.api.openapi import swagger_page

        document = self._openapi_document()
        return {OPENAPI_PATH: document, SWAGGER_PATH: swagger_page(document.decode()).encode()}

    def _openapi_document(self) -> bytes:
        # Built in a process of its own: a Router included in a resolver points at it, and the
        # functions' resolvers run in this process (alpr.api.openapi).
        built = subprocess.run(
            [sys.executable, "-m", "alpr.api.openapi", self.api_url],
            capture_output=True,
            check=True,
            timeout=120,
        )
        return built.stdout

    def stop(self) -> None:
        """Stop everything; with a data directory, save last, once nothing changes any more."""
        try:
            for stoppable in (self._api, self._login, self._sweeper, self._saver):
                if stoppable is not None:
                    stoppable.stop()
            if self._saver is not None:  # only a stack that started saves: never a half-restored one
                self.save(every_queue=True)
        finally:
            if self._server is not None:
                self._server.stop()
            state_file(self.port).unlink(missing_ok=True)
            moto_patches.uninstall()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _environment(self) -> None:
        """Point every boto3 client in this process (handlers included) at the moto server."""
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "MOTO_PORT": str(self.moto_port),
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "alpr-local",
                # moto checks TOTP codes only when asked to (with its one fixed secret).
                "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
            }
        )

    @staticmethod
    def _forget_settings() -> None:
        """Settings cached by an earlier stack in this process name another port."""
        from alpr.services.container import use

        use(None)

    def _stage_access_log(self, template: Template) -> StageAccessLog | None:
        setting = stage_access_log_setting(template)
        if setting is None:
            return None
        assert self.deployment is not None
        group, line_format = setting
        return StageAccessLog(str(self.deployment.ref(group)), line_format, self.endpoint_url, REGION)

    @property
    def api_access_log_group(self) -> str | None:
        """The log group the API stage's access log goes to (as in the cloud)."""
        return self._api.access_log.log_group if self._api and self._api.access_log else None

    def _mount_layers(self, environment: dict[str, str]) -> dict[str, str]:
        """Lambda unpacks layers under /opt; locally a layer's folder is its source in the repo."""
        mounts = {MODELS_LAYER_DIR: self.root / "layers" / "models"}
        return {
            key: next(
                (str(local) + value[len(opt) :] for opt, local in mounts.items() if value.startswith(opt)),
                value,
            )
            for key, value in environment.items()
        }

    def sweep_report(self) -> SweepReport:
        """The sweeper's retention report, written beside the access log as in the cloud."""
        assert self.deployment is not None
        config = Config()  # the shared environment: the Reads table, the access-log bucket, the retention
        reporter = Container(config).retention_reporter
        return SweepReport(reporter, config.reads_table or "", reporter.clock.now())

    def _scheduled(self) -> list[str]:
        """The functions the sweeper runs: those the cloud schedules to end what is kept."""
        assert self.deployment is not None
        return [self.deployment.function_by_service()[Function.HOLD_REVIEW]]

    def _ttl_tables(self, template: Template) -> dict[str, str]:
        assert self.deployment is not None
        return {
            self.deployment.ref(lid): res["Properties"]["TimeToLiveSpecification"]["AttributeName"]
            for lid, res in template.of_type("AWS::DynamoDB::Table").items()
            if res["Properties"].get("TimeToLiveSpecification", {}).get("Enabled")
        }

    def _client_ids(self, template: Template) -> set[str]:
        assert self.deployment is not None
        return {str(self.deployment.ref(lid)) for lid in template.of_type("AWS::Cognito::UserPoolClient")}

    def _pool_and_client(self) -> tuple[str, str]:
        """The pool and the API's app client (the CLI's); the pages have their own, WebClient."""
        assert self.deployment is not None
        template = self.deployment.template
        pool = next(iter(template.of_type("AWS::Cognito::UserPool")))
        return str(self.deployment.ref(pool)), str(self.deployment.ref("UserPoolClient"))

    def _web_client(self) -> str:
        assert self.deployment is not None
        return str(self.deployment.ref("WebClient"))

    def _seed_users(self, users: dict[str, tuple[Group, ...]]) -> None:
        pool_id, _ = self._pool_and_client()
        cognito = boto3.client("cognito-idp", endpoint_url=self.endpoint_url, region_name=REGION)
        for username, groups in users.items():
            # A fresh password per run: nothing secret lives in the repository.
            password = f"Al{secrets.token_urlsafe(18)}!9"
            # People sign in with MFA; devices cannot.
            seeded = UserRecord(
                username, [g.value for g in groups], True, {}, password, Group.UNIT not in groups
            )
            self._create_user(cognito, pool_id, seeded)

    def _create_user(self, cognito: Any, pool_id: str, user: UserRecord) -> None:
        """Create a user with their password and groups, and enrol an authenticator if they use one."""
        if user.password is None:
            logger.warning("no password saved for %s: not restored", user.username)
            return
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=user.username,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": k, "Value": v} for k, v in user.attributes.items()],
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
        )
        for group in user.groups:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=group)
        self.passwords[user.username] = user.password
        if user.mfa:
            self.totp_secrets[user.username] = self._enrol_authenticator(
                cognito, pool_id, user.username, user.password
            )
        if not user.enabled:  # after enrolling: a disabled user cannot sign in to enrol
            cognito.admin_disable_user(UserPoolId=pool_id, Username=user.username)

    def _enrol_authenticator(self, cognito: Any, pool_id: str, username: str, password: str) -> str:
        """Set up TOTP MFA as a person does at first sign-in: associate, verify a code, prefer it."""
        _, client_id = self._pool_and_client()
        signed_in = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]
        secret: str = cognito.associate_software_token(AccessToken=signed_in["AccessToken"])["SecretCode"]
        cognito.verify_software_token(
            AccessToken=signed_in["AccessToken"], UserCode=fresh_totp(secret), FriendlyDeviceName="local"
        )
        cognito.admin_set_user_mfa_preference(
            UserPoolId=pool_id,
            Username=username,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        return secret

    def outputs(self) -> dict[str, Any]:
        """The template's outputs, resolved against the local resources."""
        assert self.deployment is not None
        resolved: dict[str, Any] = {}
        for name, output in self.deployment.template.outputs.items():
            try:
                resolved[name] = self.deployment.resolver.resolve(output["Value"])
            except TemplateError:  # an output about a cloud-only resource (e.g. the API's URL)
                continue
        return resolved

    def state(self) -> LocalState:
        pool_id, client_id = self._pool_and_client()
        return LocalState(
            api_url=self.api_url,
            endpoint_url=self.endpoint_url,
            user_pool_id=pool_id,
            client_id=client_id,
            passwords=dict(self.passwords),
            outputs=self.outputs(),
            totp_secrets=dict(self.totp_secrets),
            sign_in_url=self._login.url if self._login else "",
        )

    def token(self, username: str) -> str:
        return self.state().token(username)
