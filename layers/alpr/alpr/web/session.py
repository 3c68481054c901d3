"""Signed values for cookies: the session (who signed in, until when, their CSRF token) and the
short-lived state of a sign-in in progress (OAuth state, PKCE verifier, where to go back to).

`<base64url JSON>.<base64url HMAC-SHA256>`, the key from Secrets Manager; any change to the
payload, another purpose, or an expired value is refused. Pure: no AWS, no environment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

SESSION_COOKIE = "alpr_session"
SIGN_IN_COOKIE = "alpr_sign_in"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, body: str, key: bytes) -> str:
    return _b64(hmac.new(key, f"{purpose}\x1f{body}".encode(), hashlib.sha256).digest())


def seal(purpose: str, payload: dict[str, Any], key: bytes) -> str:
    """A signed value for `purpose` (the payload is readable, not secret; it cannot be changed)."""
    if not key:
        raise ValueError("the cookie signing key is empty")
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(purpose, body, key)}"


def unseal(purpose: str, value: str, key: bytes, now: float) -> dict[str, Any] | None:
    """The payload, or None if the value is malformed, forged, for another purpose or expired."""
    body, _, mac = value.partition(".")
    if not body or not mac or not hmac.compare_digest(_mac(purpose, body, key), mac):
        return None
    try:
        payload = json.loads(_unb64(body))
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int) or now >= payload["exp"]:
        return None
    return payload


@dataclass(frozen=True)
class Session:
    username: str
    groups: frozenset[str]
    expires_at: int
    csrf: str

    def payload(self) -> dict[str, Any]:
        return {"u": self.username, "g": sorted(self.groups), "exp": self.expires_at, "csrf": self.csrf}

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Session | None:
        try:
            return cls(
                username=str(payload["u"]),
                groups=frozenset(str(g) for g in payload["g"]),
                expires_at=int(payload["exp"]),
                csrf=str(payload["csrf"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def new_session(username: str, groups: frozenset[str], now: float, seconds: int) -> Session:
    return Session(
        username=username, groups=groups, expires_at=int(now) + seconds, csrf=secrets.token_urlsafe(24)
    )


def csrf_matches(session: Session, token: str) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf.encode(), token.encode())


def read_cookie(header: str, name: str) -> str | None:
    """The value of cookie `name` from a Cookie header (the last one wins)."""
    found = None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            found = value
    return found


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) for the authorization-code flow (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    return verifier, pkce_challenge(verifier)


def pkce_challenge(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())
