"""The one ULID source."""

from __future__ import annotations

import hashlib
from datetime import datetime

from ulid import ULID

from alpr.domain.clock import Clock


def new_ulid(clock: Clock) -> str:
    """A fresh ULID stamped with the clock's time."""
    return str(ULID.from_datetime(clock.now()))


def derived_ulid(at: datetime, *parts: str) -> str:
    """A ULID stamped with `at` whose random part is a hash of `parts`.

    The same inputs always give the same id, so work that is redone (a redelivered
    message) lands on the same item instead of creating a second one.
    """
    millis = int(at.timestamp() * 1000)
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + digest[:10]))


def ulid_at(at: datetime) -> str:
    """A fresh ULID stamped with `at`."""
    return str(ULID.from_datetime(at))
