"""Pages for people (issue 20): the Cognito hosted UI (user pool domain), the pages' app client
(authorization code + PKCE, no secret, callback and sign-out URLs from context), the session
cookie's signing key, and the page routes, which a browser reaches with its session cookie and
so have no API Gateway authorizer (the function checks the cookie or a bearer token itself).

Context (`-c key=value`): `web_base_url` (the API's public base URL, e.g. a custom domain; default
the stage's execute-api URL), `web_auth_domain_prefix` (the hosted UI's domain prefix).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from alpr.names import Env, Output
from alpr.web.settings import CALLBACK_PATH, LOGOUT_PATH
from infra.api import Api
from infra.auth import SESSION, Auth
from infra.hmac_keys import hmac_key_secret
from infra.nag import acknowledge, checkov_skip
from infra.naming import fix_logical_id, output
from infra.storage import Storage

STAGE = "prod"  # RestApi's default stage


class WebSignIn(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, auth: Auth, api: Api, storage: Storage
    ) -> None:
        super().__init__(scope, construct_id)
        base_url = str(
            self.node.try_get_context("web_base_url")
            or f"https://{api.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{STAGE}"
        ).rstrip("/")
        if not base_url.startswith("https://"):
            raise ValueError("web_base_url must be an https:// URL: sign-in and decision links need TLS")
        self.base_url = base_url
        prefix = str(self.node.try_get_context("web_auth_domain_prefix") or f"alpr-{Aws.ACCOUNT_ID}")
        self.domain = auth.user_pool.add_domain(
            "HostedUiDomain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix)
        )
        fix_logical_id(self.domain, "HostedUiDomain")
        auth_url = f"https://{prefix}.auth.{Aws.REGION}.amazoncognito.com"
        self.client = auth.user_pool.add_client(
            "WebClient",
            generate_secret=False,  # a public client: PKCE instead of a secret
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[base_url + CALLBACK_PATH],
                logout_urls=[base_url + LOGOUT_PATH + "?done=1"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=SESSION,
            id_token_validity=SESSION,
            refresh_token_validity=Duration.hours(1),
        )
        fix_logical_id(self.client, "WebClient")
        self.session_secret = hmac_key_secret(
            self,
            "WebSessionSecret",
            description="HMAC-SHA256 key of the pages' session and sign-in cookies",
            key=storage.key,
            why_not_rotated="Rotating the cookie key signs everyone out of the pages (sessions last 15 "
            "minutes); it is rotated by hand, not on a schedule.",
        )

        fn = api.api_function
        self.session_secret.grant_read(fn.role)
        fn.set_env(Env.WEB_SESSION_SECRET, self.session_secret.secret_arn)
        fn.set_env(Env.WEB_BASE_URL, base_url)
        fn.set_env(Env.WEB_AUTH_URL, auth_url)
        fn.set_env(Env.WEB_CLIENT_ID, self.client.user_pool_client_id)
        fn.set_env(Env.API_CLIENT_ID, auth.client.user_pool_client_id)
        fn.set_env(Env.USER_POOL_ID, auth.user_pool.user_pool_id)

        # The decision page and its form: the browser has a session cookie, not a bearer token.
        # Explicit resources hide the greedy one, so the routes around them keep the authorizer.
        requests_ = api.v1.add_resource("release-requests")
        requests_.add_method("ANY", api.api_integration, **api.authorized)
        one = requests_.add_resource("{request_id}")
        one.add_method("ANY", api.api_integration, **api.authorized)
        one.add_resource("{proxy+}").add_method("ANY", api.api_integration, **api.authorized)
        decision = one.add_resource("decision")
        page_reason = (
            "A page a browser opens from the commander's email: API Gateway cannot read the session "
            "cookie, so the function authenticates every request itself (signed session cookie from the "
            "hosted-UI sign-in with MFA, or a Cognito ID token verified against the pool's JWKS) before "
            "the access gate checks role and training and logs it; POSTs need a CSRF token."
        )
        for method in ("GET", "POST"):
            added = decision.add_method(method, api.api_integration, request_validator=api.validator)
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(added, rule, page_reason)
            checkov_skip(added, "CKV_AWS_59", page_reason)
        auth_resource = api.rest_api.root.add_resource("auth")
        sign_in_reason = (
            "The OAuth callback and sign-out of the pages: before sign-in there is no token to check; "
            "the callback accepts only a code bound to the browser's signed state and PKCE verifier."
        )
        for path in (CALLBACK_PATH, LOGOUT_PATH):
            added = auth_resource.add_resource(path.rsplit("/", 1)[1]).add_method(
                "GET", api.api_integration, request_validator=api.validator
            )
            for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
                acknowledge(added, rule, sign_in_reason)
            checkov_skip(added, "CKV_AWS_59", sign_in_reason)

        output(self, Output.WEB_BASE_URL, base_url)
        output(self, Output.WEB_AUTH_URL, auth_url)
        output(self, Output.WEB_CLIENT_ID, self.client.user_pool_client_id)
