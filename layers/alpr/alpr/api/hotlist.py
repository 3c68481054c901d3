"""/v1/hotlist/entries: local entries (partial plates from major crimes), with retro-match.

The gate has checked the caller's role (`hotlist:read` / `hotlist:write`) and purpose and logs
the call; a new entry's earlier sightings are ALPR data, so they are noted for the access log.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel

from alpr.api import AUTHENTICATED
from alpr.api.access import note_access
from alpr.api.gate import current_grant, shown_to_case
from alpr.domain.errors import NotFound, Unauthenticated
from alpr.domain.hotlist import HotlistEntry, LocalEntryRequest
from alpr.domain.models import Caller
from alpr.services import hotlist as hotlist_service
from alpr.services.hotlist import EntryCreated

router = Router()

EntryId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")]


class EntryList(BaseModel):
    """Local entries (newest first) and every list's current version, age and staleness."""

    items: list[HotlistEntry]
    lists: list[dict[str, object]]


def _caller() -> Caller:
    grant = current_grant()
    if grant is None:  # the gate always sets it on these routes
        raise Unauthenticated("authentication required")
    return grant.caller


@router.post(
    "/v1/hotlist/entries",
    summary="Enter a plate or partial plate ('?' one character, '*' any run); lists its earlier sightings",
    security=AUTHENTICATED,
)
def add_entry(request: Annotated[LocalEntryRequest, Body()]) -> EntryCreated:
    created = hotlist_service.add_entry(_caller(), request)
    note_access(
        # The entry is what the retro-match queried by: a plate (found by plate-lookups) or a pattern.
        query={
            "hotlist_entry": created.entry.plate,
            ("pattern" if created.entry.is_pattern else "plate"): created.entry.plate,
            "state": created.entry.state,
            "retro_match": True,
        },
        returned_ids=[read.read_id for read in created.earlier_sightings] or None,
        returned_count=0 if not created.earlier_sightings else None,
    )
    return created.model_copy(update={"earlier_sightings": shown_to_case(created.earlier_sightings)})


@router.get(
    "/v1/hotlist/entries", summary="Local entries and the health of every list", security=AUTHENTICATED
)
def list_entries(
    include_expired: Annotated[bool, Query(description="also entries past their expiry")] = False,
) -> EntryList:
    entries = hotlist_service.list_entries(include_expired)
    note_access(returned_ids=[e.entry_id for e in entries] or None, returned_count=0 if not entries else None)
    return EntryList(items=entries, lists=hotlist_service.list_sources())


@router.get("/v1/hotlist/entries/<entry_id>", summary="One local entry", security=AUTHENTICATED)
def get_entry(entry_id: EntryId) -> HotlistEntry:
    found = next((e for e in hotlist_service.list_entries(True) if e.entry_id == entry_id), None)
    if found is None:
        raise NotFound(f"no local hotlist entry '{entry_id}'")
    note_access(returned_ids=[entry_id])
    return found


@router.delete("/v1/hotlist/entries/<entry_id>", summary="Remove a local entry", security=AUTHENTICATED)
def delete_entry(entry_id: EntryId) -> HotlistEntry:
    grant = current_grant()
    if grant is None:  # the gate always sets it on these routes
        raise Unauthenticated("authentication required")
    removed = hotlist_service.delete_entry(grant.caller, grant.person, entry_id)
    note_access(query={"hotlist_entry_removed": entry_id}, returned_ids=[entry_id])
    return removed
