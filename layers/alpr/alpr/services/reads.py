"""Reads of one plate, for the API's plate search (the gate has let the caller through)."""

from __future__ import annotations

from collections.abc import Iterable

from alpr.domain.models import Caller, PlateQuery, ReadPage
from alpr.domain.plate_expiry import BackfillCounts, is_up_to_date, plate_expiry
from alpr.domain.reads import search_by_plate
from alpr.services.container import container


def search_reads(caller: Caller, query: PlateQuery) -> ReadPage:
    """Reads of one plate for an authenticated caller.

    The seam for the access gate (issue 4): role, training, purpose and the access record
    wrap this call; nothing else in the API reaches the Reads table.
    """
    del caller  # any authenticated user, until the access gate lands
    return search_by_plate(container().read_store, query, container().clock)


def prune_expired_plates(plates: Iterable[str]) -> int:
    """Take plates the dictionary no longer has (expired) out of the trigram index; how many were."""
    store = container().read_store
    return sum(store.prune_grams(plate) for plate in plates)


def backfill_plate_expiry(*, apply: bool, page_size: int = 100) -> BackfillCounts:
    """Give every dictionary entry written before entries expired the expiry it would have had (see
    alpr.domain.plate_expiry); counts only unless `apply`. Safe to run again: what is up to date is
    left as it is."""
    store = container().read_store
    retention = container().config.retention
    now = int(container().clock.now().timestamp())
    counts = BackfillCounts(applied=apply)
    start = None
    while True:
        entries, start = store.plate_entries_page(start, page_size)
        for entry in entries:
            counts.plates += 1
            wanted = plate_expiry(entry, store.reads_of_plate(entry.plate), retention)
            if is_up_to_date(entry, wanted):
                counts.up_to_date += 1
                continue
            counts.to_update += 1
            counts.held += bool(wanted.held_reads)
            counts.past += not wanted.held_reads and wanted.newest_expiry <= now
            if apply:
                store.set_plate_expiry(wanted)
                counts.updated += 1
        if not start:
            return counts
