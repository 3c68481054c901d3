"""When a plate's entry in the dictionary (Plates) expires, for entries written before they had one.

New reads keep the entry's `newest_expiry` (its newest read's expiry) and its TTL in step, and a
held read of the plate (`held_reads`) keeps the entry with no TTL (issue 22). Entries written
earlier have neither and would never expire; the one-off backfill (`alpr admin
backfill-plate-expiry`) gives each the expiry it would have had: the latest expiry of the plate's
reads (a held read counts with its schedule, capture + retention), none while one is held, and for
a plate whose reads are all gone, its last sighting's schedule (past, so it goes at the next sweep).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from alpr.domain.models import Read
from alpr.domain.retention import Retention, expires_at


class PlateEntry(BaseModel):
    """A dictionary entry as stored: what its expiry is now."""

    plate: str
    last_seen: datetime
    newest_expiry: int | None = None
    ttl: int | None = Field(default=None, description="the entry's `expires_at`, if set")
    held_reads: frozenset[str] = frozenset()


class PlateExpiry(BaseModel):
    """The expiry an entry should have."""

    plate: str
    newest_expiry: int
    held_reads: frozenset[str] = frozenset()


def plate_expiry(entry: PlateEntry, reads: Sequence[Read], retention: Retention) -> PlateExpiry:
    """The entry's expiry from its plate's reads, as the store keeps it for new reads."""
    schedules = [read.expires_at or expires_at(read.captured_at, retention) for read in reads]
    newest = max(schedules, default=expires_at(entry.last_seen, retention))
    held = frozenset(read.read_id for read in reads if read.legal_holds)
    return PlateExpiry(plate=entry.plate, newest_expiry=newest, held_reads=held)


def is_up_to_date(entry: PlateEntry, wanted: PlateExpiry) -> bool:
    """Whether the entry already expires as it should: no later than its newest read, and kept (no
    TTL) while one of its reads is held."""
    if entry.newest_expiry is None or entry.newest_expiry < wanted.newest_expiry:
        return False
    if not wanted.held_reads <= entry.held_reads:
        return False
    return bool(entry.held_reads) or entry.ttl is not None


class BackfillCounts(BaseModel):
    """What the backfill found (and, with --apply, changed)."""

    applied: bool
    plates: int = 0
    up_to_date: int = 0
    to_update: int = 0
    held: int = Field(
        default=0, description="of those to update, kept with no TTL: a read of the plate is held"
    )
    past: int = Field(
        default=0, description="of those to update, already past their expiry: they go at the next sweep"
    )
    updated: int = 0
