"""Cognito ID tokens, verified as the REST API's Cognito authorizer would (RS256 against the
pool's JWKS, issuer, audience, expiry, token_use=id), and the code → token exchange of the
hosted UI's token endpoint."""

from __future__ import annotations

from typing import Any

import jwt
import requests

TIMEOUT_S = 10


class IdTokens:
    def __init__(self, jwks_url: str, issuer: str) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self._keys: jwt.PyJWKSet | None = None

    def _jwks(self) -> jwt.PyJWKSet:
        if self._keys is None:
            self._keys = jwt.PyJWKSet.from_dict(requests.get(self.jwks_url, timeout=TIMEOUT_S).json())
        return self._keys

    def claims(self, token: str, audiences: set[str]) -> dict[str, Any] | None:
        """The token's claims if it is a valid ID token of the pool for one of `audiences`, else None."""
        audiences = {a for a in audiences if a}
        if not token or not audiences:
            return None
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next(k for k in self._jwks().keys if k.key_id == kid)
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=list(audiences),
                options={"require": ["exp", "iat", "token_use"]},
            )
        except (StopIteration, jwt.PyJWTError, requests.RequestException, ValueError):
            return None
        return claims if claims.get("token_use") == "id" else None


def exchange_code(auth_url: str, client_id: str, code: str, redirect_uri: str, verifier: str) -> str:
    """POST the authorization code and its PKCE verifier to the token endpoint; the ID token."""
    response = requests.post(
        f"{auth_url.rstrip('/')}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT_S,
    )
    if response.status_code != 200:
        raise PermissionError(
            f"the sign-in could not be completed (token endpoint: HTTP {response.status_code})"
        )
    token = response.json().get("id_token")
    if not isinstance(token, str):
        raise PermissionError("the sign-in could not be completed (no ID token)")
    return token
