"""Reads past retention kept only by a legal hold go only to callers working a case that holds them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from alpr.api.gate import current_grant
from alpr.domain.holds import given_to_case
from alpr.domain.models import Read
from alpr.services.container import container

R = TypeVar("R", bound=Read)


def for_this_case(reads: Sequence[R]) -> list[R]:
    """The reads the caller's stated case may be given (the request's purpose names the case)."""
    grant = current_grant()
    case = grant.purpose.case_number if grant is not None and grant.purpose is not None else None
    now, retention = container().clock.now(), container().config.retention
    return [read for read in reads if given_to_case(read, case, now, retention)]
