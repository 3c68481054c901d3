"""Browser sign-in in the CDK app (issue 20): hosted UI domain, the pages' app client (code + PKCE,
no secret), callback and sign-out URLs from context, the session key, and the function's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpr.names import Env, Output
from infra.build_assets import Assets
from tests.infra.conftest import Synth, _synth

CONTEXT = {"web_base_url": "https://alpr.example.gov/api", "web_auth_domain_prefix": "concord-alpr"}


@pytest.fixture(scope="module")
def synth_web(assets: Assets, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(assets, tmp_path_factory.mktemp("cdk.out-web"), context=CONTEXT)


def test_the_hosted_ui_has_a_domain_from_context(synth_web: Synth) -> None:
    (domain,) = synth_web.of_type("AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["Domain"] == "concord-alpr"
    assert domain["Properties"]["UserPoolId"] == {"Ref": "UserPool"}


def test_the_pages_client_uses_the_code_flow_without_a_secret_and_urls_from_context(synth_web: Synth) -> None:
    props = synth_web.props("WebClient")
    assert props["AllowedOAuthFlows"] == ["code"] and props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["GenerateSecret"] is False  # a public client: PKCE, not a secret in a browser
    assert set(props["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert props["CallbackURLs"] == ["https://alpr.example.gov/api/auth/callback"]
    assert props["LogoutURLs"] == ["https://alpr.example.gov/api/auth/logout?done=1"]
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in props["ExplicitAuthFlows"]


def test_mfa_stays_required_for_everyone_the_web_client_signs_in(synth_web: Synth) -> None:
    pool = synth_web.props("UserPool")
    assert pool["MfaConfiguration"] == "ON" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_api_function_knows_the_base_url_sign_in_and_its_session_key(synth_web: Synth) -> None:
    variables = synth_web.props("ApiFunction")["Environment"]["Variables"]
    assert variables[Env.WEB_BASE_URL.value] == "https://alpr.example.gov/api"
    assert variables[Env.WEB_AUTH_URL.value] == {
        "Fn::Join": ["", ["https://concord-alpr.auth.", {"Ref": "AWS::Region"}, ".amazoncognito.com"]]
    }
    assert variables[Env.WEB_CLIENT_ID.value] == {"Ref": "WebClient"}
    assert variables[Env.API_CLIENT_ID.value] == {"Ref": "UserPoolClient"}
    assert variables[Env.USER_POOL_ID.value] == {"Ref": "UserPool"}
    assert variables[Env.WEB_SESSION_SECRET.value] == {"Ref": "WebSessionSecret"}
    secret = synth_web.props("WebSessionSecret")
    assert secret["GenerateSecretString"]["PasswordLength"] == 64 and "KmsKeyId" in secret


def test_without_context_the_links_use_the_stages_execute_api_url(synth: Synth) -> None:
    variables = synth.props("ApiFunction")["Environment"]["Variables"]
    joined = variables[Env.WEB_BASE_URL.value]["Fn::Join"][1]
    assert joined[0] == "https://" and {"Ref": "RestApi"} in joined and joined[-1] == "/prod"
    assert {"Ref": "AWS::URLSuffix"} in joined
    outputs = synth.template.to_json()["Outputs"]
    assert {Output.WEB_BASE_URL.value, Output.WEB_AUTH_URL.value, Output.WEB_CLIENT_ID.value} <= set(outputs)


def test_a_plain_http_base_url_is_refused_at_synth(assets: Assets, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="https://"):
        _synth(assets, tmp_path, context={"web_base_url": "http://alpr.example.gov"})
