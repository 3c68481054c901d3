"""Who is calling, from the claims the Cognito authorizer put on the request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alpr.domain.errors import Forbidden, Unauthenticated
from alpr.domain.models import Caller


def _groups(raw: Any) -> frozenset[str]:
    # REST API Cognito authorizers pass claims as strings: one group is "unit", several
    # arrive as "a,b" or, depending on the integration, "[a b]"; a local shim may pass a list.
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple | set | frozenset):
        return frozenset(str(g) for g in raw if str(g))
    text = str(raw).strip().strip("[]")
    return frozenset(part for part in text.replace(",", " ").split() if part)


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """The caller, or Unauthenticated when the request carries no user."""
    if not claims:
        raise Unauthenticated("authentication required")
    username = claims.get("cognito:username") or claims.get("username")
    if not username:
        raise Unauthenticated("authentication required: the token names no user")
    return Caller(username=str(username), groups=_groups(claims.get("cognito:groups")))


def require_group(caller: Caller, group: str) -> None:
    """Forbidden unless the caller is in `group`."""
    if group not in caller.groups:
        raise Forbidden(f"user '{caller.username}' is not in group '{group}'")
