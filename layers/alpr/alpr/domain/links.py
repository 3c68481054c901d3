"""Signed decision links: request id, decision, expiry and a nonce, under an HMAC-SHA256.

A link carries no Step Functions task token (that stays encrypted with the request):
it only says "approve (or deny) request R, until T", signed with a key from Secrets
Manager. Single use comes from the nonce: the request keeps the nonces of the links
it sent last, and the first decision marks them used, so a second click, an older
round's link or a link for another request is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from alpr.domain.errors import Forbidden
from alpr.domain.release import Decision, LinkRound, ReleaseRequest, ReleaseStatus

VERSION = "v1"
_DECISIONS: tuple[Decision, ...] = ("approve", "deny")
_FIELD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class LinkRefused(Forbidden):
    """A decision link that is forged, expired, already used or superseded (403)."""


@dataclass(frozen=True)
class DecisionLink:
    request_id: str
    decision: Decision
    expires_at: int  # epoch seconds
    nonce: str


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _mac(link: DecisionLink, key: bytes) -> str:
    message = "\x1f".join((VERSION, link.request_id, link.decision, str(link.expires_at), link.nonce))
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(link: DecisionLink, key: bytes) -> str:
    """The link's token: `<request>.<decision>.<expiry>.<nonce>.<hmac>`, safe in a URL path."""
    if not key:
        raise ValueError("the link signing key is empty")
    for value in (link.request_id, link.nonce):
        if not _FIELD.match(value):
            raise ValueError(f"cannot sign a link field {value!r}")
    return ".".join((link.request_id, link.decision, str(link.expires_at), link.nonce, _mac(link, key)))


def verify(token: str, key: bytes, now: datetime) -> DecisionLink:
    """The link a token stands for; LinkRefused if it is malformed, forged or expired."""
    parts = token.split(".")
    if len(parts) != 5:
        raise LinkRefused("this decision link is not valid")
    request_id, decision, expiry, nonce, mac = parts
    if (
        decision not in _DECISIONS
        or not expiry.isdigit()
        or not _FIELD.match(request_id)
        or not _FIELD.match(nonce)
    ):
        raise LinkRefused("this decision link is not valid")
    link = DecisionLink(request_id=request_id, decision=decision, expires_at=int(expiry), nonce=nonce)
    try:
        base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (binascii.Error, ValueError):
        raise LinkRefused("this decision link is not valid") from None
    # Constant time: a forger learns nothing from how long the comparison took.
    if not hmac.compare_digest(_mac(link, key).encode(), mac.encode()):
        raise LinkRefused("this decision link is not valid: its signature does not match")
    if now.timestamp() >= link.expires_at:
        raise LinkRefused("this decision link has expired")
    return link


def check_current(request: ReleaseRequest, link: DecisionLink) -> LinkRound:
    """The round the link belongs to; LinkRefused if it was used or replaced by a newer round."""
    current = request.links
    nonce = link.nonce
    if current is None or not (
        hmac.compare_digest(
            nonce, current.approve_nonce if link.decision == "approve" else current.deny_nonce
        )
    ):
        raise LinkRefused(
            "this decision link is no longer valid: newer links were sent, or it was never sent"
        )
    # A round that timed out closes the request before its links' whole-second expiry may pass:
    # the person clicking is told the time ran out, not that someone decided.
    if request.status is ReleaseStatus.NO_DECISION:
        raise LinkRefused("this decision link has expired: nobody decided in the time allowed")
    if current.used or request.decision is not None:
        raise LinkRefused("this decision link was already used: the request has been decided")
    return current
