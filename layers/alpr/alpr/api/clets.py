"""Policy 439.4(e): state and federal hotlist details only for callers with a CLETS authorisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel

from alpr.api.gate import current_grant
from alpr.domain.alerts import Alert, alert_for, clets_authorised, hits_for

R = TypeVar("R", bound=BaseModel)


def caller_authorised() -> bool:
    """Whether the caller's Personnel record carries a dated CLETS authorisation."""
    grant = current_grant()
    return grant is not None and clets_authorised(grant.person)


def alert_shown(alert: Alert) -> Alert:
    return alert_for(alert, caller_authorised())


def reads_shown(reads: Sequence[R]) -> list[R]:
    """Reads with their hotlist hits as the caller may see them."""
    authorised = caller_authorised()
    return [
        read.model_copy(update={"hotlist_hits": hits_for(getattr(read, "hotlist_hits", []), authorised)})
        for read in reads
    ]
