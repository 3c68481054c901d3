"""Deploy the synthesized template into the embedded moto server with boto3.

One creator per resource type that matters to behaviour; every other type is listed
in the deployment report as skipped with the reason (IAM policies, API Gateway and
log groups have no behaviour moto would enforce; the HTTP shim reads the API's routes
from the same template).
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from alpr.local.template import Resolver, Template, TemplateError
from alpr.names import STACK_NAME, Env

# Types whose effect the local runtime provides another way, or that moto would not enforce.
SKIPPED = {
    "AWS::IAM::Policy": "moto does not enforce IAM",
    "AWS::IAM::ManagedPolicy": "moto does not enforce IAM",
    "AWS::S3::BucketPolicy": "moto does not enforce bucket policies (TLS-only is a cloud control)",
    "AWS::SQS::QueuePolicy": "moto does not enforce queue policies",
    "AWS::Lambda::Permission": "moto does not enforce resource policies",
    "AWS::Lambda::LayerVersion": "the layer's package is already importable in-process",
    "AWS::KMS::Alias": "aliases are cosmetic",
    "AWS::CDK::Metadata": "CDK bookkeeping",
    "AWS::Cognito::UserPoolDomain": "no hosted UI locally",
    "AWS::Glue::Database": "no catalogue locally: DuckDB reads the access log's files directly",
    "AWS::Glue::Table": "no catalogue locally: DuckDB reads the access log's files directly",
    "AWS::Athena::WorkGroup": "no Athena locally: the same named queries run in DuckDB (alpr audit query)",
    "AWS::Athena::NamedQuery": "no Athena locally: the catalogue's queries run in DuckDB (alpr audit query)",
    "AWS::CloudTrail::Trail": "moto's CloudTrail records nothing; the access log is the local audit record",
}
API_GATEWAY_PREFIX = "AWS::ApiGateway::"


def zip_placeholder() -> bytes:
    """Lambda requires code; locally the handler runs in-process from functions/<name>/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Runs in-process: see alpr.local.moto_patches\n")
    return buffer.getvalue()


@dataclass
class Deployment:
    """What was created: physical ids by logical id, and what was skipped and why."""

    resolver: Resolver
    template: Template
    functions: dict[str, str] = field(default_factory=dict)  # logical id -> function name
    skipped: dict[str, str] = field(default_factory=dict)

    def ref(self, logical_id: str) -> Any:
        return self.resolver.ref(logical_id)

    def env_of(self, logical_id: str) -> dict[str, str]:
        properties = self.template.resources[logical_id]["Properties"]
        variables = properties.get("Environment", {}).get("Variables", {})
        return {k: str(v) for k, v in self.resolver.resolve(variables).items()}

    def function_by_service(self) -> dict[str, str]:
        """Service name (functions/<name>) -> local function name."""
        return {self.env_of(lid)[Env.SERVICE.value]: name for lid, name in self.functions.items()}

    def shared_environment(self) -> dict[str, str]:
        """The union of our functions' settings; they must agree, since one process holds them all."""
        merged: dict[str, str] = {}
        for lid in self.functions:
            for key, value in self.env_of(lid).items():
                if key == Env.SERVICE.value:
                    continue
                if merged.setdefault(key, value) != value:
                    raise TemplateError(f"functions disagree on {key}: {merged[key]!r} vs {value!r}")
        return merged


