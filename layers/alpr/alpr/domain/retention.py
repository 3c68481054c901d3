"""How long a read is kept: capture time + the configured retention (never under a year).

A year is a calendar year (Gov. Code § 34090.6): a read of 2027-03-01 is kept until 2028-03-01,
not 365 days (2028-02-29). The configured days are whole years (every 365) plus extra days, so
730 is two years and 400 is a year and 35 days.
"""

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

    @property
    def years(self) -> int:
        """Whole calendar years kept (every 365 configured days)."""
        return self.days // MIN_RETENTION_DAYS

    @property
    def extra_days(self) -> int:
        """Days kept beyond the whole years."""
        return self.days % MIN_RETENTION_DAYS

    @property
    def max_days(self) -> int:
        """The most days the retention can span (a leap day in every fourth year, rounded up):
        S3 lifecycles count days, so they use this and never delete an image before its read."""
        return self.years * MIN_RETENTION_DAYS + -(-self.years // 4) + self.extra_days

    @property
    def period(self) -> str:
        """The period in words, e.g. `1 year` or `2 years and 35 days`."""
        years = f"{self.years} year{'s' if self.years != 1 else ''}"
        return years + (
            f" and {self.extra_days} day{'s' if self.extra_days != 1 else ''}" if self.extra_days else ""
        )

    def expiry(self, captured_at: datetime) -> datetime:
        """The same calendar date `years` later (1 March for 29 February), plus the extra days."""
        return _add_years(as_utc(captured_at), self.years, leap_day_to_march=True) + timedelta(
            days=self.extra_days
        )

    def horizon(self, now: datetime) -> datetime:
        """The earliest capture time still within retention at `now` (the inverse of `expiry`)."""
        return _add_years(as_utc(now) - timedelta(days=self.extra_days), -self.years, leap_day_to_march=False)


def _add_years(moment: datetime, years: int, *, leap_day_to_march: bool) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a common year
        if leap_day_to_march:
            return moment.replace(year=moment.year + years, month=3, day=1)
        return moment.replace(year=moment.year + years, day=28)


def expires_at(captured_at: datetime, retention: Retention) -> int:
    """Epoch seconds at which a read captured at `captured_at` is due for deletion."""
    return int(retention.expiry(captured_at).timestamp())


def is_expired(expires_at_epoch: int | None, now: datetime) -> bool:
    """True once the retention period is over (the TTL sweep may lag; we never serve such a read).

    None means no expiry is scheduled (a legal hold removed it), so never expired.
    """
    return expires_at_epoch is not None and expires_at_epoch <= as_utc(now).timestamp()
