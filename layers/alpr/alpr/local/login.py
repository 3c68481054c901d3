"""The hosted UI's stand-in for the local stack: moto has no Cognito hosted UI, so this serves
the same paths (/oauth2/authorize, /login, /oauth2/token, /logout) and signs people in against
the local moto pool (password, then the TOTP challenge, which moto checks), then completes the
same authorization-code + PKCE exchange the API does with Cognito in the cloud."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
from botocore.exceptions import ClientError

from alpr.local.loopback import LoopbackServer
from alpr.web.pages import render
from alpr.web.session import pkce_challenge

CODE_SECONDS = 300
# form-action covers the redirect that follows the form: the sign-in goes on to the callback's origin.
CSP = "default-src 'none'; style-src 'none'; form-action 'self' {callback}; frame-ancestors 'none'; base-uri 'none'"
AUTHORIZE_FIELDS = ("client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope")


@dataclass(frozen=True)
class CodeGrant:
    tokens: dict[str, Any]
    client_id: str
    redirect_uri: str
    challenge: str
    expires_at: float


class LocalHostedUi(LoopbackServer):
    """Serves the sign-in pages on 127.0.0.1:port until stop()."""

    def __init__(
        self, endpoint_url: str, region: str, client_id: str, callback_url: str, port: int = 0
    ) -> None:
        self.client_id = client_id
        self.callback_url = callback_url
        self.cognito = boto3.client("cognito-idp", endpoint_url=endpoint_url, region_name=region)
        self._grants: dict[str, CodeGrant] = {}
        self._lock = threading.Lock()
        self._serve(port, self._handler_class())

    # ---- the endpoints ---------------------------------------------------------------------

    def _check_authorize(self, params: dict[str, str]) -> str | None:
        if params.get("client_id") != self.client_id:
            return "unknown client"
        if params.get("redirect_uri") != self.callback_url:
            return "redirect_uri is not a callback URL of this client"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE (S256) is required"
        return None

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        problem = self._check_authorize(params)
        if problem or params.get("response_type") != "code":
            return self._page("Sign-in refused", error=problem or "response_type must be code", status=400)
        return self._page("Sign in", params=params)

    def login(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        params = {k: form.get(k, "") for k in AUTHORIZE_FIELDS}
        problem = self._check_authorize(params)
        if problem:
            return self._page("Sign-in refused", error=problem, status=400)
        try:
            tokens = self._authenticate(
                form.get("username", ""), form.get("password", ""), form.get("code", "")
            )
        except PermissionError as refused:
            return self._page("Sign in", params=params, error=str(refused), status=401)
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = CodeGrant(
                tokens,
                self.client_id,
                params["redirect_uri"],
                params["code_challenge"],
                time.time() + CODE_SECONDS,
            )
        location = params["redirect_uri"] + "?" + urlencode({"code": code, "state": params["state"]})
        return 302, {"Location": location, "Cache-Control": "no-store"}, b""

    def _authenticate(self, username: str, password: str, code: str) -> dict[str, Any]:
        try:
            started = self.cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
            if started.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
                raise PermissionError("this account has no authenticator (TOTP) set up; MFA is required")
            done = self.cognito.respond_to_auth_challenge(
                ClientId=self.client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=started["Session"],
                ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
            )
        except ClientError as error:
            raise PermissionError("incorrect username, password or code") from error
        return dict(done["AuthenticationResult"])

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code is used once
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or time.time() > grant.expires_at
            or form.get("client_id") != grant.client_id
            or form.get("redirect_uri") != grant.redirect_uri
            or not secrets.compare_digest(pkce_challenge(form.get("code_verifier", "")), grant.challenge)
        ):
            return 400, {"Content-Type": "application/json"}, json.dumps({"error": "invalid_grant"}).encode()
        body = {
            "id_token": grant.tokens["IdToken"],
            "access_token": grant.tokens["AccessToken"],
            "refresh_token": grant.tokens.get("RefreshToken", ""),
            "token_type": "Bearer",
            "expires_in": grant.tokens.get("ExpiresIn", 3600),
        }
        return (
            200,
            {"Content-Type": "application/json", "Cache-Control": "no-store"},
            json.dumps(body).encode(),
        )

    def logout(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if params.get("client_id") != self.client_id or not params.get("logout_uri", "").startswith(
            self.callback_url.rsplit("/auth/", 1)[0] + "/"
        ):
            return self._page("Sign-out refused", error="unknown client or logout URL", status=400)
        return 302, {"Location": params["logout_uri"]}, b""

    def _page(
        self, title: str, params: dict[str, str] | None = None, error: str = "", status: int = 200
    ) -> tuple[int, dict[str, str], bytes]:
        body = render("login.html", title=title, params=params or {}, error=error, username="", logout_url="")
        headers = {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": CSP.format(callback=self.callback_url.split("/auth/", 1)[0]),
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        }
        return status, headers, body.encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        ui = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                split = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(split.query).items()}
                if split.path == "/oauth2/authorize":
                    self._answer(*ui.authorize(params))
                elif split.path == "/logout":
                    self._answer(*ui.logout(params))
                else:
                    self._answer(404, {"Content-Type": "text/plain"}, b"not found")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                path = urlsplit(self.path).path
                if path == "/login":
                    self._answer(*ui.login(form))
                elif path == "/oauth2/token":
                    self._answer(*ui.token(form))
                else:
                    self._answer(404, {"Content-Type": "text/plain"}, b"not found")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
