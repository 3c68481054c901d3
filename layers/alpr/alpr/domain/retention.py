"""How long a read is kept: capture time + the configured retention (never under a year)."""

from __future__ import annotations

from datetime import datetime, timedelta

from alpr.domain.models import as_utc
from alpr.settings import Retention


def expires_at(captured_at: datetime, retention: Retention) -> int:
    """Epoch seconds at which a read captured at `captured_at` is due for deletion."""
    return int((as_utc(captured_at) + timedelta(days=retention.days)).timestamp())


def is_expired(expires_at_epoch: int | None, now: datetime) -> bool:
    """True once the retention period is over (the TTL sweep may lag; we never serve such a read).

    None means no expiry is scheduled (a legal hold removed it), so never expired.
    """
    return expires_at_epoch is not None and expires_at_epoch <= as_utc(now).timestamp()
