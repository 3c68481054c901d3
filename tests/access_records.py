"""Access records for the audit tests: an allowed plate search by Ivy unless told otherwise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alpr.domain.access import AccessRecord
from alpr.domain.ids import derived_ulid


def plate_search(at: datetime, *, key: str, plate: str = "7ABC123", **fields: Any) -> AccessRecord:
    """One access record at `at`; `key` makes its event id (and request id) unique, `fields`
    override any field."""
    values: dict[str, Any] = {
        "event_id": derived_ulid(at, "audit-test", key),
        "time": at,
        "username": "ivy",
        "full_name": "Ivy Investigator",
        "organisation": "Concord PD",
        "role": "investigator",
        "roles": ["investigator"],
        "action": "reads:search",
        "method": "GET",
        "route": "/v1/reads",
        "query": {"plate": plate, "from": "2026-11-01T00:00:00Z"},
        "returned_ids": ["01JREAD000000000000000000A"],
        "returned_count": 1,
        "purpose_category": "stolen-vehicle",
        "case_number": "26-004512",
        "purpose_text": "grey Honda Civic reported stolen from Alhambra Ave",
        "outcome": "allowed",
        "status": 200,
        "source_ip": "198.51.100.24",
        "request_id": f"req-{key}",
    }
    return AccessRecord.model_validate({**values, **fields})