class Deployer:
    def __init__(self, template: Template, endpoint_url: str, region: str) -> None:
        self.template = template
        self.region = region
        self.endpoint_url = endpoint_url
        account_id = self._client("sts").get_caller_identity()["Account"]
        self.deployment = Deployment(Resolver(region=region, account_id=account_id), template)
        self.creators: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::KMS::Key": self._kms_key,
            "AWS::S3::Bucket": self._bucket,
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::SNS::Topic": self._topic,
            "AWS::IAM::Role": self._role,
            "AWS::Lambda::Function": self._function,
            "AWS::Lambda::EventSourceMapping": self._event_source_mapping,
            "Custom::S3BucketNotifications": self._bucket_notifications,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "AWS::SecretsManager::Secret": self._secret,
            "AWS::Logs::LogGroup": self._log_group,
            "AWS::SES::EmailIdentity": self._email_identity,
        }

    def _client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region)  # type: ignore[call-overload]

    @property
    def resolver(self) -> Resolver:
        return self.deployment.resolver

    def deploy(self) -> Deployment:
        for logical_id in self.template.creation_order():
            resource = self.template.resources[logical_id]
            kind = resource["Type"]
            creator = self.creators.get(kind)
            if creator is not None:
                creator(logical_id, resource.get("Properties", {}))
            elif kind.startswith(API_GATEWAY_PREFIX):
                self.deployment.skipped[logical_id] = (
                    "served by the local HTTP shim from the template's routes"
                )
                # A name for references (the API's URL in settings); the local stack sets the real one.
                self.resolver.refs.setdefault(logical_id, logical_id.lower())
            else:
                self.deployment.skipped[logical_id] = SKIPPED.get(kind, f"{kind} has no local behaviour")
        return self.deployment

    def _physical_name(self, logical_id: str, limit: int = 63) -> str:
        return f"{STACK_NAME}-{logical_id}".lower()[:limit]

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.resolver.account_id}:{resource}"

    def _kms_key(self, logical_id: str, props: dict[str, Any]) -> None:
        key = self._client("kms").create_key(Description=props.get("Description", logical_id))["KeyMetadata"]
        self.resolver.refs[logical_id] = key["KeyId"]
        self.resolver.attributes[(logical_id, "Arn")] = key["Arn"]

    def _bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        s3 = self._client("s3")
        name = self._physical_name(logical_id)
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=bool(props.get("ObjectLockEnabled")))
        if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        self.resolver.refs[logical_id] = name
        for attribute, value in {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
        }.items():
            self.resolver.attributes[(logical_id, attribute)] = value

    def _table(self, logical_id: str, props: dict[str, Any]) -> None:
        dynamodb = self._client("dynamodb")
        name = self._physical_name(logical_id, 255)
        spec: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = [
                {k: v for k, v in index.items() if k != "ContributorInsightsSpecification"}
                for index in props["GlobalSecondaryIndexes"]
            ]
        if props.get("StreamSpecification"):
            spec["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        table = dynamodb.create_table(**spec)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = table["TableArn"]
        self.resolver.attributes[(logical_id, "StreamArn")] = table.get("LatestStreamArn", "")

    def _queue(self, logical_id: str, props: dict[str, Any]) -> None:
        sqs = self._client("sqs")
        name = props.get("QueueName") or self._physical_name(logical_id, 80)
        attributes: dict[str, str] = {}
        for key in (
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "ReceiveMessageWaitTimeSeconds",
            "DelaySeconds",
        ):
            if key in props:
                attributes[key] = str(props[key])
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(self.resolver.resolve(props["RedrivePolicy"]))
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.resolver.refs[logical_id] = url
        self.resolver.attributes[(logical_id, "Arn")] = self._arn("sqs", name)
        self.resolver.attributes[(logical_id, "QueueName")] = name
        self.resolver.attributes[(logical_id, "QueueUrl")] = url

    def _topic(self, logical_id: str, props: dict[str, Any]) -> None:
        arn = self._client("sns").create_topic(Name=self._physical_name(logical_id, 256))["TopicArn"]
        self.resolver.refs[logical_id] = arn
        self.resolver.attributes[(logical_id, "TopicArn")] = arn
        self.resolver.attributes[(logical_id, "TopicName")] = arn.rsplit(":", 1)[-1]

    def _role(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._physical_name(logical_id, 64)
        role = self._client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(props.get("AssumeRolePolicyDocument", {}))
        )["Role"]
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = role["Arn"]

    def _function(self, logical_id: str, props: dict[str, Any]) -> None:
        variables = props.get("Environment", {}).get("Variables", {})
        name = self._physical_name(logical_id, 64)
        arn = self._arn("lambda", f"function:{name}")
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = arn
        if Env.SERVICE.value not in variables:
            # CDK's own helpers (bucket notifications, log retention): their work is
            # done by this deployer directly, so they are not registered.
            self.deployment.skipped[logical_id] = (
                "CDK helper function: its custom resource is applied locally"
            )
            return
        self._client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=self.resolver.resolve(props["Role"]),
            Handler=props.get("Handler", "handler.lambda_handler"),
            # Container-image functions are registered as zips: the code runs in-process either way.
            Code={"ZipFile": zip_placeholder()},
            Timeout=int(props.get("Timeout", 3)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={"Variables": {k: str(v) for k, v in self.resolver.resolve(variables).items()}},
        )
        self.deployment.functions[logical_id] = name

    def _event_source_mapping(self, logical_id: str, props: dict[str, Any]) -> None:
        function_name = self.resolver.resolve(props["FunctionName"])
        spec: dict[str, Any] = {
            "EventSourceArn": self.resolver.resolve(props["EventSourceArn"]),
            "FunctionName": function_name,
            "BatchSize": int(props.get("BatchSize", 10)),
            "Enabled": props.get("Enabled", True),
        }
        if props.get("FunctionResponseTypes"):
            spec["FunctionResponseTypes"] = props["FunctionResponseTypes"]
        mapping = self._client("lambda").create_event_source_mapping(**spec)
        self.resolver.refs[logical_id] = mapping["UUID"]

    def _bucket_notifications(self, logical_id: str, props: dict[str, Any]) -> None:
        configuration = self.resolver.resolve(props["NotificationConfiguration"])
        self._client("s3").put_bucket_notification_configuration(
            Bucket=self.resolver.resolve(props["BucketName"]), NotificationConfiguration=configuration
        )
        self.resolver.refs[logical_id] = logical_id

    def _user_pool(self, logical_id: str, props: dict[str, Any]) -> None:
        spec: dict[str, Any] = {"PoolName": props.get("UserPoolName", self._physical_name(logical_id, 128))}
        if "Policies" in props:
            spec["Policies"] = props["Policies"]
        if "MfaConfiguration" in props:
            spec["MfaConfiguration"] = props["MfaConfiguration"]
        pool = self._client("cognito-idp").create_user_pool(**spec)["UserPool"]
        self.resolver.refs[logical_id] = pool["Id"]
        self.resolver.attributes[(logical_id, "Arn")] = pool["Arn"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        self.resolver.attributes[(logical_id, "ProviderName")] = provider
        self.resolver.attributes[(logical_id, "ProviderURL")] = f"https://{provider}"

    def _user_pool_group(self, logical_id: str, props: dict[str, Any]) -> None:
        self._client("cognito-idp").create_group(
            GroupName=props["GroupName"],
            UserPoolId=self.resolver.resolve(props["UserPoolId"]),
            Description=props.get("Description", ""),
        )
        self.resolver.refs[logical_id] = props["GroupName"]

    def _user_pool_client(self, logical_id: str, props: dict[str, Any]) -> None:
        spec: dict[str, Any] = {
            "UserPoolId": self.resolver.resolve(props["UserPoolId"]),
            "ClientName": props.get("ClientName", logical_id),
        }
        for key in ("ExplicitAuthFlows", "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity"):
            if key in props:
                spec[key] = props[key]
        if "TokenValidityUnits" in props:
            spec["TokenValidityUnits"] = props["TokenValidityUnits"]
        client = self._client("cognito-idp").create_user_pool_client(**spec)["UserPoolClient"]
        self.resolver.refs[logical_id] = client["ClientId"]

    def _state_machine(self, logical_id: str, props: dict[str, Any]) -> None:
        definition = props.get("DefinitionString") or props.get("Definition")
        resolved = self.resolver.resolve(definition)
        if not isinstance(resolved, str):
            resolved = json.dumps(resolved)
        for key, value in self.resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
            resolved = resolved.replace("${" + key + "}", str(value))
        machine = self._client("stepfunctions").create_state_machine(
            name=self._physical_name(logical_id, 80),
            definition=resolved,
            roleArn=self.resolver.resolve(props["RoleArn"]),
        )
        self.resolver.refs[logical_id] = machine["stateMachineArn"]
        self.resolver.attributes[(logical_id, "Arn")] = machine["stateMachineArn"]
        self.resolver.attributes[(logical_id, "Name")] = self._physical_name(logical_id, 80)

    def _log_group(self, logical_id: str, props: dict[str, Any]) -> None:
        """Log groups exist so the local API can write its stage access log where the cloud does;
        the functions themselves log to the terminal."""
        name = props.get("LogGroupName") or f"/{STACK_NAME}/{logical_id}"
        self._client("logs").create_log_group(logGroupName=name)
        self.resolver.refs[logical_id] = name
        self.resolver.attributes[(logical_id, "Arn")] = self._arn("logs", f"log-group:{name}:*")

    def _secret(self, logical_id: str, props: dict[str, Any]) -> None:
        spec: dict[str, Any] = {"Name": props.get("Name") or self._physical_name(logical_id, 256)}
        generate = props.get("GenerateSecretString")
        spec["SecretString"] = (
            secrets.token_urlsafe(48) if generate is not None else props.get("SecretString", "")
        )
        arn = self._client("secretsmanager").create_secret(**spec)["ARN"]
        self.resolver.refs[logical_id] = arn

    def _email_identity(self, logical_id: str, props: dict[str, Any]) -> None:
        # moto treats a created identity as verified, so functions may send from it (SESv2).
        identity = str(self.resolver.resolve(props["EmailIdentity"]))
        self._client("sesv2").create_email_identity(EmailIdentity=identity)
        self.resolver.refs[logical_id] = identity
