"""The REST API: Cognito authorizer in front of the api and uploads functions."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from alpr import names
from alpr.domain.canvass import parse_service_area
from alpr.names import Env, Function, Output
from infra.auth import Auth
from infra.build_assets import Assets
from infra.functions import LOG_RETENTION, AlprFunction, zip_code
from infra.layers import Layers
from infra.nag import acknowledge, checkov_skip
from infra.naming import fix_logical_id
from infra.storage import Storage

API_TIMEOUT = Duration.seconds(29)  # API Gateway's integration limit
API_MEMORY_MB = 512
UPLOADS_TIMEOUT = Duration.seconds(10)
UPLOADS_MEMORY_MB = 256
THROTTLE_RATE = 50  # requests per second, steady
THROTTLE_BURST = 100
# The department's jurisdiction: `-c service_area='[west, south, east, north]'` or a GeoJSON
# Polygon in cdk.json's context; a canvass outside it is refused (default: California's box).
SERVICE_AREA_CONTEXT = "service_area"
UPLOAD_MAX_AGE_CONTEXT = "upload_max_age_hours"
DEFAULT_UPLOAD_MAX_AGE_HOURS = 48


# The designee decides the release workflow's escalated round (infra/release.py).
DESIGNEE_USERNAME_CONTEXT = "alpr_designee_username"
# Context (`-c key=value`) → the API's environment: who policy 439.3 and 439.3.1(e) name.
ADMINISTRATION_CONTEXT: tuple[tuple[str, Env, str], ...] = (
    ("alpr_administrator_title", Env.ADMINISTRATOR_TITLE, "Administrative Services Division Commander"),
    ("alpr_administrator_name", Env.ADMINISTRATOR_NAME, ""),
    ("alpr_designee_title", Env.DESIGNEE_TITLE, ""),
    ("alpr_designee_name", Env.DESIGNEE_NAME, ""),
    # Their usernames: the configured account approvers beside the supervisor a proposal names.
    ("alpr_administrator_username", Env.ADMINISTRATOR_USERNAME, ""),
    (DESIGNEE_USERNAME_CONTEXT, Env.DESIGNEE_USERNAME, ""),
)


class Api(Construct):
    """REST API with access logs, tracing and throttling; every method but GET /health is authorized."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        auth: Auth,
        layers: Layers,
        assets: Assets,
        retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        common: dict[str, Any] = dict(key=storage.key, retention_days=retention_days, layers=[layers.alpr])
        self.api_function = AlprFunction(
            self,
            "ApiFunction",
            service=Function.API,
            code=zip_code(assets, Function.API),
            memory_size=API_MEMORY_MB,
            timeout=API_TIMEOUT,
            **common,
        )
        fix_logical_id(self.api_function.function, "ApiFunction")
        fn = self.api_function
        fn.set_env(Env.SERVICE_AREA, service_area_setting(self.node.try_get_context(SERVICE_AREA_CONTEXT)))
        # The ALPR administrator and the current designee (policy 439.3.1(e)), posted in GET /v1/policy.
        for context_key, env, default in ADMINISTRATION_CONTEXT:
            value = str(self.node.try_get_context(context_key) or default)
            if value:
                fn.set_env(env, value)
        # Model manifests (source, licence, version) are public facts the API reports; the
        # uploads function never looks at a model and goes without the layer.
        fn.use_models(layers.models)
        # Searches get and query reads, legal holds and corrections update them; only recognize
        # writes reads.
        fn.read_update_table(
            storage.reads,
            Env.READS_TABLE,
            indexes=[
                names.READS_BY_PLATE_INDEX,
                names.READS_BY_CELL_DAY_INDEX,
                names.READS_BY_CELL7_DAY_INDEX,
                names.READS_BY_CORRECTED_PLATE_INDEX,
            ],
        )
        fn.read_table(storage.plates, Env.PLATES_TABLE)
        # A legal hold marks its plate held (no TTL) in the same transaction as the read (issue 22).
        fn.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:UpdateItem"], resources=[storage.plates.table_arn])
        )
        fn.read_table(storage.plate_grams, Env.PLATE_GRAMS_TABLE)
        # The register of holds: a hold by id; each change of a read's holds rewrites its entries.
        fn.read_put_table(storage.holds, Env.HOLDS_TABLE)
        fn.read_write_table(storage.hotlist, Env.HOTLIST_TABLE, indexes=[names.HOTLIST_OCR_INDEX])
        fn.read_write_table(storage.alerts, Env.ALERTS_TABLE, indexes=[names.ALERTS_BY_STATUS_INDEX])
        fn.read_write_table(storage.personnel, Env.PERSONNEL_TABLE)
        # A decision and the account it approves are written in one transaction (issue 21).
        fn.read_write_table(storage.account_proposals, Env.ACCOUNT_PROPOSALS_TABLE)
        fn.read_write_table(storage.release_requests, Env.RELEASE_REQUESTS_TABLE)
        for counted in (storage.reads, storage.alerts):  # GET /v1/transparency
            fn.count_items(counted)
        fn.read_objects(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.RAW_PREFIX,
            reason="Signs short-lived GET links to the images of the reads a search returns; "
            "keys are per upload, so the permission is on the raw/ prefix.",
        )
        fn.read_objects(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.CROPS_PREFIX,
            reason="Signs short-lived GET links to the plate crops of the reads a search returns; "
            "crops are per read (crops/<read_id>.jpg), so the permission is on the crops/ prefix.",
        )
        # Evidence export: the bundle's objects are written under legal hold and read back
        # through a short-lived link to its zip.
        exports = names.EVIDENCE_EXPORTS_PREFIX
        evidence_reason = (
            "Writes evidence bundles as new objects under exports/<export id>/, each under legal hold"
        )
        fn.write_objects(storage.evidence, Env.EVIDENCE_BUCKET, prefix=exports, reason=evidence_reason)
        fn.hold_objects(storage.evidence, Env.EVIDENCE_BUCKET, prefix=exports, reason=evidence_reason)
        fn.read_objects(
            storage.evidence,
            Env.EVIDENCE_BUCKET,
            prefix=exports,
            reason="Signs the short-lived link to an evidence bundle's zip under exports/<export id>/.",
        )
        for prefix in (names.RAW_PREFIX, names.CROPS_PREFIX):
            fn.hold_objects(
                storage.uploads,
                Env.UPLOADS_BUCKET,
                prefix=prefix,
                reason=f"Places and lifts legal holds on the images of held reads under {prefix}; "
                "keys are per upload or read, so the permission is on the prefix.",
            )
        fn.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.ACCESS_LOG_PREFIX,
            reason="Appends access records as new objects under access-log/dt=YYYY-MM-DD/; "
            "each record is a new key.",
        )
        fn.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.AUDIT_REVIEWS_PREFIX,
            reason="Appends supervisors' weekly reviews as new objects under audit-reviews/dt=YYYY-MM-DD/, "
            "beside the log and under its Object Lock; each review is a new key.",
        )

        self.uploads_function = AlprFunction(
            self,
            "UploadsFunction",
            service=Function.UPLOADS,
            code=zip_code(assets, Function.UPLOADS),
            memory_size=UPLOADS_MEMORY_MB,
            timeout=UPLOADS_TIMEOUT,
            **common,
        )
        fix_logical_id(self.uploads_function.function, "UploadsFunction")
        # How far back a unit may date a capture: `-c upload_max_age_hours=72` (default 48).
        max_age = float(self.node.try_get_context(UPLOAD_MAX_AGE_CONTEXT) or DEFAULT_UPLOAD_MAX_AGE_HOURS)
        if not max_age > 0:
            raise ValueError(f"{UPLOAD_MAX_AGE_CONTEXT} must be a positive number of hours, got {max_age}")
        self.uploads_function.set_env(Env.UPLOAD_MAX_AGE_HOURS, f"{max_age:g}")
        self.uploads_function.write_objects(
            storage.uploads,
            Env.UPLOADS_BUCKET,
            prefix=names.RAW_PREFIX,
            reason="Signs presigned POSTs for units' uploads under raw/<unit>/...; "
            "each upload gets a new key, so the permission is on the raw/ prefix.",
        )
        # The access gate runs in every resolver (issue 4): a unit's Personnel record (optional,
        # devices may be suspended or separated) is read, and a refused request is logged.
        self.uploads_function.read_table(storage.personnel, Env.PERSONNEL_TABLE)
        self.uploads_function.write_objects(
            storage.access_log,
            Env.ACCESS_LOG_BUCKET,
            prefix=names.ACCESS_LOG_PREFIX,
            reason="Appends the access record of a refused upload-ticket request under "
            "access-log/dt=YYYY-MM-DD/; each record is a new key.",
        )

        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=LOG_RETENTION,
            encryption_key=storage.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description="ALPR back office",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies would put plates and tokens in the logs
                metrics_enabled=True,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
            ),
        )
        fix_logical_id(self.rest_api, "RestApi")
        acknowledge(
            self.rest_api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level role API Gateway needs to write execution logs; the AWS managed policy "
            "is the documented one and only allows CloudWatch Logs writes.",
        )
        self.web_acl = _web_acl(self)
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.rest_api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[auth.user_pool])
        validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self.authorized: dict[str, Any] = dict(
            authorizer=authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO,
            request_validator=validator,
        )
        api_integration = apigw.LambdaIntegration(fn.function)

        health = self.rest_api.root.add_resource("health").add_method(
            "GET", api_integration, request_validator=validator
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                health,
                rule,
                "GET /health is the unauthenticated liveness probe: it returns only whether the service "
                "is up, no data.",
            )
        checkov_skip(health, "CKV_AWS_59", "GET /health is the unauthenticated liveness probe: no data.")
        v1 = self.rest_api.root.add_resource("v1")
        public = {
            "policy": "GET /v1/policy is the usage and privacy policy the law requires to be public "
            "(Civil Code § 1798.90.51(b)); it returns only the policy text, no data.",
            "transparency": "GET /v1/transparency gives the public aggregate figures (counts of reads, "
            "alerts and release requests by outcome); no plate, person or case.",
        }
        for path, reason in public.items():
            method = v1.add_resource(path).add_method("GET", api_integration, request_validator=validator)
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(method, rule, reason)
            checkov_skip(method, "CKV_AWS_59", reason)
        v1.add_resource("uploads").add_method(
            "POST",
            apigw.LambdaIntegration(self.uploads_function.function),
            **self.authorized,
        )
        v1.add_resource("{proxy+}").add_method("ANY", api_integration, **self.authorized)
        self.v1 = v1
        self.api_integration = api_integration
        self.validator = validator

        checkov_skip(
            self.rest_api.deployment_stage,
            "CKV_AWS_120",
            "No response is cached: every data response is for one user and purpose and is answered only "
            "after its access record is written (Civil Code § 1798.90.52); a cache would serve data "
            "without the access gate and its record.",
        )

        # RestApi writes its URL as an output of its own; give that one the fixed name.
        endpoint = self.rest_api.node.find_child("Endpoint")
        assert isinstance(endpoint, CfnOutput)
        endpoint.override_logical_id(Output.API_URL.value)


