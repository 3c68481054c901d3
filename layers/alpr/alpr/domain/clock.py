"""The one clock, and the one way a UTC instant is written down."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from alpr.domain.models import as_utc, iso_utc, parse_iso_utc

__all__ = ["Clock", "FixedClock", "SystemClock", "as_utc", "iso_utc", "parse_iso_utc"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock a test (or a replay) sets by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = as_utc(at)

    def now(self) -> datetime:
        return self.at
