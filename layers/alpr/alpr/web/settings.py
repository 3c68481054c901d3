"""The pages' settings (built by `alpr.config.Config.web` from what the CDK app or the local stack sets)."""

from __future__ import annotations

from pydantic import BaseModel

SESSION_SECONDS = 15 * 60  # short-lived; CJIS asks for a session lock after at most 30 minutes idle
CALLBACK_PATH = "/auth/callback"
LOGOUT_PATH = "/auth/logout"


class WebSettings(BaseModel):
    base_url: str = ""  # the API's public base URL: every link and redirect is built from it
    auth_url: str = ""  # the hosted UI
    web_client_id: str = ""
    api_client_id: str = ""
    user_pool_id: str = ""
    region: str = "us-east-1"
    session_secret_id: str = ""
    aws_endpoint_url: str = ""  # the local stack's embedded AWS; empty in the cloud

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        root = self.aws_endpoint_url.rstrip("/") or self.issuer.rsplit("/", 1)[0]
        return f"{root}/{self.user_pool_id}/.well-known/jwks.json"

    @property
    def callback_url(self) -> str:
        return self.base_url.rstrip("/") + CALLBACK_PATH

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies need HTTPS; only the local stack on 127.0.0.1 runs over plain HTTP."""
        return self.base_url.startswith("https://")