# AWS managed rule groups: common exploits (OWASP top 10), known bad inputs, and
# addresses on Amazon's threat-intelligence reputation list.
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)


# Requests per 5 minutes before WAF blocks the caller: per token (a signed-in user or unit) and per
# source IP (a precinct's NAT carries several users, so it is wider).
RATE_PER_TOKEN = 1500
RATE_PER_IP = 5000


def _web_acl(scope: Construct) -> wafv2.CfnWebACL:
    def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
        )

    return wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility("alpr-api"),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=visibility(group),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS)
        ]
        + [
            # One caller cannot pin the API: past the rate, its requests are blocked for a while.
            _rate_rule("RatePerToken", len(MANAGED_RULE_GROUPS), RATE_PER_TOKEN, visibility, per_token=True),
            _rate_rule("RatePerIp", len(MANAGED_RULE_GROUPS) + 1, RATE_PER_IP, visibility, per_token=False),
        ],
    )


def _rate_rule(
    name: str,
    priority: int,
    limit: int,
    visibility: Any,
    *,
    per_token: bool,
) -> wafv2.CfnWebACL.RuleProperty:
    rate = wafv2.CfnWebACL.RateBasedStatementProperty(
        limit=limit,
        evaluation_window_sec=300,
        aggregate_key_type="CUSTOM_KEYS" if per_token else "IP",
        custom_keys=[
            wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                    name="authorization",
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                    ],
                )
            )
        ]
        if per_token
        else None,
    )
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=rate),
        visibility_config=visibility(name),
    )


def service_area_setting(context: Any) -> str:
    """The service area for the functions' environment, from the CDK context (cdk.json gives a list
    or an object, the CLI a string); refused at synth with the message the function would give."""
    text = context if isinstance(context, str) else json.dumps(context) if context else ""
    ring = parse_service_area(text)
    return json.dumps({"type": "Polygon", "coordinates": [[list(position) for position in ring]]})
