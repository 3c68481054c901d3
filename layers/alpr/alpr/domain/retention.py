"""How long a read is kept: capture time + the configured retention (never under a year)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field, field_validator

from alpr.domain.models import as_utc

MIN_RETENTION_DAYS = 365  # Gov. Code § 34090.6, policy 439.5


class Retention(BaseModel):
    days: int = Field(default=MIN_RETENTION_DAYS)

    @field_validator("days")
    @classmethod
    def at_least_one_year(cls, value: int) -> int:
        if value < MIN_RETENTION_DAYS:
            raise ValueError(
                f"retention of {value} days is below the legal minimum of {MIN_RETENTION_DAYS} days "
                "(Gov. Code § 34090.6, policy 439.5)"
            )
        return value


def expires_at(captured_at: datetime, retention: Retention) -> int:
    """Epoch seconds at which a read captured at `captured_at` is due for deletion."""
    return int((as_utc(captured_at) + timedelta(days=retention.days)).timestamp())


def is_expired(expires_at_epoch: int | None, now: datetime) -> bool:
    """True once the retention period is over (the TTL sweep may lag; we never serve such a read).

    None means no expiry is scheduled (a legal hold removed it), so never expired.
    """
    return expires_at_epoch is not None and expires_at_epoch <= as_utc(now).timestamp()
