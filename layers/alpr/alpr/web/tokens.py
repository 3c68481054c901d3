"""Cognito ID tokens, verified as the REST API's Cognito authorizer would (RS256 against the
pool's JWKS, issuer, audience, expiry, token_use=id), and the code → token exchange of the
hosted UI's token endpoint.

RS256 is checked here in plain Python (RSASSA-PKCS1-v1_5 by re-encoding, RFC 8017 § 8.2.2), and
HTTP goes through urllib3: the Lambda layer must load on the python3.11 runtime (glibc 2.26),
for which no current `cryptography` wheel exists, and urllib3 comes with the runtime's boto3.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Any
from urllib.parse import urlencode

import urllib3

TIMEOUT_S = 10.0
LEEWAY_S = 30  # clock skew allowed on exp / iat
# DER prefix of a SHA-256 DigestInfo (RFC 8017 § 9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

_http = urllib3.PoolManager(timeout=urllib3.Timeout(total=TIMEOUT_S), retries=False)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rs256_valid(message: bytes, signature: bytes, n: int, e: int) -> bool:
    """Whether `signature` is an RSASSA-PKCS1-v1_5 SHA-256 signature of `message` by key (n, e)."""
    size = (n.bit_length() + 7) // 8
    if size < 256 or len(signature) != size:  # 2048-bit keys at least, as Cognito's are
        return False
    s = int.from_bytes(signature, "big")
    if s >= n:
        return False
    encoded = pow(s, e, n).to_bytes(size, "big")
    digest = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return hmac.compare_digest(encoded, expected)


def verify_rs256(token: str, keys: dict[str, tuple[int, int]]) -> dict[str, Any] | None:
    """The claims of a JWT signed with RS256 by one of `keys` (kid → (n, e)), else None."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64(header_b64))
        key = keys.get(str(header.get("kid")))
        if header.get("alg") != "RS256" or key is None:
            return None
        if not rs256_valid(f"{header_b64}.{payload_b64}".encode(), _b64(signature_b64), *key):
            return None
        claims = json.loads(_b64(payload_b64))
    except (ValueError, TypeError, AttributeError):
        return None
    return claims if isinstance(claims, dict) else None


class IdTokens:
    def __init__(self, jwks_url: str, issuer: str) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self._keys: dict[str, tuple[int, int]] | None = None
        self._lock = threading.Lock()

    def _jwks(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            if self._keys is None:
                response = _http.request("GET", self.jwks_url)
                if response.status != 200:
                    raise ValueError(f"JWKS: HTTP {response.status}")
                self._keys = {
                    str(k["kid"]): (int.from_bytes(_b64(k["n"]), "big"), int.from_bytes(_b64(k["e"]), "big"))
                    for k in json.loads(response.data)["keys"]
                    if k.get("kty") == "RSA"
                }
            return self._keys

    def claims(self, token: str, audiences: set[str], now: float | None = None) -> dict[str, Any] | None:
        """The token's claims if it is a valid ID token of the pool for one of `audiences`, else None."""
        audiences = {a for a in audiences if a}
        if not token or not audiences:
            return None
        try:
            claims = verify_rs256(token, self._jwks())
        except (ValueError, KeyError, urllib3.exceptions.HTTPError):
            return None
        if claims is None:
            return None
        at = time.time() if now is None else now
        exp, iat = claims.get("exp"), claims.get("iat")
        if (
            claims.get("iss") != self.issuer
            or claims.get("aud") not in audiences
            or claims.get("token_use") != "id"
            or not isinstance(exp, int | float)
            or not isinstance(iat, int | float)
            or at >= exp + LEEWAY_S
            or iat > at + LEEWAY_S
        ):
            return None
        return claims


def exchange_code(auth_url: str, client_id: str, code: str, redirect_uri: str, verifier: str) -> str:
    """POST the authorization code and its PKCE verifier to the token endpoint; the ID token."""
    try:
        response = _http.request(
            "POST",
            f"{auth_url.rstrip('/')}/oauth2/token",
            body=urlencode(
                {
                    "grant_type": "authorization_code",
                    "client_id": client_id,
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                }
            ),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    except urllib3.exceptions.HTTPError as error:
        raise PermissionError("the sign-in could not be completed (token endpoint unreachable)") from error
    if response.status != 200:
        raise PermissionError(f"the sign-in could not be completed (token endpoint: HTTP {response.status})")
    token = json.loads(response.data).get("id_token")
    if not isinstance(token, str):
        raise PermissionError("the sign-in could not be completed (no ID token)")
    return token
