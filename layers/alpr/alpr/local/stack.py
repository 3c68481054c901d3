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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

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
from alpr.local.template import Template, TemplateError, template_path
from alpr.local.totp import fresh_totp
from alpr.names import MODELS_LAYER_DIR, OPENAPI_PATH, SWAGGER_PATH, Env, Group
from alpr.web.settings import CALLBACK_PATH

REGION = "us-east-1"
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


class TtlSweeper:
    """Deletes expired items as DynamoDB TTL would; moto never expires anything."""

    def __init__(self, tables: dict[str, str], endpoint_url: str, interval_s: float = 60.0) -> None:
        self.tables = tables  # table name -> TTL attribute
        self.dynamodb = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=REGION)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sweep(self, now: float | None = None) -> int:
        """Delete every item whose TTL attribute is in the past; returns how many."""
        cutoff = int(now if now is not None else time.time())
        deleted = 0
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
                    deleted += 1
        return deleted

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sweep()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


class LocalStack:
    """Start with `with LocalStack(...) as stack:`; everything stops on exit."""

    def __init__(self, port: int = 0, root: Path = REPO_ROOT, cdk_out: Path | None = None) -> None:
        self.root = root
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
        self._seed_users()
        seed_local_stack(self.endpoint_url, REGION, LOCAL_USERS)  # their Personnel records (issue 4)
        self._sweeper = TtlSweeper(self._ttl_tables(template), self.endpoint_url)
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
        return self

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
        for stoppable in (self._api, self._login, self._sweeper, self._server):
            if stoppable is not None:
                stoppable.stop()
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

    def _seed_users(self) -> None:
        pool_id, _ = self._pool_and_client()
        cognito = boto3.client("cognito-idp", endpoint_url=self.endpoint_url, region_name=REGION)
        for username, groups in LOCAL_USERS.items():
            # A fresh password per run: nothing secret lives in the repository.
            password = f"Al{secrets.token_urlsafe(18)}!9"
            cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
            cognito.admin_set_user_password(
                UserPoolId=pool_id, Username=username, Password=password, Permanent=True
            )
            for group in groups:
                cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group.value)
            self.passwords[username] = password
            if Group.UNIT not in groups:  # people sign in with MFA; devices cannot
                self.totp_secrets[username] = self._enrol_authenticator(cognito, pool_id, username, password)

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
