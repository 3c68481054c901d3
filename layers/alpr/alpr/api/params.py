"""Parameter types the routes share, so the OpenAPI document states each rule once."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from alpr.domain.models import UtcDatetime

ULID_PATTERN = r"^[0-9A-HJKMNP-TV-Z]{26}$"  # Crockford base32: no I, L, O or U

UlidPath = Annotated[
    str,
    Path(
        min_length=26,
        max_length=26,
        pattern=ULID_PATTERN,
        description="an id the system gave (a ULID: 26 characters, Crockford base32)",
    ),
]

# A window's ends: date-times with a zone (a naive one is refused: its zone would be a guess).
From = Annotated[
    UtcDatetime | None,
    Query(alias="from", description="ISO 8601 date-time with a zone, e.g. 2026-01-31T12:00:00Z; inclusive"),
]
To = Annotated[
    UtcDatetime | None,
    Query(alias="to", description="ISO 8601 date-time with a zone, e.g. 2026-01-31T12:00:00Z; inclusive"),
]
