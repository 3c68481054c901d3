"""Sign-in (Cognito) and the REST API in front of the functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alpr.names import Env, Group
from infra.build_assets import Assets
from tests.infra.conftest import Synth, _synth


def _paths(synth: Synth) -> dict[str, str]:
    """Logical id of each API resource -> its full path."""
    resources = synth.of_type("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def _methods(synth: Synth) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _paths(synth)
    return {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
        for m in synth.of_type("AWS::ApiGateway::Method").values()
    }


def _integrated_function(method: dict[str, Any]) -> str:
    uri = method["Integration"]["Uri"]["Fn::Join"][1]
    (target,) = [part["Fn::GetAtt"][0] for part in uri if isinstance(part, dict) and "Fn::GetAtt" in part]
    return str(target)


def test_user_pool_requires_mfa_strong_passwords_and_no_self_sign_up(synth: Synth) -> None:
    synth.template.resource_count_is("AWS::Cognito::UserPool", 1)
    props = synth.props("UserPool")
    assert props["MfaConfiguration"] == "ON"
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 14
    assert all(
        policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
    )


def test_every_role_is_a_group(synth: Synth) -> None:
    groups = {g["Properties"]["GroupName"] for g in synth.of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {group.value for group in Group}


def test_app_client_signs_in_with_password_and_refreshes(synth: Synth) -> None:
    props = synth.props("UserPoolClient")
    assert set(props["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert props["GenerateSecret"] is False


def test_routes_reach_the_right_functions(synth: Synth) -> None:
    methods = _methods(synth)
    assert set(methods) == {
        ("GET", "/health"),
        ("GET", "/v1/policy"),
        ("GET", "/v1/transparency"),
        ("POST", "/v1/uploads"),
        ("ANY", "/v1/{proxy+}"),
        # Issue 20: the decision page and its form, reached with a session cookie, and the sign-in
        # callback and sign-out; the resources around the page keep the authorizer.
        ("ANY", "/v1/release-requests"),
        ("ANY", "/v1/release-requests/{request_id}"),
        ("ANY", "/v1/release-requests/{request_id}/{proxy+}"),
        ("GET", "/v1/release-requests/{request_id}/decision"),
        ("POST", "/v1/release-requests/{request_id}/decision"),
        ("GET", "/auth/callback"),
        ("GET", "/auth/logout"),
    }
    assert _integrated_function(methods[("GET", "/health")]) == "ApiFunction"
    assert _integrated_function(methods[("GET", "/v1/policy")]) == "ApiFunction"
    assert _integrated_function(methods[("GET", "/v1/transparency")]) == "ApiFunction"
    assert _integrated_function(methods[("POST", "/v1/uploads")]) == "UploadsFunction"
    assert _integrated_function(methods[("ANY", "/v1/{proxy+}")]) == "ApiFunction"
    assert all(m["Integration"]["Type"] == "AWS_PROXY" for m in methods.values())


# Public by design: the liveness probe, the usage and privacy policy the law requires to be posted,
# and the aggregate transparency figures.
PUBLIC_METHODS = {("GET", "/health"), ("GET", "/v1/policy"), ("GET", "/v1/transparency")}
# No authorizer because a browser has no bearer token: the function checks the signed session
# cookie (or verifies a bearer token itself) and the gate logs every call (issue 20).
PAGE_METHODS = {
    ("GET", "/v1/release-requests/{request_id}/decision"),
    ("POST", "/v1/release-requests/{request_id}/decision"),
    ("GET", "/auth/callback"),
    ("GET", "/auth/logout"),
}


def test_every_method_but_the_public_ones_needs_a_cognito_token(synth: Synth) -> None:
    (authorizer_id,) = synth.of_type("AWS::ApiGateway::Authorizer")
    authorizer = synth.props(authorizer_id)
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["ProviderARNs"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    for (verb, path), method in _methods(synth).items():
        if (verb, path) in PUBLIC_METHODS | PAGE_METHODS:
            assert method["AuthorizationType"] == "NONE"
        else:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS", path
            assert method["AuthorizerId"] == {"Ref": authorizer_id}, path
        assert "RequestValidatorId" in method, path


def test_stage_logs_access_traces_and_throttles(synth: Synth) -> None:
    (stage,) = synth.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    log_group = props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    assert synth.resources[log_group]["Type"] == "AWS::Logs::LogGroup"
    assert props["TracingEnabled"] is True
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert settings["LoggingLevel"] in ("ERROR", "INFO")
    assert settings["DataTraceEnabled"] is False


# --- issue 19, item 9: one caller, or one runaway function, cannot take all the capacity --------


def test_every_function_has_reserved_concurrency(synth: Synth) -> None:
    functions = synth.of_type("AWS::Lambda::Function")
    assert functions
    unbounded = [
        lid for lid, res in functions.items() if not res["Properties"].get("ReservedConcurrentExecutions")
    ]
    assert unbounded == []


def test_the_web_acl_blocks_a_caller_past_a_rate_per_token_and_per_ip(synth: Synth) -> None:
    (acl,) = synth.of_type("AWS::WAFv2::WebACL").values()
    rated = {
        rule["Name"]: rule for rule in acl["Properties"]["Rules"] if "RateBasedStatement" in rule["Statement"]
    }
    assert rated, "no rate-based rule"
    for rule in rated.values():
        assert rule["Action"] == {"Block": {}}
        assert 0 < rule["Statement"]["RateBasedStatement"]["Limit"] <= 5000
    keys = [r["Statement"]["RateBasedStatement"]["AggregateKeyType"] for r in rated.values()]
    assert sorted(keys) == ["CUSTOM_KEYS", "IP"]
    (per_token,) = [
        r for r in rated.values() if r["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "CUSTOM_KEYS"
    ]
    assert per_token["Statement"]["RateBasedStatement"]["CustomKeys"] == [
        {"Header": {"Name": "authorization", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
    ]


def test_the_administrator_and_designee_come_from_context(assets: Assets, tmp_path: Path) -> None:
    # Given the people policy 439.3.1(e) names, as CDK context
    context = {
        "alpr_administrator_name": "Cmdr. Dana Ortiz",
        "alpr_designee_title": "ALPR Program Sergeant",
        "alpr_designee_name": "Sgt. Lee Park",
        "alpr_designee_username": "lpark",
    }
    synth = _synth(assets, tmp_path / "cdk.out", context=context)
    # Then the API function (GET /v1/policy) knows them, with the policy's default title
    variables = synth.props("ApiFunction")["Environment"]["Variables"]
    assert variables[Env.ADMINISTRATOR_TITLE.value] == "Administrative Services Division Commander"
    assert variables[Env.ADMINISTRATOR_NAME.value] == "Cmdr. Dana Ortiz"
    assert (variables[Env.DESIGNEE_TITLE.value], variables[Env.DESIGNEE_NAME.value]) == (
        "ALPR Program Sergeant",
        "Sgt. Lee Park",
    )
    # And the release workflow sends its escalated round's links to the designee alone
    notify = synth.props("ReleaseNotifyFunction")["Environment"]["Variables"]
    assert notify[Env.DESIGNEE_USERNAME.value] == "lpark"


def test_failed_and_risky_sign_ins_lock_or_block_the_account(synth: Synth) -> None:
    # CJIS: lock after at most five failed sign-ins. Cognito's own lockout follows five failures
    # only with threat protection on; it must be enforced, not audit-only.
    pool = synth.props("UserPool")
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    (risk,) = synth.of_type("AWS::Cognito::UserPoolRiskConfigurationAttachment").values()
    risk = risk["Properties"]
    assert risk["UserPoolId"] == {"Ref": "UserPool"} and risk["ClientId"] == "ALL"
    compromised = risk["CompromisedCredentialsRiskConfiguration"]
    assert compromised["Actions"]["EventAction"] == "BLOCK"
    assert "SIGN_IN" in compromised["EventFilter"]
    takeover = risk["AccountTakeoverRiskConfiguration"]["Actions"]
    assert takeover["HighAction"]["EventAction"] == "BLOCK"
    assert {takeover[level]["EventAction"] for level in ("MediumAction", "LowAction")} == {"MFA_REQUIRED"}
