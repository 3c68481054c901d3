"""Reads of one plate, for the API's plate search (the gate has let the caller through)."""

from __future__ import annotations

from collections.abc import Iterable

from alpr.domain.models import Caller, PlateQuery, ReadPage
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
