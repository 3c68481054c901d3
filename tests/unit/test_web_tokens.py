"""The pages verify Cognito ID tokens themselves (no authorizer on page routes): RS256 in plain
Python, cross-checked here against PyJWT + cryptography signing real RSA keys."""

from __future__ import annotations

import base64

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from alpr.web.tokens import IdTokens, verify_rs256

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public(key: rsa.RSAPrivateKey) -> tuple[int, int]:
    numbers = key.public_key().public_numbers()
    return numbers.n, numbers.e


def _token(key: rsa.RSAPrivateKey, **changes: object) -> str:
    claims = {
        "iss": ISSUER,
        "aud": "web-client",
        "token_use": "id",
        "cognito:username": "commander",
        "cognito:groups": ["commander"],
        "iat": NOW - 10,
        "exp": NOW + 3600,
        **changes,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def _tokens(key: rsa.RSAPrivateKey) -> IdTokens:
    verifier = IdTokens("http://unused/jwks.json", ISSUER)
    verifier._keys = {"k1": _public(key)}  # what the JWKS holds; no network in unit tests
    return verifier


def test_a_valid_id_token_gives_its_claims(key):
    claims = _tokens(key).claims(_token(key), {"web-client"}, now=NOW)
    assert claims is not None and claims["cognito:username"] == "commander"


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "other-client"},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/other"},
        {"token_use": "access"},
        {"exp": NOW - 3600},
        {"iat": NOW + 3600},
    ],
)
def test_a_token_for_another_client_pool_use_or_time_is_refused(key, changes):
    assert _tokens(key).claims(_token(key, **changes), {"web-client"}, now=NOW) is None


def test_a_changed_payload_another_key_or_another_algorithm_is_refused(key):
    token = _token(key)
    header, payload, signature = token.split(".")
    promoted = base64.urlsafe_b64encode(
        base64.urlsafe_b64decode(payload + "==").replace(b'"commander"]', b'"administrator"]')
    ).rstrip(b"=")
    assert verify_rs256(f"{header}.{promoted.decode()}.{signature}", {"k1": _public(key)}) is None
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert verify_rs256(token, {"k1": _public(other)}) is None
    # alg confusion: an HMAC "signed" with the public modulus must not pass
    forged = jwt.encode({"iss": ISSUER}, "secret-" * 6, algorithm="HS256", headers={"kid": "k1"})
    assert verify_rs256(forged, {"k1": _public(key)}) is None
    assert verify_rs256("not-a-token", {"k1": _public(key)}) is None
    assert verify_rs256(token, {}) is None  # unknown kid
